//! What becomes of a connection after an answer that leaves the request body unread: the
//! answer arrives while the client is still sending, says `Connection: close`, and the server
//! closes the connection soon after (RFC 9112 §9.6), whatever the client then does, so no
//! connection and no file descriptor is left behind.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;

use crate::helpers::{PNG, TestApp, spawn_app};

/// How long the server may take to close after its answer (it reads and discards for up to a
/// second before it does).
const CLOSE_WITHIN: Duration = Duration::from_secs(5);

/// One request sent with a chunked body the client keeps sending and never ends.
struct EndlessUpload {
    /// The answer's head and body, lower-cased.
    answer: String,
    /// Whether the server closed the connection (end of stream or reset) after answering,
    /// while the client still held its side open.
    closed: bool,
    /// Kept open to the end: a client that neither finishes nor hangs up.
    _writer: tokio::task::JoinHandle<OwnedWriteHalf>,
}

/// Sends `head` (with `Transfer-Encoding: chunked`), then `prefix` and zeros in 64 KiB chunks
/// up to `total` bytes, without the closing chunk; reads the answer and waits for the server
/// to close.
async fn endless_upload(app: &TestApp, head: &str, prefix: &[u8], total: usize) -> EndlessUpload {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    let mut first = prefix.to_vec();
    first.resize(64 * 1024, 0);
    let rest = vec![0u8; 64 * 1024];
    let writer = tokio::spawn(async move {
        let mut sent = 0;
        while sent < total {
            let chunk = if sent == 0 { &first } else { &rest };
            let framed = [
                format!("{:x}\r\n", chunk.len()).as_bytes(),
                chunk.as_slice(),
                b"\r\n",
            ]
            .concat();
            // A server that stopped reading blocks this write; one that closed fails it.
            if writer.write_all(&framed).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
        writer
    });

    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + CLOSE_WITHIN;
    let closed = loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Err(_) => break false,
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    };
    EndlessUpload {
        answer: String::from_utf8_lossy(&answer).to_lowercase(),
        closed,
        _writer: writer,
    }
}

impl EndlessUpload {
    /// The answer has `status` and says `Connection: close`, and the server then closed.
    #[track_caller]
    fn assert_answered_then_closed(&self, status: &str, what: &str) {
        assert!(
            self.answer.starts_with(&format!("http/1.1 {status}")),
            "{what}: {}",
            self.answer
        );
        assert!(
            self.answer.contains("connection: close"),
            "{what}: {}",
            self.answer
        );
        assert!(
            self.closed,
            "{what}: the connection stayed open after the {status}"
        );
    }
}

fn chunked_head(method: &str, path: &str, token: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
}

/// A PNG body sent far past the `images` bucket's 20 MiB: refused with 413 while it streams,
/// and the connection is closed although the client neither finishes nor hangs up.
#[tokio::test]
async fn a_chunked_upload_far_past_the_limit_is_refused_and_its_connection_closed() {
    let app = spawn_app().await;
    let user = app.user().await;
    let head = chunked_head(
        "PUT",
        "/api/v1/buckets/images/objects/big.png",
        &user.access,
    );
    let upload = endless_upload(&app, &head, PNG, 24 << 20).await;
    upload.assert_answered_then_closed("413", "big.png");
    assert!(
        upload.answer.contains("\"payload_too_large\""),
        "{}",
        upload.answer
    );
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}

/// Text into the image bucket: refused with 415 once the first bytes are sniffed, at once and
/// with `Connection: close`, while the client still sends.
#[tokio::test]
async fn an_upload_refused_after_its_first_bytes_closes_its_connection() {
    let app = spawn_app().await;
    let user = app.user().await;
    let head = chunked_head(
        "PUT",
        "/api/v1/buckets/images/objects/notes.txt",
        &user.access,
    );
    let upload = endless_upload(&app, &head, b"plain text, not an image", 8 << 20).await;
    upload.assert_answered_then_closed("415", "notes.txt");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}

/// A route that never reads a body (a login answered 401 before reading, `/healthz`) still
/// answers, and then closes the connection instead of waiting for a body that never ends.
#[tokio::test]
async fn an_answer_that_ignores_a_streaming_body_closes_its_connection() {
    let app = spawn_app().await;
    let user = app.user().await;
    for (method, path, status) in [
        ("GET", "/healthz", "200"),
        ("POST", "/api/v1/buckets/nosuch/objects", "404"),
    ] {
        let head = chunked_head(method, path, &user.access);
        let upload = endless_upload(&app, &head, b"", 8 << 20).await;
        upload.assert_answered_then_closed(status, path);
    }
}

/// A body read to its end leaves the connection open: the next request on it is answered.
#[tokio::test]
async fn a_body_read_to_its_end_keeps_the_connection_for_the_next_request() {
    let app = spawn_app().await;
    let user = app.user().await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = chunked_head(
        "PUT",
        "/api/v1/buckets/images/objects/kept.png",
        &user.access,
    );
    let body = [
        format!("{:x}\r\n", PNG.len()).as_bytes(),
        PNG,
        b"\r\n0\r\n\r\n",
    ]
    .concat();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();

    let mut answers = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + CLOSE_WITHIN;
    while String::from_utf8_lossy(&answers)
        .matches("HTTP/1.1 ")
        .count()
        < 2
    {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("both answers arrive")
            .unwrap();
        assert_ne!(n, 0, "closed after: {}", String::from_utf8_lossy(&answers));
        answers.extend_from_slice(&buf[..n]);
    }
    let answers = String::from_utf8_lossy(&answers).to_lowercase();
    assert!(answers.starts_with("http/1.1 201"), "{answers}");
    assert!(!answers.contains("connection: close"), "{answers}");
    assert!(answers.contains("http/1.1 200"), "{answers}");
    assert_eq!(app.stored_files(), ["images/kept.png"]);
}

/// A multipart file part that never ends: one past the size limit, and one refused by its type
/// (whose rest would have to be read to reach the next file). Both end the request with 413 at
/// the bucket's limit and the connection is closed; nothing is stored.
#[tokio::test]
async fn an_endless_multipart_file_is_refused_at_the_limit_and_its_connection_closed() {
    let app = spawn_app().await;
    let user = app.user().await;
    let head = format!(
        "POST /api/v1/buckets/images/objects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n",
        user.access
    );
    for (what, content) in [("big.png", PNG), ("notes.txt", &b"plain text"[..])] {
        let part = [
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{what}\"\r\n\r\n"
            )
            .as_bytes(),
            content,
        ]
        .concat();
        let upload = endless_upload(&app, &head, &part, 24 << 20).await;
        upload.assert_answered_then_closed("413", what);
    }
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}
