//! Upload tools, unmodified: PicList (Lsky Pro V1 and V2, its delete, the PicList server
//! uploader), PicGo (SM.MS with a `backupDomain`), picgo-plugin-web-uploader, each replayed
//! from the bytes it really sent (`clients/captures/`, with `replay_raw.py`'s rules), and
//! ShareX driven from the `.sxcu` picgate hands out. Each test asserts what the tool reads
//! from the answer, so a pass means the user gets their link (or sees why not).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rstest::rstest;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    Answer, Backend, PNG, Sessions, TestApp, spawn_app, spawn_app_on, spawn_app_with,
};

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

const LSKY_V2_FULL: &str = "piclist-lsky-v2-full.req";

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

// --- The captured clients, succeeding ---------------------------------------------------------

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

// --- The captured clients, refused ------------------------------------------------------------

/// PicList shows the reason of a 200 `status: false` answer (a 4xx shows only "status code
/// 4xx"): a wrong token says so, a text file named `.png` and a file over the bucket's limit
/// are refused with their own codes, and none of them leaves anything stored.
#[tokio::test]
async fn lsky_v2_refusals_tell_piclist_why_and_store_nothing() {
    let app = spawn_app_with(
        Sessions::Embedded,
        "[buckets.images]\nmax_object_bytes = 1000\n",
    )
    .await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let before = app.stored_files();

    let reply = replay(&app, &capture(LSKY_V2_FULL), Some(&wrong(&token))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["status"], false, "{body}");
    assert_eq!(body["code"], "invalid_token", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.to_lowercase().contains("token"), "{body}");

    let bearer = format!("Bearer {token}");
    let text = lsky_v2(&app, &bearer, "a.png", b"hello".to_vec(), &[]).await;
    assert_eq!(text.status, 200, "{}", text.body);
    assert_eq!(text.body["status"], false, "{}", text.body);
    assert_eq!(text.code(), "unsupported_media_type", "{}", text.body);
    assert_has_message(&text.body);

    let mut big = PNG.to_vec();
    big.resize(5000, 0);
    let large = lsky_v2(&app, &bearer, "big.png", big, &[]).await;
    assert_eq!(large.status, 200, "{}", large.body);
    assert_eq!(large.body["status"], false, "{}", large.body);
    assert_eq!(large.code(), "payload_too_large", "{}", large.body);
    assert_has_message(&large.body);

    assert_eq!(app.stored_files(), before);
}

/// PicGo's SM.MS uploader with a wrong token: neither success test passes (old or new PicGo),
/// and the user sees the `message`.
#[tokio::test]
async fn smms_with_a_wrong_token_fails_with_a_message() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let before = app.stored_files();
    let reply = replay(
        &app,
        &capture("picgo-smms-backupdomain.req"),
        Some(&wrong(&token)),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_ne!(body["code"], "success", "{body}");
    assert_ne!(body["code"], 200, "{body}");
    assert_ne!(body["message"], "success", "{body}");
    assert_has_message(&body);
    assert_eq!(app.stored_files(), before);
}

/// PicList's Lsky V1 uploader with a wrong token: no `code: 200`, and a `message` to show (Lsky
/// 1.x itself only had `msg`, so its users saw "undefined").
#[tokio::test]
async fn lsky_v1_with_a_wrong_token_fails_with_a_message() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let before = app.stored_files();
    let reply = replay(&app, &capture("piclist-lsky-v1.req"), Some(&wrong(&token))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_ne!(body["code"], 200, "{body}");
    assert_has_message(&body);
    assert_eq!(app.stored_files(), before);
}

/// ShareX only looks at the HTTP status, so its route refuses with real statuses (401, 415,
/// 413) and a `message` for its error window.
#[tokio::test]
async fn the_sharex_route_refuses_with_real_statuses() {
    let app = spawn_app_with(
        Sessions::Embedded,
        "[buckets.images]\nmax_object_bytes = 1000\n",
    )
    .await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let before = app.stored_files();

    let bad = tools_upload(&app, &wrong(&token), "ShareX_abc.png", PNG.to_vec()).await;
    bad.assert_error(401, "invalid_token");
    assert_has_message(&bad.body);

    let text = tools_upload(&app, &token, "ShareX_abc.png", b"hello".to_vec()).await;
    text.assert_error(415, "unsupported_media_type");
    assert_has_message(&text.body);

    let mut big = PNG.to_vec();
    big.resize(5000, 0);
    let large = tools_upload(&app, &token, "ShareX_abc.png", big).await;
    large.assert_error(413, "payload_too_large");
    assert_has_message(&large.body);

    assert_eq!(app.stored_files(), before);
}

/// PicList's "delete on cloud" with a token that may only upload is refused, and so is someone
/// else's token: PicList reports the failure with a reason, and the picture stays online. The
/// owner's token with the `delete` scope then deletes it.
#[tokio::test]
async fn deleting_through_lsky_needs_the_delete_scope_and_the_owner() {
    let app = spawn_app().await;
    let alice = app.user().await;
    let bob = app.user().await;
    let upload_only = api_token(&app, &alice.access, &["upload"]).await;
    let bobs = api_token(&app, &bob.access, &["upload", "delete"]).await;
    let uploaded = lsky_v2(
        &app,
        &format!("Bearer {upload_only}"),
        "shot.png",
        PNG.to_vec(),
        &[],
    )
    .await;
    assert_eq!(uploaded.body["status"], true, "{}", uploaded.body);
    let key = uploaded.data()["key"].as_str().unwrap();
    let url = uploaded.data()["links"]["url"].as_str().unwrap();

    for (token, code) in [(&upload_only, "insufficient_scope"), (&bobs, "not_owner")] {
        let refused = lsky_delete(&app, key, token).await;
        assert_eq!(refused.status, 200, "{}", refused.body);
        assert_eq!(refused.body["status"], false, "{}", refused.body);
        assert_eq!(refused.code(), code, "{}", refused.body);
        assert_has_message(&refused.body);
        assert_eq!(fetch(url).await, (200, PNG.to_vec()));
    }

    let alices = api_token(&app, &alice.access, &["delete"]).await;
    let deleted = lsky_delete(&app, key, &alices).await;
    assert_eq!(deleted.body["status"], true, "{}", deleted.body);
    assert_eq!(fetch(url).await.0, 404);
}

// --- Lsky's other endpoints -------------------------------------------------------------------

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
    }
}

// --- ShareX -----------------------------------------------------------------------------------

/// The `.sxcu` picgate hands out drives ShareX unmodified: the upload answers a link to the
/// picture; the deletion link, opened in a browser, shows a confirmation page and deletes
/// nothing; submitting its form deletes the picture.
#[tokio::test]
async fn sharex_uploads_and_deletes_with_the_sxcu_picgate_gives() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/tools/sharex.sxcu?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("\"picgate.sxcu\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    let sxcu: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    // ShareX refuses a custom uploader without a Version, or of 12.3.1 or older.
    assert!(sxcu["Version"].as_str().is_some(), "{sxcu}");

    let (status, text) = sharex_upload(&sxcu, PNG).await;
    assert!((200..300).contains(&status), "{status} {text}");
    let reply: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("ShareX wants the answer as JSON: {text}"));
    let url = resolve(sxcu["URL"].as_str().unwrap_or_default(), &reply);
    assert_eq!(fetch(&url).await, (200, PNG.to_vec()), "{url} from {reply}");
    let deletion = resolve(sxcu["DeletionURL"].as_str().unwrap_or_default(), &reply);
    assert!(deletion.starts_with("http"), "{deletion:?} from {reply}");

    // ShareX opens the deletion link in the user's browser: a GET with no headers.
    let page = reqwest::Client::new().get(&deletion).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let kind = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("text/html"), "{kind}");
    let html = page.text().await.unwrap();
    let form = html_form(&html).unwrap_or_else(|| panic!("no <form> on the page: {html}"));
    assert_eq!(fetch(&url).await, (200, PNG.to_vec()), "looking deleted it");

    assert!(form.method.eq_ignore_ascii_case("post"), "{html}");
    let action = reqwest::Url::parse(&deletion)
        .unwrap()
        .join(&form.action)
        .unwrap();
    let (status, page) = browser_post(&deletion, action.as_str(), &form.fields).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(fetch(&url).await.0, 404, "{url}");
}

/// The `.sxcu` puts its token into a file that gets shared and copied to every machine, so it
/// is only made for an API token that may upload: not for a login session, not for a read-only
/// token, and not without a token.
#[tokio::test]
async fn the_sxcu_is_only_made_for_an_api_token_that_may_upload() {
    let app = spawn_app().await;
    let user = app.user().await;
    let read_only = api_token(&app, &user.access, &["read"]).await;
    let path = "/api/v1/tools/sharex.sxcu";
    app.get(&format!("{path}?token={}", user.access))
        .await
        .assert_error(403, "api_token_required");
    app.get_auth(path, &user.access)
        .await
        .assert_error(403, "api_token_required");
    app.get(&format!("{path}?token={read_only}"))
        .await
        .assert_error(403, "insufficient_scope");
    app.get(path).await.assert_error(401, "missing_token");
}

/// A deletion link someone altered deletes nothing; the real one still does.
#[tokio::test]
async fn a_tampered_deletion_link_deletes_nothing() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let uploaded = tools_upload(&app, &token, "ShareX_abc.png", PNG.to_vec()).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    let url = uploaded.data()["links"]["url"].as_str().unwrap().to_owned();
    let deletion = uploaded.data()["delete_url"].as_str().unwrap().to_owned();

    let forged = tampered(&deletion);
    assert_ne!(forged, deletion);
    let (status, page) = browser_post(&forged, &forged, &[]).await;
    assert_eq!(status, 403, "{page}");
    assert_eq!(fetch(&url).await, (200, PNG.to_vec()));

    let (status, page) = browser_post(&deletion, &deletion, &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(fetch(&url).await.0, 404);
}

/// A deletion link is for the picture it was made for: once its key holds other content, the
/// old link deletes nothing and the new content stays.
#[tokio::test]
async fn a_deletion_link_for_a_replaced_picture_deletes_nothing() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let uploaded = tools_upload(&app, &token, "ShareX_abc.png", PNG.to_vec()).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    assert_eq!(uploaded.data()["bucket"], "images", "{}", uploaded.body);
    let url = uploaded.data()["links"]["url"].as_str().unwrap().to_owned();
    let deletion = uploaded.data()["delete_url"].as_str().unwrap().to_owned();
    let pathname = uploaded.data()["pathname"].as_str().unwrap().to_owned();

    let newer = [PNG, &b"a newer picture"[..]].concat();
    let replaced = app
        .put(&user.access, "images", &pathname, newer.clone())
        .await;
    assert_eq!(replaced.body["success"], true, "{}", replaced.body);

    let (status, page) = browser_post(&deletion, &deletion, &[]).await;
    assert_eq!(status, 409, "{page}");
    assert_eq!(fetch(&url).await, (200, newer));
}

// --- Key templates ----------------------------------------------------------------------------

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

// --- Helpers ----------------------------------------------------------------------------------

/// The answer to a replayed request, read off the wire.
struct Reply {
    status: u16,
    /// Names in lowercase, in order.
    headers: Vec<(String, String)>,
    /// Unchunked and decompressed, as the client's HTTP library hands it over.
    body: Vec<u8>,
}

impl Reply {
    fn parse(mut raw: &[u8]) -> Self {
        loop {
            let head_end = find(raw, b"\r\n\r\n")
                .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
            let head = std::str::from_utf8(&raw[..head_end]).expect("an ASCII head");
            let rest = &raw[head_end + 4..];
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default();
            let status: u16 = status_line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
            if (100..200).contains(&status) {
                raw = rest;
                continue;
            }
            let headers: Vec<(String, String)> = lines
                .map(|l| {
                    let (name, value) = l.split_once(':').expect("a header line");
                    (name.trim().to_ascii_lowercase(), value.trim().to_owned())
                })
                .collect();
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.to_ascii_lowercase())
            };
            let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
                dechunk(rest)
            } else if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok())
            {
                rest[..len.min(rest.len())].to_vec()
            } else {
                rest.to_vec()
            };
            let body = decoded(header("content-encoding").as_deref(), body);
            return Self {
                status,
                headers,
                body,
            };
        }
    }

    fn text(&self) -> String {
        let head: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!(
            "{}\n{}\n\n{}",
            self.status,
            head.join("\n"),
            String::from_utf8_lossy(&self.body)
        )
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
}

/// Sends a captured request as `replay_raw.py` does, over a raw connection: the request line,
/// header order and casing, boundary and body exactly as captured; only `Host` is rewritten,
/// `Connection` set to `close`, and, given a `token`, the `Authorization` or `token:` value
/// replaced by it in the captured form (`Bearer ` kept if the client sent it, raw otherwise).
/// Reads the answer to the end of the connection.
async fn replay(app: &TestApp, request: &[u8], token: Option<&str>) -> Reply {
    let head_end = find(request, b"\r\n\r\n").expect("a captured head");
    let head = std::str::from_utf8(&request[..head_end]).expect("an ASCII head");
    let body = &request[head_end + 4..];
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    // An absolute-form target (a proxy's) goes to origin form.
    let target = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let mut out = format!("{method} {target} {version}\r\n");
    let mut closes = false;
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        let lname = name.trim().to_ascii_lowercase();
        let replaced = match lname.as_str() {
            "host" => Some(format!("127.0.0.1:{}", app.port)),
            "connection" => {
                closes = true;
                Some("close".to_owned())
            }
            "authorization" | "token" => token.map(|t| {
                let value = value.trim();
                let bearer = value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer ");
                if bearer {
                    format!("{} {t}", &value[..6])
                } else {
                    t.to_owned()
                }
            }),
            _ => None,
        };
        match replaced {
            Some(value) => out.push_str(&format!("{name}: {value}\r\n")),
            None => out.push_str(&format!("{line}\r\n")),
        }
    }
    if !closes {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let message = [out.as_bytes(), body].concat();

    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(&message).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection within 30 s")
        .unwrap();
    Reply::parse(&answer)
}

/// A capture's bytes, from `clients/captures/`.
fn capture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("api/clients/captures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `request` with `from` replaced by `to` in its request line (nowhere else).
fn with_target(request: &[u8], from: &str, to: &str) -> Vec<u8> {
    let line_end = find(request, b"\r\n").expect("a request line");
    let line = std::str::from_utf8(&request[..line_end]).unwrap();
    assert!(line.contains(from), "{line:?} has no {from}");
    [line.replacen(from, to, 1).as_bytes(), &request[line_end..]].concat()
}

/// The picture a capture carries: from the PNG signature to the end of its `IEND` chunk.
fn capture_png(request: &[u8]) -> Vec<u8> {
    let start = find(request, b"\x89PNG\r\n\x1a\n").expect("a PNG in the capture");
    let end = start + find(&request[start..], b"IEND\xaeB`\x82").expect("an IEND chunk") + 8;
    request[start..end].to_vec()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A chunked body (RFC 9112 §7.1), joined.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = find(raw, b"\r\n").expect("a chunk size line");
        let line = std::str::from_utf8(&raw[..line_end]).expect("an ASCII chunk size");
        let size_hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).expect("a hex chunk size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// The body under its `Content-Encoding` (the clients send `Accept-Encoding: gzip, compress,
/// deflate, br`, and axios decodes it).
fn decoded(encoding: Option<&str>, body: Vec<u8>) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let read = match encoding.map(str::trim) {
        None | Some("identity") => return body,
        Some("br") => brotli::Decompressor::new(&body[..], 4096).read_to_end(&mut out),
        Some("gzip") => flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out),
        Some("deflate") => flate2::read::ZlibDecoder::new(&body[..]).read_to_end(&mut out),
        Some(other) => panic!("a content coding the client never asked for: {other}"),
    };
    read.expect("a well-formed compressed body");
    out
}

/// GETs a link as an image viewer does: no token, no cookie. The status and the bytes.
async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let res = reqwest::Client::new().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}

/// Mints an API token for the holder of `session`, as the user does in the web UI.
async fn api_token(app: &TestApp, session: &str, scopes: &[&str]) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": format!("tools {scopes:?}"), "scopes": scopes}),
            Some(session),
        )
        .await;
    res.assert_ok(201);
    res.data()["token"].as_str().unwrap().to_owned()
}

/// `token` with its last character changed: well-formed, but a token nobody holds.
fn wrong(token: &str) -> String {
    let mut wrong = token.to_owned();
    let last = wrong.pop().unwrap_or('a');
    wrong.push(if last == 'a' { 'b' } else { 'a' });
    wrong
}

/// A deletion link with one character of its ticket (near the middle) changed.
fn tampered(link: &str) -> String {
    let at = link.rfind('/').unwrap() + 1;
    let ticket = &link.as_bytes()[at..];
    let mid = ticket.len() / 2;
    let i = (mid..ticket.len())
        .chain(0..mid)
        .find(|&i| ticket[i].is_ascii_alphanumeric())
        .expect("an alphanumeric ticket");
    let mut bytes = link.as_bytes().to_vec();
    bytes[at + i] = if bytes[at + i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// A multipart upload as PicList, PicGo and ShareX send it: `field` holds the file (declared
/// `image/png`, as form-data guesses from the name), then `fields`.
async fn multipart_post(
    app: &TestApp,
    path: &str,
    authorization: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Answer {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/png")
        .unwrap();
    let mut form = reqwest::multipart::Form::new().part(field.to_owned(), part);
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let res = app
        .client
        .post(app.url(path))
        .header("accept", "application/json")
        .header("authorization", authorization)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// PicList's Lsky V2 upload: `file`, `ssl=true`, then `fields`; `Authorization` verbatim.
async fn lsky_v2(
    app: &TestApp,
    authorization: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Answer {
    let fields = [&[("ssl", "true")][..], fields].concat();
    multipart_post(
        app,
        "/api/v1/upload",
        authorization,
        "file",
        name,
        bytes,
        &fields,
    )
    .await
}

/// PicList's delete: `DELETE /api/v1/images/{key}`, the key pasted raw into the path.
async fn lsky_delete(app: &TestApp, key: &str, token: &str) -> Answer {
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/images/{key}")))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// An upload to the ShareX route, `file` with a bearer token.
async fn tools_upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Answer {
    let bearer = format!("Bearer {token}");
    multipart_post(
        app,
        "/api/v1/tools/upload",
        &bearer,
        "file",
        name,
        bytes,
        &[],
    )
    .await
}

/// Sends `bytes` as `ShareX_abc.png` the way ShareX does from `sxcu`
/// (`RequestHelpers.CreateWebRequest`, `Uploader.SendRequestFile`): its method, its URL with
/// `Parameters` as the query, its `Headers`, a multipart body with the `Arguments` first and
/// the file last under `FileFormName`, a boundary of 20 dashes and .NET ticks in hex.
async fn sharex_upload(sxcu: &Value, bytes: &[u8]) -> (u16, String) {
    assert_eq!(sxcu["Body"], "MultipartFormData", "{sxcu}");
    let as_text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut url = reqwest::Url::parse(sxcu["RequestURL"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("RequestURL: {e}: {sxcu}"));
    if let Some(params) = sxcu["Parameters"].as_object()
        && !params.is_empty()
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, &as_text(v));
        }
    }
    let method = sxcu["RequestMethod"].as_str().unwrap_or("POST");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();

    let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let ticks = unix.as_nanos() / 100 + 621_355_968_000_000_000;
    let boundary = format!("{}{ticks:x}", "-".repeat(20));
    let mut body = Vec::new();
    for (k, v) in sxcu["Arguments"].as_object().into_iter().flatten() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{}\r\n",
                as_text(v)
            )
            .as_bytes(),
        );
    }
    let field = sxcu["FileFormName"].as_str().expect("FileFormName");
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"ShareX_abc.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

    let headers = sxcu["Headers"].as_object().cloned().unwrap_or_default();
    let mut req = reqwest::Client::new().request(method, url).header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    );
    if !headers.keys().any(|k| k.eq_ignore_ascii_case("user-agent")) {
        req = req.header("user-agent", "ShareX/17.0.0");
    }
    for (k, v) in &headers {
        req = req.header(k.as_str(), as_text(v));
    }
    let res = req.body(body).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// ShareX's `{json:path}` placeholders resolved against `reply`, for dot paths
/// (`data.links.url`, `files.0.url`); the text around them is kept.
fn resolve(template: &str, reply: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{json:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{json:".len()..];
        let end = after.find('}').expect("a closed {json:…}");
        let mut value = reply;
        for segment in after[..end].trim_start_matches("$.").split('.') {
            value = match value {
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => value.get(segment),
            }
            .unwrap_or(&Value::Null);
        }
        match value {
            Value::String(s) => out.push_str(s),
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The first form of a page, as a browser reads it.
struct HtmlForm {
    method: String,
    action: String,
    /// What a browser submits: hidden inputs and the (first) named submit button.
    fields: Vec<(String, String)>,
}

fn html_form(html: &str) -> Option<HtmlForm> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<form")?;
    let open_end = start + lower[start..].find('>')?;
    let end = lower[start..]
        .find("</form")
        .map_or(html.len(), |e| start + e);
    let tag = &html[start..=open_end];
    let mut fields = Vec::new();
    let mut submit_named = false;
    let mut at = open_end;
    while let Some(i) = lower[at..end].find('<') {
        let tag_start = at + i;
        let tag_end = tag_start + lower[tag_start..].find('>')?;
        let inner = &html[tag_start..=tag_end];
        let lower_inner = &lower[tag_start..=tag_end];
        at = tag_end;
        let kind = attr(inner, "type").unwrap_or_default().to_ascii_lowercase();
        let (is_input, is_button) = (
            lower_inner.starts_with("<input"),
            lower_inner.starts_with("<button"),
        );
        let submit = (is_input && kind == "submit") || (is_button && kind != "button");
        let hidden = is_input && kind == "hidden";
        let Some(name) = attr(inner, "name") else {
            continue;
        };
        if hidden || (submit && !submit_named) {
            submit_named |= submit;
            fields.push((name, attr(inner, "value").unwrap_or_default()));
        }
    }
    Some(HtmlForm {
        method: attr(tag, "method").unwrap_or_else(|| "get".into()),
        action: attr(tag, "action").unwrap_or_default(),
        fields,
    })
}

/// The value of attribute `name` in an HTML start tag, unquoted and unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let after_space = lower[..at].ends_with(|c: char| c.is_ascii_whitespace());
        let rest = lower[from..].trim_start();
        if !after_space || !rest.starts_with('=') {
            continue;
        }
        let value = tag[tag.len() - rest.len() + 1..].trim_start();
        let raw = match value.chars().next()? {
            quote @ ('"' | '\'') => value[1..].split(quote).next()?,
            _ => value
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()?,
        };
        return Some(
            raw.replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&#x27;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
    }
    None
}

/// A form submitted by a browser on `page`: a POST of its fields, form-urlencoded, with the
/// page's `Origin`. The status and the page that comes back.
async fn browser_post(page: &str, action: &str, fields: &[(String, String)]) -> (u16, String) {
    let origin = reqwest::Url::parse(page)
        .unwrap()
        .origin()
        .ascii_serialization();
    let res = reqwest::Client::new()
        .post(action)
        .header("origin", origin)
        .form(fields)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[track_caller]
fn assert_has_message(body: &Value) {
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "no message for the user: {body}"
    );
}
