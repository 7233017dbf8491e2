use serde_json::json;

use crate::helpers::{Answer, Sessions, spawn_app_with};

#[tokio::test]
async fn unknown_routes_answer_404_in_the_envelope() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    app.get("/api/v1/nope")
        .await
        .assert_error(404, "route_not_found");
}

/// A wrong method is a 405 in the envelope that names the allowed ones in `Allow` (RFC 9110
/// §15.5.6); every `GET` route answers `HEAD` with its headers and no body (§9.3.2).
#[tokio::test]
async fn wrong_methods_answer_405_with_allow_and_get_routes_take_head() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/auth/login", "POST"),
        (reqwest::Method::PATCH, "/healthz", "GET, HEAD"),
        (
            reqwest::Method::POST,
            "/api/v1/buckets/images/objects/a.png",
            "GET, HEAD, PUT, DELETE",
        ),
        (reqwest::Method::PUT, "/f/images/a.png", "GET, HEAD"),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        Answer::from(res)
            .await
            .assert_error(405, "method_not_allowed");
    }

    let get = app.client.get(app.url("/healthz")).send().await.unwrap();
    let get_length = get.headers()["content-length"].clone();
    let head = app.client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert_eq!(head.headers()["content-length"], get_length);
    assert!(head.bytes().await.unwrap().is_empty());
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
