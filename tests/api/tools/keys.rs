//! Key templates.

use sha2::{Digest, Sha256};

use super::client::fetch;
use crate::helpers::{PNG, Sessions, spawn_app_with};

/// With `key_template = "{hash}.{ext}"` a picture is named by its content: the first 16 hex
/// digits of its SHA-256.
#[tokio::test]
async fn a_hash_key_template_names_a_picture_by_its_content() {
    let app = spawn_app_with(
        Sessions::Embedded,
        "[buckets.images]\nkey_template = \"{hash}.{ext}\"\n",
    )
    .await;
    let user = app.user().await;
    let res = app
        .upload(&user.access, "images", "cat.png", PNG.to_vec())
        .await;
    res.assert_ok(201);
    let hex: String = Sha256::digest(PNG)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        res.data()["key"],
        format!("{}.png", &hex[..16]),
        "{}",
        res.body
    );
    let url = res.data()["url"].as_str().unwrap_or_default();
    assert_eq!(fetch(url).await, (200, PNG.to_vec()));
}
