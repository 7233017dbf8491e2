//! Clients that stop sending a body, or trickle it, get 408 `request_timeout` once
//! `server.body_idle_timeout_secs` has passed (here 1 s), on every upload route, and nothing
//! they sent is kept: no object, no staging file.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{PNG, Sessions, TestApp, spawn_app_with};

const PACED: &str = "[server]\nbody_idle_timeout_secs = 1\nbody_min_bytes_per_sec = 1024\n";
const BOUNDARY: &str = "----paced";

/// Sends `head` and the start of a body whose `Content-Length` promises far more, then `drip`
/// bytes every 200 ms without ever finishing; answers the status line and the JSON body of the
/// answer (read within 10 s).
async fn stalled(app: &TestApp, head: &str, start: &[u8], drip: usize) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(start).await.unwrap();
    let dripping = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if drip > 0 && writer.write_all(&vec![0u8; drip]).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !complete(&answer) {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    }
    dripping.abort();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer within 10 s: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, json)
}

/// Whether a raw answer holds its whole head and a `Content-Length` body.
fn complete(raw: &[u8]) -> bool {
    let text = String::from_utf8_lossy(raw).to_lowercase();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .is_some_and(|n| body.len() >= n)
}

fn multipart_head(path: &str, token: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 10000000\r\n\r\n"
    )
}

fn file_start() -> Vec<u8> {
    [
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"shot.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
        PNG,
    ]
    .concat()
}

async fn upload_token(app: &TestApp) -> String {
    let user = app.user().await;
    let res = app
        .post_json(
            "/api/v1/auth/tokens",
            &serde_json::json!({"name": "paced", "scopes": ["upload"]}),
            Some(&user.access),
        )
        .await;
    res.data()["token"].as_str().unwrap().to_owned()
}

/// A body that stops: 408 on the native multipart upload, the raw `PUT`, the generic tool
/// route (real statuses) and the Lsky route (HTTP 200, `status: false`), with nothing stored.
#[tokio::test]
async fn an_upload_that_stops_is_answered_408_and_leaves_nothing() {
    let app = spawn_app_with(Sessions::Redis, PACED).await;
    let token = upload_token(&app).await;
    for path in ["/api/v1/buckets/images/objects", "/api/v1/tools/upload"] {
        let (status, body) = stalled(&app, &multipart_head(path, &token), &file_start(), 0).await;
        assert_eq!(status, 408, "{path}: {body}");
        assert_eq!(body["code"], "request_timeout", "{path}: {body}");
    }
    let (status, body) = stalled(
        &app,
        &multipart_head("/api/v1/upload", &token),
        &file_start(),
        0,
    )
    .await;
    assert_eq!(
        (status, &body["status"]),
        (200, &Value::Bool(false)),
        "{body}"
    );
    assert_eq!(body["code"], "request_timeout", "{body}");
    let put = format!(
        "PUT /api/v1/buckets/images/objects/raw.png HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nContent-Length: 10000000\r\n\r\n"
    );
    let (status, body) = stalled(&app, &put, PNG, 0).await;
    assert_eq!(status, 408, "{body}");
    let left = app.stored_files_eventually(|files| files.is_empty()).await;
    assert!(left.is_empty(), "{left:?}");
}

/// A trickle (20 bytes every 200 ms, 100 B/s against the 1 KiB/s floor) fails once a second
/// of waiting has passed, however long the client would go on.
#[tokio::test]
async fn an_upload_that_trickles_is_answered_408() {
    let app = spawn_app_with(Sessions::Redis, PACED).await;
    let token = upload_token(&app).await;
    let head = multipart_head("/api/v1/tools/upload", &token);
    let (status, body) = stalled(&app, &head, &file_start(), 20).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["code"], "request_timeout", "{body}");
    let left = app.stored_files_eventually(|files| files.is_empty()).await;
    assert!(left.is_empty(), "{left:?}");
}
