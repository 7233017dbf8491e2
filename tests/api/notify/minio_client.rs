//! A configuration made by the `minio` npm client itself (7.0.26, what the replaced service's
//! front end used; `tests/node`): built with its classes, sent through the seed's
//! `setBucketNotification`, read back in the shape its `getBucketNotification` parser gives,
//! and obeyed: only the keys its filter picks are sent.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::seed::{assert_seed_ok, get_notification, set_notification};
use super::{ARN, Hooked, delivered, hooked, wait_drained, wait_events};
use crate::helpers::{Backend, Sessions, find_tool};

/// `tests/node`, with its `node_modules` installed.
fn node_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    assert!(
        dir.join("node_modules").join("minio").is_dir(),
        "the minio npm client is not installed in {}: run `cd tests/node && npm ci`",
        dir.display()
    );
    dir
}

/// Runs `node <script> <args>` in `tests/node` with `stdin`; its stdout as JSON.
fn node(script: &str, args: &[&str], stdin: &str) -> Value {
    let node = find_tool(
        "NODE",
        "target/node/bin/node",
        "node",
        "apt-get install -y nodejs npm",
    );
    let mut child = Command::new(node)
        .arg(script)
        .args(args)
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node {script} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("node {script} printed {stdout}: {e}"))
}

#[tokio::test]
async fn a_configuration_made_by_the_minio_client_is_stored_read_back_and_obeyed() {
    let body = node(
        "notification-config.js",
        &["files", ARN, "a/", ".png", "s3:ObjectCreated:*"],
        "",
    );
    assert_eq!(body["bucketName"], "files", "{body}");

    let Hooked {
        app,
        receiver,
        admin,
    } = hooked(Backend::Fs, Sessions::Embedded, "").await;
    let admin = &admin.access;
    let set = set_notification(&app, admin, "files", body["config"].clone()).await;
    assert_seed_ok(&set);
    let got = get_notification(&app, admin, "files").await;
    assert_seed_ok(&got);
    let queue = &got["data"]["QueueConfiguration"][0];
    assert_eq!(queue["Queue"], ARN, "{got}");
    assert_eq!(queue["Event"], json!(["s3:ObjectCreated:*"]), "{got}");
    assert_eq!(
        queue["Filter"],
        json!([{"Name": "prefix", "Value": "a/"}, {"Name": "suffix", "Value": ".png"}]),
        "{got}"
    );
    assert!(
        queue["Id"].as_str().is_some_and(|id| !id.is_empty()),
        "{got}"
    );
    assert_eq!(got["data"]["TopicConfiguration"], json!([]), "{got}");
    assert_eq!(
        got["data"]["CloudFunctionConfiguration"],
        json!([]),
        "{got}"
    );

    // Exactly what the minio client's own parser makes of this configuration; and rebuilt
    // with its classes (a front end editing it), it is stored again unchanged.
    let checked = node("notification-roundtrip.js", &[], &got["data"].to_string());
    assert_eq!(checked["parsed"], got["data"], "the minio client's shape");
    let again = set_notification(&app, admin, "files", checked["config"].clone()).await;
    assert_seed_ok(&again);
    assert_eq!(
        get_notification(&app, admin, "files").await["data"],
        got["data"]
    );

    let user = app.user().await;
    for key in ["a/match.png", "b/match.png", "a/match.txt"] {
        app.put(&user.access, "files", key, b"bytes".to_vec())
            .await
            .assert_ok(201);
    }
    wait_events(&receiver, 1).await;
    wait_drained(&app, admin).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let keys: Vec<String> = delivered(&receiver.requests())
        .into_iter()
        .map(|e| format!("{} {}", e.name, e.key))
        .collect();
    assert_eq!(keys, ["s3:ObjectCreated:Put files/a/match.png"]);
}
