//! Bucket notifications (MinIO's bucket notification API and webhook bodies): an administrator
//! sets rules per bucket, every change of an object is POSTed to a real webhook receiver
//! ([`WebhookReceiver`], a loopback HTTP server the test switches between accepting, failing and
//! being down), signed as Standard Webhooks has it, retried until acknowledged, in order per
//! key, once across instances.
//!
//! - [`api`]: targets, the rules API and what it refuses;
//! - [`events`]: what each change sends (names, keys, sizes, ETags, owners, clients) through
//!   every surface (native, tools, deletion links, a broken upload's undo, reads), filters,
//!   nothing from the reserved area or without a rule;
//! - [`delivery`]: signatures, an outage, dead letters and their replay, two instances, the
//!   journal (no Redis), a `redis` target, metrics;
//! - [`seed`]: the seed's `setBucketNotification` / `getBucketNotification`;
//! - [`minio_client`]: a configuration made by the `minio` npm client itself (`tests/node`).

mod api;
mod delivery;
mod events;
mod minio_client;
mod seed;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use testkit::{ReceivedRequest, WebhookReceiver};

use crate::helpers::{Answer, Backend, Sessions, TestApp, TestUser, spawn_app_on_with};

/// The ARN picgate lists for the test's webhook target `hook`.
pub const ARN: &str = "arn:minio:sqs::hook:webhook";

/// The signing key of `hook` (the part after `whsec_`, decoded).
pub const SIGNING_KEY: &[u8] = b"picgate test signing key, 32 by!";

/// How long a delivery may take in these tests (retries are tens of milliseconds apart).
pub const DELIVERY: Duration = Duration::from_secs(10);

/// `hook`'s secret as configured: `whsec_<base64 of the key>`.
pub fn secret() -> String {
    format!("whsec_{}", STANDARD.encode(SIGNING_KEY))
}

/// The `[notify]` layer: quick retries, `extra` lines of `[notify]`, and the webhook target
/// `hook` POSTing to `receiver`'s `/events`, signed. `targets` adds TOML after it (more
/// `[notify.targets.<id>]` tables).
pub fn notify_toml(receiver: &WebhookReceiver, extra: &str, targets: &str) -> String {
    format!(
        "[notify]\nbackoff_initial_ms = 20\nbackoff_max_secs = 1\npoll_interval_ms = 50\n{extra}\n\
         [notify.targets.hook]\ntype = \"webhook\"\nendpoint = \"{}\"\nsecret = \"{}\"\n{targets}",
        receiver.url("/events"),
        secret()
    )
}

/// An app with the `hook` target, its receiver and an administrator.
pub struct Hooked {
    pub app: TestApp,
    pub receiver: WebhookReceiver,
    pub admin: TestUser,
}

/// The app on `backend` with `sessions`, `[notify]` as [`notify_toml`] makes it.
pub async fn hooked(backend: Backend, sessions: Sessions, extra: &str) -> Hooked {
    let receiver = WebhookReceiver::start();
    let app = spawn_app_on_with(backend, sessions, &notify_toml(&receiver, extra, "")).await;
    let admin = app.admin().await;
    Hooked {
        app,
        receiver,
        admin,
    }
}

/// A rule sending every create and remove event of the bucket to `hook`.
pub fn every_change() -> Value {
    json!({"events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], "target": ARN})
}

/// `PUT /api/v1/buckets/{bucket}/notifications` with `rules`.
pub async fn put_rules(app: &TestApp, token: &str, bucket: &str, rules: Value) -> Answer {
    let res = app
        .client
        .put(app.url(&format!("/api/v1/buckets/{bucket}/notifications")))
        .bearer_auth(token)
        .json(&json!({ "rules": rules }))
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// Sets `rules` on `bucket`, asserting it is accepted; answers the stored rules.
pub async fn set_rules(app: &TestApp, token: &str, bucket: &str, rules: Value) -> Value {
    let answer = put_rules(app, token, bucket, rules).await;
    answer.assert_ok(200);
    answer.data()["rules"].clone()
}

/// One delivered (2xx-acknowledged) event.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// `webhook-id`.
    pub id: String,
    /// `EventName`.
    pub name: String,
    /// `Key`: `<bucket>/<key>`.
    pub key: String,
    /// `Records[0]`.
    pub record: Value,
}

impl Delivered {
    fn of(request: &ReceivedRequest) -> Self {
        let body = request.json();
        Self {
            id: request.header("webhook-id").unwrap_or_default().to_owned(),
            name: body["EventName"].as_str().unwrap_or_default().to_owned(),
            key: body["Key"].as_str().unwrap_or_default().to_owned(),
            record: body["Records"][0].clone(),
        }
    }

    /// `Records[0].s3.object.sequencer` as a number.
    pub fn sequencer(&self) -> u128 {
        let hex = self.record["s3"]["object"]["sequencer"]
            .as_str()
            .unwrap_or_else(|| panic!("no sequencer: {}", self.record));
        u128::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("sequencer {hex}: {e}"))
    }
}

/// The first acknowledged delivery of each event id, in arrival order.
pub fn delivered(requests: &[ReceivedRequest]) -> Vec<Delivered> {
    let mut seen = HashSet::new();
    requests
        .iter()
        .filter(|r| r.accepted())
        .map(Delivered::of)
        .filter(|d| seen.insert(d.id.clone()))
        .collect()
}

/// Waits until `n` distinct events were acknowledged by `receiver`; answers them in arrival
/// order.
pub async fn wait_events(receiver: &WebhookReceiver, n: usize) -> Vec<Delivered> {
    let requests = receiver
        .wait_until(DELIVERY, &format!("{n} delivered events"), |r| {
            delivered(r).len() >= n
        })
        .await;
    delivered(&requests)
}

/// Asserts no event id was acknowledged twice.
#[track_caller]
pub fn assert_acknowledged_once(requests: &[ReceivedRequest]) {
    let mut seen = HashSet::new();
    for request in requests.iter().filter(|r| r.accepted()) {
        let id = request.header("webhook-id").unwrap_or_default();
        assert!(
            seen.insert(id.to_owned()),
            "event {id} was delivered again after a 2xx: {request:?}"
        );
    }
}

/// Waits until no configured target has events waiting (`queued` 0 in
/// `GET /api/v1/notify/targets`); panics with the last listing otherwise.
pub async fn wait_drained(app: &TestApp, admin: &str) {
    let deadline = Instant::now() + DELIVERY;
    loop {
        let targets = app.get_auth("/api/v1/notify/targets", admin).await;
        targets.assert_ok(200);
        let items = targets.data()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !items.is_empty() && items.iter().all(|t| t["queued"] == 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "events still queued after {DELIVERY:?}: {}",
            targets.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the queue is empty, then a little longer, asserting the receiver got nothing.
pub async fn assert_nothing_sent(hooked: &Hooked) {
    wait_drained(&hooked.app, &hooked.admin.access).await;
    hooked
        .receiver
        .assert_quiet_for(Duration::from_millis(400))
        .await;
}

/// The value of `metric{target="<target>"}` in `scrape`, if it is there.
pub fn metric(scrape: &str, metric: &str, target: &str) -> Option<f64> {
    let label = format!("target=\"{target}\"");
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{metric}{{")) && l.contains(&label))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Whether `signature` (`v1,<base64>`, possibly several space-separated) is the HMAC-SHA256 of
/// `<id>.<timestamp>.<body>` under [`SIGNING_KEY`].
pub fn signature_verifies(id: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING_KEY).unwrap();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    signature
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|s| s == expected)
}

/// Go's `url.QueryEscape`, as MinIO escapes `s3.object.key`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An answer's `etag` without quotes.
pub fn bare_etag(answer: &Answer) -> String {
    answer.data()["etag"]
        .as_str()
        .unwrap_or_else(|| panic!("no etag: {}", answer.body))
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned()
}

/// `DELETE /api/v1/buckets/{bucket}/objects/{key}`.
pub async fn delete(app: &TestApp, token: &str, bucket: &str, key: &str) -> Answer {
    app.delete_auth(&format!("/api/v1/buckets/{bucket}/objects/{key}"), token)
        .await
}
