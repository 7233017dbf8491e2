//! The captured clients, refused: each sees why (bad token, wrong type, too large; a delete
//! without the scope or by someone else), and nothing is stored or deleted.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::client::{
    api_token, assert_has_message, fetch, lsky_delete, lsky_v2, tools_upload, wrong,
};
use super::wire::{LSKY_V2_FULL, capture, replay};
use crate::helpers::{PNG, Sessions, spawn_app, spawn_app_with};

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

/// A body whose declared length no bucket could take is refused at once, before any of it is
/// read: 413 on the generic route, HTTP 200 `payload_too_large` on the Lsky route.
#[tokio::test]
async fn an_impossible_content_length_is_refused_before_the_body() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    for (path, status) in [("/api/v1/tools/upload", 413), ("/api/v1/upload", 200)] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 5497558138880\r\n\r\n\
             --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n"
        );
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .unwrap();
        let (mut reader, mut writer) = stream.into_split();
        writer.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), reader.read(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer before the body"))
            .unwrap();
        let text = String::from_utf8_lossy(&answer[..n]).into_owned();
        assert!(
            text.starts_with(&format!("HTTP/1.1 {status} ")),
            "{path}: {text}"
        );
        assert!(text.contains("payload_too_large"), "{path}: {text}");
        drop(writer);
    }
}

/// A tool that sends JSON (uPic's default) or the raw file is told how to send it instead.
#[tokio::test]
async fn a_body_that_is_no_form_is_told_how_to_send_the_file() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload"]).await;
    let res = app
        .client
        .post(app.url("/api/v1/tools/upload"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"file": "iVBORw0KGgo="}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_multipart", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("multipart/form-data") && message.contains("`file`"),
        "{body}"
    );
}
