//! Graceful shutdown of a real `picgate` process: on SIGTERM (or SIGINT) it stops accepting
//! connections, lets an upload in flight finish within `server.shutdown_grace_secs` and exits
//! 0; an upload still arriving when the grace period ends fails, nothing of it is stored, and
//! the process still exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;

mod common;

use common::Instance;

const BODY_BYTES: usize = 300_000;

async fn start(data: &Path, grace_secs: u64) -> Instance {
    let grace = grace_secs.to_string();
    let env = [("PICGATE__SERVER__SHUTDOWN_GRACE_SECS", grace.as_str())];
    common::start(data, &env, Stdio::null()).await
}

/// Opens a raw `PUT` of `body` to `files/<key>` and sends its first `sent` bytes.
fn begin_upload(app: &Instance, token: &str, key: &str, body: &[u8], sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "PUT /api/v1/buckets/files/objects/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..sent]).unwrap();
    stream
}

/// The status line and headers of the answer on `stream`, lower-cased.
fn response_head(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            other => panic!(
                "the answer broke off after {:?}: {other:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8_lossy(&got).to_lowercase()
}

fn body() -> Vec<u8> {
    (0..BODY_BYTES).map(|i| (i % 251) as u8).collect()
}

/// Every file under `dir`, recursively (empty if it does not exist).
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_upload_in_flight_finish_then_exits_0() {
    let data = TempDir::new().unwrap();
    let mut app = start(data.path(), 20).await;
    let (token, _) = app.login().await;
    let body = body();
    let mut upload = begin_upload(&app, &token, "slow.bin", &body, BODY_BYTES / 2);
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    app.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    // No new connections once shutting down.
    assert!(
        TcpStream::connect(("127.0.0.1", app.port)).is_err(),
        "a new connection was accepted after SIGTERM"
    );
    upload.write_all(&body[BODY_BYTES / 2..]).unwrap();
    let head = response_head(&mut upload);
    assert!(head.starts_with("http/1.1 201"), "{head}");
    drop(upload);
    let status = app.exit_within(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "{status}");
    // It did not sit out the whole grace period once nothing was left to do.
    assert!(signalled.elapsed() < Duration::from_secs(15));
    let stored = std::fs::read(data.path().join("files/slow.bin")).unwrap();
    assert!(stored == body, "the stored object differs from the upload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_still_arriving_when_the_grace_period_ends_stores_nothing() {
    let data = TempDir::new().unwrap();
    let mut app = start(data.path(), 1).await;
    let (token, _) = app.login().await;
    let body = body();
    let mut upload = begin_upload(&app, &token, "cut.bin", &body, BODY_BYTES / 2);
    std::thread::sleep(Duration::from_millis(300));
    app.signal("TERM");
    // The client never sends the rest: the grace period (1 s) ends first.
    let head = response_head(&mut upload);
    assert!(head.starts_with("http/1.1 408"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let status = app.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(!data.path().join("files/cut.bin").exists());
    assert_eq!(
        files_under(&data.path().join("files")),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        files_under(&data.path().join(".tmp")),
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_ends_the_grace_period_at_once() {
    let data = TempDir::new().unwrap();
    let mut app = start(data.path(), 60).await;
    let (token, _) = app.login().await;
    let body = body();
    let mut upload = begin_upload(&app, &token, "cut.bin", &body, BODY_BYTES / 2);
    std::thread::sleep(Duration::from_millis(300));
    app.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    let second = std::time::Instant::now();
    app.signal("INT");
    let head = response_head(&mut upload);
    assert!(head.starts_with("http/1.1 408"), "{head}");
    let status = app.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        second.elapsed() < Duration::from_secs(5),
        "{:?}",
        second.elapsed()
    );
    assert!(!data.path().join("files/cut.bin").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_does_not_wait_for_a_download_either() {
    let data = TempDir::new().unwrap();
    let mut app = start(data.path(), 60).await;
    let (token, _) = app.login().await;
    let big: Vec<u8> = (0..16 << 20).map(|i: usize| (i % 251) as u8).collect();
    let stored = reqwest::Client::new()
        .put(app.url("/api/v1/buckets/files/objects/big.bin"))
        .bearer_auth(&token)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    // A download the client does not read: the server blocks on full socket buffers.
    let mut download = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    let get = format!(
        "GET /api/v1/buckets/files/objects/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    download.write_all(get.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    app.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    let second = std::time::Instant::now();
    app.signal("TERM");
    let status = app.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        second.elapsed() < Duration::from_secs(4),
        "{:?}",
        second.elapsed()
    );
    drop(download);
}

/// On S3 an upload of 8 MiB or more is a multipart upload: one cut off by the end of the grace
/// period is aborted (no object, no parts left behind), not completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_cut_off_by_the_grace_period_is_aborted_on_s3() {
    let data = TempDir::new().unwrap();
    let s3 = testkit::S3Server::start();
    let (endpoint, bucket) = (s3.endpoint(), s3.bucket().to_owned());
    let env = [
        ("PICGATE__SERVER__SHUTDOWN_GRACE_SECS", "2"),
        ("PICGATE__BUCKETS__FILES__BACKEND__TYPE", "s3"),
        (
            "PICGATE__BUCKETS__FILES__BACKEND__ENDPOINT",
            endpoint.as_str(),
        ),
        ("PICGATE__BUCKETS__FILES__BACKEND__BUCKET", bucket.as_str()),
        ("PICGATE__BUCKETS__FILES__BACKEND__ROOT", "files/"),
        (
            "PICGATE__BUCKETS__FILES__BACKEND__ACCESS_KEY_ID",
            s3.access_key(),
        ),
        (
            "PICGATE__BUCKETS__FILES__BACKEND__SECRET_ACCESS_KEY",
            s3.secret_key(),
        ),
    ];
    let mut app = common::start(data.path(), &env, Stdio::null()).await;
    let (token, _) = app.login().await;
    // 40 MiB declared, 24 MiB sent: parts have gone to S3 (the rest of what was sent may still
    // be in the sockets' buffers).
    let body: Vec<u8> = (0..40 << 20).map(|i: usize| (i % 251) as u8).collect();
    let mut upload = begin_upload(&app, &token, "big.bin", &body, 24 << 20);
    // The multipart upload has begun: a part is on the S3 server.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !s3.dangling_uploads().iter().any(|f| f.contains(".part-")) {
        assert!(std::time::Instant::now() < deadline, "no part reached S3");
        std::thread::sleep(Duration::from_millis(50));
    }
    app.signal("TERM");
    let head = response_head(&mut upload);
    assert!(head.starts_with("http/1.1 408"), "{head}");
    let status = app.exit_within(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "{status}");
    assert_eq!(s3.objects(&bucket, "files/"), Vec::<String>::new());
    assert_eq!(s3.dangling_uploads(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_shuts_down_the_same_way() {
    let data = TempDir::new().unwrap();
    let mut app = start(data.path(), 20).await;
    app.signal("INT");
    let status = app.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status}");
}
