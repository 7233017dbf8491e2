//! Bucket notifications survive a crash: events queued while the webhook receiver was down are
//! delivered after `picgate` is killed (SIGKILL, no shutdown) and started again over the same
//! data (the journal in the system area) or the same Redis (the streams), and the bucket's
//! rules still hold after the restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use testkit::{ReceivedRequest, RedisServer, WebhookReceiver};

mod common;

use common::{EMAIL, Instance, PASSWORD};

/// A 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0xE9, 0xFA, 0xDC, 0xD8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

const ARN: &str = "arn:minio:sqs::hook:webhook";

/// The `[notify]` settings as environment variables: target `hook` at `receiver`, quick
/// retries, the shortest lease (a killed instance's claim on a queue runs out in 3 s).
fn notify_env(receiver: &WebhookReceiver, redis: Option<&RedisServer>) -> Vec<(String, String)> {
    let mut env = vec![
        ("PICGATE__NOTIFY__TARGETS__HOOK__TYPE", "webhook".to_owned()),
        (
            "PICGATE__NOTIFY__TARGETS__HOOK__ENDPOINT",
            receiver.url("/events"),
        ),
        ("PICGATE__NOTIFY__BACKOFF_INITIAL_MS", "20".to_owned()),
        ("PICGATE__NOTIFY__BACKOFF_MAX_SECS", "1".to_owned()),
        ("PICGATE__NOTIFY__POLL_INTERVAL_MS", "50".to_owned()),
        ("PICGATE__NOTIFY__LEASE_SECS", "3".to_owned()),
    ];
    if let Some(redis) = redis {
        env.push(("PICGATE__REDIS__URL", redis.url()));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn as_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Creates the administrator ([`EMAIL`], [`PASSWORD`]) with the CLI.
fn create_admin(data: &Path, env: &[(&str, &str)]) {
    let created = common::picgate(data, env)
        .args(["user", "create", "--phone", "13700000009"])
        .args(["--email", EMAIL, "--password", PASSWORD, "--admin"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "picgate user create --admin failed: {}",
        String::from_utf8_lossy(&created.stderr)
    );
}

async fn put_png(app: &Instance, token: &str, key: &str) {
    let res = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/buckets/images/objects/{key}")))
        .bearer_auth(token)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(status, 201, "{body}");
}

async fn get_json(app: &Instance, token: &str, path: &str) -> Value {
    reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until `hook` has `n` events queued.
async fn wait_queued(app: &Instance, token: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let targets = get_json(app, token, "/api/v1/notify/targets").await;
        let queued = targets["data"]["items"]
            .as_array()
            .and_then(|items| items.iter().find(|t| t["id"] == "hook"))
            .map(|t| t["queued"].clone());
        if queued == Some(json!(n)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "hook never had {n} queued: {targets}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `(EventName, Key)` of each event acknowledged, first acknowledgement of each id.
fn delivered(requests: &[ReceivedRequest]) -> Vec<(String, String, String)> {
    let mut ids = BTreeSet::new();
    requests
        .iter()
        .filter(|r| r.accepted())
        .filter(|r| ids.insert(r.header("webhook-id").unwrap_or_default().to_owned()))
        .map(|r| {
            let body = r.json();
            (
                r.header("webhook-id").unwrap_or_default().to_owned(),
                body["EventName"].as_str().unwrap_or_default().to_owned(),
                body["Key"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn events_survive_a_kill(redis: Option<RedisServer>) {
    let data = TempDir::new().unwrap();
    let receiver = WebhookReceiver::start();
    receiver.down();
    let env = notify_env(&receiver, redis.as_ref());
    let env = as_refs(&env);
    create_admin(data.path(), &env);

    let mut first = common::serve(data.path(), &env, Stdio::null()).await;
    let (token, _) = first.login().await;
    let res = reqwest::Client::new()
        .put(first.url("/api/v1/buckets/images/notifications"))
        .bearer_auth(&token)
        .json(&json!({"rules": [{"events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], "target": ARN}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let keys = ["crash-1.png", "crash-2.png", "crash-3.png"];
    for key in keys {
        put_png(&first, &token, key).await;
    }
    wait_queued(&first, &token, keys.len() as u64).await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    drop(first);
    assert!(receiver.requests().is_empty());

    let second = common::serve(data.path(), &env, Stdio::null()).await;
    receiver.up();
    let requests = receiver
        .wait_until(
            Duration::from_secs(20),
            "the events from before the kill",
            |r| delivered(r).len() >= keys.len(),
        )
        .await;
    let got: BTreeSet<(String, String)> = delivered(&requests)
        .into_iter()
        .map(|(_, name, key)| (name, key))
        .collect();
    let expected: BTreeSet<(String, String)> = keys
        .iter()
        .map(|k| ("s3:ObjectCreated:Put".to_owned(), format!("images/{k}")))
        .collect();
    assert_eq!(got, expected);

    // The rules are still there after the restart.
    let (token, _) = second.login().await;
    put_png(&second, &token, "after.png").await;
    let requests = receiver
        .wait_until(
            Duration::from_secs(10),
            "the event after the restart",
            |r| delivered(r).len() > keys.len(),
        )
        .await;
    let last = delivered(&requests).pop().unwrap();
    assert_eq!(last.2, "images/after.png");
    let ids: Vec<String> = requests
        .iter()
        .filter(|r| r.accepted())
        .map(|r| r.header("webhook-id").unwrap_or_default().to_owned())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "no event delivered twice: {requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_events_survive_a_kill() {
    events_survive_a_kill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_events_survive_a_kill() {
    events_survive_a_kill(Some(RedisServer::start())).await;
}
