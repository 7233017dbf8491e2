//! The captured clients, succeeding: each request replayed byte for byte, and what the tool
//! reads from the answer checked.

use std::path::Path;

use rstest::rstest;

use super::client::{api_token, assert_has_message, fetch};
use super::wire::{LSKY_V2_FULL, capture, capture_png, replay, with_file_name, with_target};
use crate::helpers::{Backend, spawn_app, spawn_app_on};

/// Everything in `clients/captures/`, each replayed by a test below.
const CAPTURES: [&str; 8] = [
    "README.md",
    "picgo-smms-backupdomain.req",
    "picgo-web-uploader.req",
    "piclist-lsky-v1.req",
    "piclist-lsky-v2-delete.req",
    "piclist-lsky-v2-full.req",
    "piclist-lsky-v2-minimal.req",
    "piclist-piclist-uploader.req",
];

/// A capture added to the folder is a client nobody checks until a test replays it.
#[test]
fn every_capture_in_the_folder_is_replayed_here() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/clients/captures");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, CAPTURES);
}

/// PicList's Lsky Pro V2 uploader, with every option set (`strategy_id=1`, album, permission)
/// and with none: the user gets a link that shows their screenshot, in the default tool bucket,
/// and PicList keeps a key it can later delete with (pasted raw into a path, so no `/`).
/// Uploading the same screenshot again gives a second link; the first is never overwritten.
#[rstest]
#[tokio::test]
async fn piclist_lsky_v2_gets_a_link_and_a_deletable_key(
    #[values("piclist-lsky-v2-full.req", "piclist-lsky-v2-minimal.req")] name: &str,
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let request = capture(name);
    let png = capture_png(&request);
    let mut urls = Vec::new();
    for _ in 0..2 {
        let reply = replay(&app, &request, Some(&token)).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["status"], true, "{body}");
        let data = &body["data"];
        let url = data["links"]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no data.links.url: {body}"));
        assert!(url.starts_with("http"), "{url}");
        assert_eq!(fetch(url).await, (200, png.clone()), "{url}");
        let key = data["key"].as_str().unwrap_or_default();
        assert!(!key.is_empty() && !key.contains('/'), "data.key: {body}");
        assert_eq!(data["bucket"], "images", "{body}");
        let pathname = data["pathname"].as_str().unwrap_or_default();
        assert!(
            app.stored_files().contains(&format!("images/{pathname}")),
            "{pathname} not in {:?}",
            app.stored_files()
        );
        urls.push(url.to_owned());
    }
    assert_ne!(urls[0], urls[1]);
}

/// PicList's "delete on cloud" for a picture it uploaded: PicList counts it deleted (200,
/// `status: true`), the link stops working, and deleting again tells the user it failed,
/// with a reason, rather than pretending (Lsky's own habit, which users complain about).
#[rstest]
#[tokio::test]
async fn piclist_deletes_what_it_uploaded_once(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let uploaded = replay(&app, &capture(LSKY_V2_FULL), Some(&token))
        .await
        .json();
    assert_eq!(uploaded["status"], true, "{uploaded}");
    let key = uploaded["data"]["key"].as_str().unwrap();
    let url = uploaded["data"]["links"]["url"].as_str().unwrap();
    let pathname = uploaded["data"]["pathname"].as_str().unwrap();

    // The captured DELETE names the key of the upload PicList had made then (`AbCdEf`); a key
    // belongs to one upload, so this upload's key takes its place in the request line.
    let delete = with_target(&capture("piclist-lsky-v2-delete.req"), "AbCdEf", key);
    let first = replay(&app, &delete, Some(&token)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["status"], true, "{}", first.text());
    assert_eq!(fetch(url).await.0, 404, "{url}");
    let left = app
        .stored_files_eventually(|files| !files.iter().any(|f| f.ends_with(pathname)))
        .await;
    assert!(!left.iter().any(|f| f.ends_with(pathname)), "{left:?}");

    let again = replay(&app, &delete, Some(&token)).await;
    assert_eq!(again.status, 200, "{}", again.text());
    let body = again.json();
    assert_eq!(body["status"], false, "{body}");
    assert_eq!(body["code"], "object_not_found", "{body}");
    assert_has_message(&body);
}

/// PicList strips a trailing `/` from the server address when it uploads but not when it
/// deletes, so a server typed as `https://img.example.com/` deletes at `//api/v1/images/…`.
#[tokio::test]
async fn piclist_deletes_with_a_server_address_ending_in_a_slash() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let uploaded = replay(&app, &capture(LSKY_V2_FULL), Some(&token))
        .await
        .json();
    let key = uploaded["data"]["key"].as_str().unwrap();
    let url = uploaded["data"]["links"]["url"].as_str().unwrap();
    let delete = with_target(
        &capture("piclist-lsky-v2-delete.req"),
        "/api/v1/images/AbCdEf",
        &format!("//api/v1/images/{key}"),
    );
    let deleted = replay(&app, &delete, Some(&token)).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json()["status"], true, "{}", deleted.text());
    assert_eq!(fetch(url).await.0, 404, "{url}");
}

/// PicList's Lsky Pro V1 uploader (token in a `token:` header, file in `image`) succeeds only on
/// a numeric `code: 200`, and takes its link from `data.url`.
#[tokio::test]
async fn piclist_lsky_v1_reads_code_200_and_data_url() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let request = capture("piclist-lsky-v1.req");
    let reply = replay(&app, &request, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert!(body["code"].is_number(), "{body}");
    assert_eq!(body["code"], 200, "{body}");
    let url = body["data"]["url"].as_str().unwrap_or_default();
    assert_eq!(fetch(url).await, (200, capture_png(&request)), "{body}");
}

/// Stock PicGo's SM.MS uploader pointed at picgate with `backupDomain` (raw `Authorization`;
/// over plain HTTP here, a reverse proxy does the TLS in production). Both success tests hold:
/// old PicGo and PicList want `code === "success"`, PicGo 2.0.3+ `code === 200 || message ===
/// "success"`; the link is `data.url`.
#[tokio::test]
async fn picgo_smms_satisfies_old_and_new_picgo() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let request = capture("picgo-smms-backupdomain.req");
    let reply = replay(&app, &request, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["code"], "success", "old PicGo, PicList: {body}");
    assert!(
        body["code"] == 200 || body["message"] == "success",
        "PicGo 2.0.3+: {body}"
    );
    let url = body["data"]["url"].as_str().unwrap_or_default();
    assert_eq!(fetch(url).await, (200, capture_png(&request)), "{body}");
}

/// picgo-plugin-web-uploader against the native upload route with `folder=typora` in its
/// custom body: its `jsonPath` `data.url` finds a link to the picture, inside that folder.
#[tokio::test]
async fn picgo_web_uploader_finds_data_url_in_its_folder() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let request = capture("picgo-web-uploader.req");
    let reply = replay(&app, &request, Some(&token)).await;
    assert!(
        (200..300).contains(&reply.status),
        "{} {}",
        reply.status,
        reply.text()
    );
    let body = reply.json();
    let url = body["data"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("jsonPath data.url finds no string: {body}"));
    assert!(url.starts_with(&app.url("/f/images/typora/")), "{url}");
    assert_eq!(fetch(url).await, (200, capture_png(&request)));
}

/// PicList's "PicList server" uploader puts its server key in `?key=`. The captured
/// `SERVERKEY` is no token: PicList shows the `message` of a 200 `success: false` and nothing is
/// stored. With a real token there it gets `result[0]`, the link, and the `fullResult[0]` its
/// v1.8.1 reads without a check.
#[tokio::test]
async fn piclist_server_uploader_needs_a_token_as_its_key() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let request = capture("piclist-piclist-uploader.req");
    let before = app.stored_files();

    let refused = replay(&app, &request, None).await;
    assert_eq!(refused.status, 200, "{}", refused.text());
    let body = refused.json();
    assert_eq!(body["success"], false, "{body}");
    assert_has_message(&body);
    assert_eq!(app.stored_files(), before);

    let with_token = with_target(&request, "SERVERKEY", &token);
    let reply = replay(&app, &with_token, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["success"], true, "{body}");
    let url = body["result"][0].as_str().unwrap_or_default();
    assert_eq!(fetch(url).await, (200, capture_png(&request)), "{body}");
    assert!(body["fullResult"][0].is_object(), "{body}");
}

/// PicList and PicGo send a file name as raw UTF-8 with `"` written `%22` (the HTML form
/// encoding): the answer names the file as it was called on the user's machine.
#[tokio::test]
async fn a_quoted_file_name_comes_back_as_the_user_wrote_it() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let request = with_file_name(
        &capture("piclist-lsky-v2-minimal.req"),
        "shot.png",
        "截图 %22测试%22.png",
    );
    let answer = replay(&app, &request, Some(&token)).await.json();
    assert_eq!(answer["status"], true, "{answer}");
    assert_eq!(
        answer["data"]["origin_name"], "截图 \"测试\".png",
        "{answer}"
    );
    let markdown = answer["data"]["links"]["markdown"]
        .as_str()
        .unwrap_or_default();
    assert!(markdown.starts_with("![截图 \"测试\".png]("), "{markdown}");
}
