use serde_json::json;

use crate::helpers::{Answer, Sessions, spawn_app_with};

#[tokio::test]
async fn unknown_routes_answer_404_in_the_envelope() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    app.get("/api/v1/nope")
        .await
        .assert_error(404, "route_not_found");
}

#[tokio::test]
async fn wrong_methods_answer_405_in_the_envelope() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let res = app
        .client
        .delete(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    Answer::from(res)
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_stable_code() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"login\": ")
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "malformed_json");
    let res = app
        .post_json("/api/v1/auth/login", &json!({"login": 5}), None)
        .await;
    res.assert_error(400, "malformed_json");
}

#[tokio::test]
async fn an_oversized_json_body_is_a_413() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let big = "x".repeat(200_000);
    app.post_json(
        "/api/v1/auth/login",
        &json!({"login": big, "password": "x"}),
        None,
    )
    .await
    .assert_error(413, "payload_too_large");
}
