//! The request log line of a real `picgate` process: JSON in production format with the
//! request id, method, route template, status, latency, bytes, client profile, client IP and
//! user id; readable text in development.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

mod common;

/// The log lines the process wrote to `log` until it was stopped.
async fn log_of(app: common::Instance, log: &std::path::Path) -> String {
    let mut app = app;
    app.signal("TERM");
    app.exit_within(Duration::from_secs(10));
    std::fs::read_to_string(log).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_one_json_line_naming_route_status_bytes_client_ip_and_user() {
    let data = TempDir::new().unwrap();
    let log = data.path().join("stderr.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let env = [("PICGATE__LOG__FORMAT", "json"), ("RUST_LOG", "info")];
    let app = common::start(data.path(), &env, Stdio::from(stderr)).await;
    let (token, user_id) = app.login().await;
    let me = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("X-Request-Id", "log-line-me-1")
        .header("X-Client", "h5")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let sent = me.bytes().await.unwrap().len() as u64;
    let anonymous = reqwest::Client::new()
        .get(app.url("/f/images/no/such/key.png"))
        .header("X-Request-Id", "log-line-missing-2")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404);
    let text = log_of(app, &log).await;
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = |id: &str| {
        lines
            .iter()
            .find(|l| l["request_id"] == id)
            .unwrap_or_else(|| panic!("no line for {id} in {text}"))
            .clone()
    };
    let me = line("log-line-me-1");
    assert_eq!(me["message"], "request");
    assert_eq!(me["method"], "GET");
    assert_eq!(me["route"], "/api/v1/me");
    assert_eq!(me["status"], 200);
    assert_eq!(me["client"], "h5");
    assert_eq!(me["ip"], "127.0.0.1");
    assert_eq!(me["user_id"], user_id.as_str());
    assert_eq!(me["bytes_out"], sent);
    assert!(me["latency_ms"].as_f64().unwrap() > 0.0, "{me}");
    let missing = line("log-line-missing-2");
    assert_eq!(missing["route"], "/f/{bucket}/{key:.+}");
    assert_eq!(missing["path"], "/f/images/no/such/key.png");
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["client"], "pc");
    assert!(missing.get("user_id").is_none(), "{missing}");
    // The shutdown is logged too, as JSON like every other line.
    assert!(lines.iter().any(|l| l["signal"] == "SIGTERM"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_logs_are_readable_text() {
    let data = TempDir::new().unwrap();
    let log = data.path().join("stderr.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let env = [("RUST_LOG", "info")];
    let app = common::start(data.path(), &env, Stdio::from(stderr)).await;
    let ok = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
    let text = log_of(app, &log).await;
    let line = text
        .lines()
        .find(|l| l.contains("route=/healthz"))
        .unwrap_or_else(|| panic!("no request line in {text}"));
    assert!(serde_json::from_str::<Value>(line).is_err(), "{line}");
    assert!(
        line.contains(" INFO ") && line.contains("status=200"),
        "{line}"
    );
}

/// Even at `trace`, the log holds no secret: not the S3 secret key (the request signer logs
/// its credentials at debug level), not the password or the tokens, not a deletion link's
/// ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_the_log_at_any_level() {
    let data = TempDir::new().unwrap();
    let s3 = testkit::S3Server::start();
    let log = data.path().join("stderr.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let (endpoint, bucket) = (s3.endpoint(), s3.bucket().to_owned());
    let env = [
        (
            "RUST_LOG",
            "trace,reqsign_core=trace,reqsign_core::api=trace",
        ),
        ("PICGATE__LOG__FORMAT", "json"),
        ("PICGATE__BUCKETS__IMAGES__BACKEND__TYPE", "s3"),
        (
            "PICGATE__BUCKETS__IMAGES__BACKEND__ENDPOINT",
            endpoint.as_str(),
        ),
        ("PICGATE__BUCKETS__IMAGES__BACKEND__BUCKET", bucket.as_str()),
        ("PICGATE__BUCKETS__IMAGES__BACKEND__ROOT", "images/"),
        (
            "PICGATE__BUCKETS__IMAGES__BACKEND__ACCESS_KEY_ID",
            s3.access_key(),
        ),
        (
            "PICGATE__BUCKETS__IMAGES__BACKEND__SECRET_ACCESS_KEY",
            s3.secret_key(),
        ),
    ];
    let app = common::start(data.path(), &env, Stdio::from(stderr)).await;
    let (token, _) = app.login().await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let stored = reqwest::Client::new()
        .put(app.url("/api/v1/buckets/images/objects/a.png"))
        .bearer_auth(&token)
        .body(png.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    let ticket = "Zm9yZ2VkLXRpY2tldC12YWx1ZQ";
    for path in [
        format!("/api/v1/tools/deletion/{ticket}"),
        // Missing the route (404) must not log the ticket either.
        format!("/api/v1/tools/deletion/{ticket}/"),
        format!("//api/v1/Tools/Deletion/{ticket}"),
    ] {
        let deletion = reqwest::get(app.url(&path)).await.unwrap();
        assert!(deletion.status().is_client_error(), "{path}");
    }
    let text = log_of(app, &log).await;
    assert!(
        text.contains("/api/v1/tools/deletion/{ticket}"),
        "no deletion line"
    );
    for secret in [s3.secret_key(), common::PASSWORD, token.as_str(), ticket] {
        assert!(!text.contains(secret), "{secret} is in the log");
    }
}
