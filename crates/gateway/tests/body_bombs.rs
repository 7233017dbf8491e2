//! Compressed request bodies cannot make the server allocate: the real `picgate` binary, in a
//! process of its own so that its memory is its own, takes concurrent gzip and brotli bombs of
//! about 2 KB each. What is measured is the *peak* resident memory (`VmHWM` of
//! `/proc/<pid>/status`, reset through `/proc/<pid>/clear_refs`, see proc(5)): a decoder that
//! inflates a bomb and frees it again leaves RSS where it was, but not the peak.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_picgate"))
        .env("PICGATE__SERVER__PORT", port.to_string())
        .env("PICGATE__SERVER__WORKERS", "2")
        .env("PICGATE__STORAGE__DATA_DIR", data.path())
        .env("PICGATE__AUTH__BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the picgate binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "picgate did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server {
        child,
        base,
        _data: data,
    }
}

/// A memory figure of `pid` from `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Starts a new peak: `VmHWM` becomes the current `VmRSS` (proc(5), `clear_refs` value 5).
fn reset_peak(pid: u32) -> u64 {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("clear_refs is writable");
    status_kib(pid, "VmRSS")
}

/// `size` bytes of spaces, compressed.
fn bombs(size: usize) -> [(&'static str, Vec<u8>); 2] {
    let chunk = vec![b' '; 1 << 20];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut br = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut br, 1 << 16, 9, 24);
        for _ in 0..size / chunk.len() {
            gz.write_all(&chunk).unwrap();
            enc.write_all(&chunk).unwrap();
        }
    }
    [("gzip", gz.finish().unwrap()), ("br", br)]
}

#[tokio::test]
async fn compressed_json_bombs_get_413_and_leave_memory_flat() {
    let server = start().await;
    let client = reqwest::Client::new();
    let [(_, gz), (_, br)] = bombs(256 << 20);
    assert!(br.len() < 4096, "the brotli bomb is {} bytes", br.len());
    // Warm up: the first requests allocate the server's buffers once.
    for (encoding, body) in [("gzip", &gz), ("br", &br)] {
        client
            .post(format!("{}/api/v1/auth/login", server.base))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body.clone())
            .send()
            .await
            .unwrap();
    }
    let before = reset_peak(server.child.id());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (encoding, body) = if i % 2 == 0 {
            ("br", br.clone())
        } else {
            ("gzip", gz.clone())
        };
        let (client, url) = (client.clone(), format!("{}/api/v1/auth/login", server.base));
        let seed = i % 4 == 1;
        tasks.push(tokio::spawn(async move {
            let url = if seed {
                url.replace("/api/v1/auth/login", "/imagepic/auth/login")
            } else {
                url
            };
            let res = client
                .post(url)
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        }));
    }
    for task in tasks {
        let (status, body) = task.await.unwrap();
        let code = body["data"]["errCode"]
            .as_str()
            .or(body["code"].as_str())
            .unwrap_or_default();
        assert!(status == 413 || status == 200, "{status} {body}");
        assert_eq!(code, "payload_too_large", "{body}");
    }
    let peak = status_kib(server.child.id(), "VmHWM");
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 4 * 1024,
        "peak RSS grew by {grown} KiB ({before} → {peak})"
    );
}
