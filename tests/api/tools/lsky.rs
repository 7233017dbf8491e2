//! Lsky's other endpoints: logging in for a token, and the strategies to upload to.

use serde_json::json;

use super::client::{assert_has_message, fetch, lsky_v2};
use crate::helpers::{Answer, PNG, spawn_app};

/// Lsky clients that log in by themselves (Halo, WordPress, Obsidian plugins) trade the user's
/// email and password for a token that uploads; a wrong password is a `status: false`. The
/// strategies they offer the user list the default tool bucket as id 1 and the other buckets;
/// choosing `files`, by name or by its id, sends the upload there.
#[tokio::test]
async fn lsky_clients_log_in_for_a_token_and_pick_a_strategy() {
    let app = spawn_app().await;
    let user = app.user().await;
    let res = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("accept", "application/json")
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    let minted = Answer::from(res).await;
    assert_eq!(minted.status, 200, "{}", minted.body);
    assert_eq!(minted.body["status"], true, "{}", minted.body);
    let token = minted.data()["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token.starts_with("pgt_"), "{}", minted.body);
    let bearer = format!("Bearer {token}");
    let uploaded = lsky_v2(&app, &bearer, "shot.png", PNG.to_vec(), &[]).await;
    assert_eq!(uploaded.body["status"], true, "{}", uploaded.body);
    let url = uploaded.data()["links"]["url"].as_str().unwrap_or_default();
    assert_eq!(fetch(url).await, (200, PNG.to_vec()));

    let res = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("accept", "application/json")
        .json(&json!({"email": user.email, "password": "not the password"}))
        .send()
        .await
        .unwrap();
    let refused = Answer::from(res).await;
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert_eq!(refused.body["status"], false, "{}", refused.body);
    assert_eq!(refused.code(), "invalid_credentials", "{}", refused.body);
    assert_has_message(&refused.body);

    let listed = Answer::from(
        app.client
            .get(app.url("/api/v1/strategies"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["status"], true, "{}", listed.body);
    let strategies = listed.data()["strategies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        strategies.first().map(|s| (&s["id"], &s["name"])),
        Some((&json!(1), &json!("images"))),
        "{}",
        listed.body
    );
    let files_id = strategies
        .iter()
        .find(|s| s["name"] == "files")
        .and_then(|s| s["id"].as_u64())
        .unwrap_or_else(|| panic!("no files strategy with an id: {}", listed.body));

    for strategy in ["files".to_owned(), files_id.to_string()] {
        let stored = lsky_v2(
            &app,
            &bearer,
            "shot.png",
            PNG.to_vec(),
            &[("strategy_id", strategy.as_str())],
        )
        .await;
        assert_eq!(stored.body["status"], true, "{}", stored.body);
        assert_eq!(stored.data()["bucket"], "files", "{}", stored.body);
        let pathname = stored.data()["pathname"].as_str().unwrap_or_default();
        assert!(
            app.stored_files().contains(&format!("files/{pathname}")),
            "{pathname} not in {:?}",
            app.stored_files()
        );
        // `files` is private: the link a tool pastes is signed, so it works without a token,
        // and the answer says until when.
        let url = stored.data()["links"]["url"].as_str().unwrap_or_default();
        assert!(url.contains("signature="), "{}", stored.body);
        assert_eq!(fetch(url).await, (200, PNG.to_vec()), "{url}");
        assert!(stored.data()["expires_at"].is_string(), "{}", stored.body);
    }
    // A public bucket's links are plain and never expire.
    let public = lsky_v2(&app, &bearer, "shot.png", PNG.to_vec(), &[]).await;
    assert!(public.data()["expires_at"].is_null(), "{}", public.body);
    assert!(
        !public.data()["url"]
            .as_str()
            .unwrap_or_default()
            .contains('?')
    );
}
