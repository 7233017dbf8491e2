//! Key templates.

use sha2::{Digest, Sha256};

use super::client::{api_token, fetch, multipart_post, tools_upload};
use crate::helpers::{PNG, Sessions, spawn_app, spawn_app_with};

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

/// Tool uploads are keyed `{yyyy}/{mm}/{dd}/{uuid}.{ext}`, where an image's extension is the one
/// of its type whatever the client called it: a PNG named `avatar.php` is stored as `….png`
/// (another web server in front of the storage would never run it), a fitting extension is
/// kept as written, and a file that is no image keeps its own.
#[tokio::test]
async fn tool_keys_give_an_image_the_extension_of_its_type() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    for (name, ext) in [
        ("avatar.php", ".png"),
        ("Shot.PNG", ".PNG"),
        ("noext", ".png"),
    ] {
        let res = tools_upload(&app, &token, name, PNG.to_vec()).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let pathname = res.data()["pathname"].as_str().unwrap_or_default();
        assert!(pathname.ends_with(ext), "{name} → {pathname}");
        assert_eq!(res.data()["origin_name"], name, "{}", res.body);
    }
    let notes = multipart_post(
        &app,
        "/api/v1/tools/upload?bucket=files",
        &format!("Bearer {token}"),
        "file",
        "notes.md",
        b"# notes\n".to_vec(),
        &[],
    )
    .await;
    let pathname = notes.data()["pathname"].as_str().unwrap_or_default();
    assert!(pathname.ends_with(".md"), "{}", notes.body);
}
