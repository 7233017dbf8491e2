use serde_json::json;

use crate::helpers::{PNG, spawn_app};

#[tokio::test]
async fn with_redis_down_authenticated_calls_fail_closed_and_public_reads_work() {
    let mut app = spawn_app().await;
    let user = app.user().await;
    app.upload(&user.access, "images", "pub.png", PNG.to_vec())
        .await
        .assert_ok(201);

    app.redis.as_mut().unwrap().stop();

    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(503, "session_store_unavailable");
    app.login(&user.phone, &user.password)
        .await
        .assert_error(503, "session_store_unavailable");
    let public = app
        .client
        .get(app.url("/f/images/pub.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    assert_eq!(public.bytes().await.unwrap().as_ref(), PNG);
}

#[tokio::test]
async fn service_recovers_without_restart_when_redis_returns() {
    let mut app = spawn_app().await;
    let user = app.user().await;
    app.redis.as_mut().unwrap().stop();
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(503, "session_store_unavailable");

    app.redis.as_mut().unwrap().resume();

    // The restarted Redis kept nothing: the old session is gone (logged out, not let in) …
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(401, "session_revoked");
    // … and logging in works again without restarting the gateway.
    let again = app.login(&user.phone, &user.password).await;
    again.assert_ok(200);
    let token = again.data()["accessToken"].as_str().unwrap();
    app.get_auth("/api/v1/me", token).await.assert_ok(200);
    app.get("/readyz").await.assert_ok(200);
    let _ = json!({});
}
