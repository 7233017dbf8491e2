use crate::helpers::{Answer, PASSWORD, spawn_app};

#[tokio::test]
async fn a_user_lists_their_sessions_and_revokes_one() {
    let app = spawn_app().await;
    let user = app.user().await;
    let second = app.login(&user.phone, PASSWORD).await;
    let second_token = second.data()["accessToken"].as_str().unwrap().to_owned();

    let list = app.get_auth("/api/v1/auth/sessions", &user.access).await;
    list.assert_ok(200);
    let items = list.data()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let other = items.iter().find(|s| s["current"] == false).unwrap();
    assert!(other["createdAt"].is_string() && other["lastSeen"].is_string());

    let id = other["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/auth/sessions/{id}")))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_ok(200);
    app.get_auth("/api/v1/me", &second_token)
        .await
        .assert_error(401, "session_revoked");
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn nobody_revokes_another_users_session() {
    let app = spawn_app().await;
    let alice = app.user().await;
    let bob = app.user().await;
    let bobs = app.get_auth("/api/v1/auth/sessions", &bob.access).await;
    let id = bobs.data()["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/auth/sessions/{id}")))
        .bearer_auth(&alice.access)
        .send()
        .await
        .unwrap();
    Answer::from(res)
        .await
        .assert_error(404, "session_not_found");
    app.get_auth("/api/v1/me", &bob.access).await.assert_ok(200);
}

#[tokio::test]
async fn sessions_live_in_redis_so_another_instance_honours_a_logout() {
    let app = spawn_app().await;
    let user = app.user().await;
    // A second gateway sharing the same Redis, data dir and secret.
    let twin = crate::helpers::spawn_twin(&app).await;
    twin.get_auth("/api/v1/me", &user.access)
        .await
        .assert_ok(200);
    app.post_json(
        "/api/v1/auth/logout",
        &serde_json::json!({}),
        Some(&user.access),
    )
    .await
    .assert_ok(200);
    twin.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(401, "session_revoked");
}
