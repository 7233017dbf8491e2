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

    app.redis.as_mut().unwrap().restart();

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

#[tokio::test]
async fn during_an_outage_writes_fail_closed_and_store_nothing_while_public_and_signed_reads_work()
{
    let mut app = spawn_app().await;
    let user = app.user().await;
    app.upload(&user.access, "images", "pub.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.put(&user.access, "files", "priv.txt", b"private".to_vec())
        .await
        .assert_ok(201);
    let signed = app
        .post_json(
            "/api/v1/buckets/files/sign/priv.txt",
            &json!({"expiresIn": 600}),
            Some(&user.access),
        )
        .await;
    let signed_url = signed.data()["url"].as_str().unwrap().to_owned();
    let before = app.stored_files();

    app.redis.as_mut().unwrap().stop();

    app.upload(&user.access, "images", "during.png", PNG.to_vec())
        .await
        .assert_error(503, "session_store_unavailable");
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refreshToken": user.refresh}),
        None,
    )
    .await
    .assert_error(503, "session_store_unavailable");
    app.post_json("/api/v1/auth/logout", &json!({}), Some(&user.access))
        .await
        .assert_error(503, "session_store_unavailable");
    assert_eq!(app.stored_files(), before);

    // Public reads, with or without a token, and signed links need no session store.
    app.get("/api/v1/buckets/images/objects")
        .await
        .assert_ok(200);
    app.get_auth("/api/v1/buckets/images/objects", &user.access)
        .await
        .assert_ok(200);
    let res = app
        .client
        .get(app.url("/f/images/pub.png"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = reqwest::get(&signed_url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "private");
}
