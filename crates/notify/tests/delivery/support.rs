//! Settings, events, rules and waiting for the delivery tests.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use notify::signature::SigningKey;
use notify::{
    BucketRules, Event, EventName, Notifier, RedisPlace, Rule, Settings, TargetKind, TargetSettings,
};
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::receiver::Request;

/// The Standard Webhooks example secret.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const TOKEN: &str = "t0ken";
pub const BUCKET: &str = "images";

/// Fast settings with one webhook target `hook` to `endpoint`.
pub fn settings(endpoint: &str) -> Settings {
    let hook = TargetSettings {
        kind: TargetKind::Webhook,
        endpoint: Some(endpoint.to_owned()),
        auth_token: Some(SecretString::from(TOKEN)),
        secret: Some(SecretString::from(SECRET)),
        stream: None,
        maxlen: 1000,
    };
    Settings {
        targets: BTreeMap::from([("hook".to_owned(), hook)]),
        max_attempts: 50,
        backoff_initial_ms: 10,
        backoff_max_secs: 1,
        timeout_secs: 2,
        poll_interval_ms: 50,
        lease_secs: 3,
        rules_refresh_secs: 1,
        ..Settings::default()
    }
}

pub fn fs(dir: &Path) -> opendal::Operator {
    let root = dir.to_str().expect("UTF-8 temporary directory");
    opendal::Operator::new(opendal::services::Fs::default().root(root)).expect("fs operator")
}

pub fn redis(url: &str) -> Option<RedisPlace> {
    Some(RedisPlace {
        url: url.to_owned(),
        key_prefix: "picgate:".to_owned(),
    })
}

/// Every created and removed event of the bucket to `hook`.
pub fn rules() -> BucketRules {
    BucketRules {
        rules: vec![Rule {
            id: String::new(),
            events: vec!["s3:ObjectCreated:*".into(), "s3:ObjectRemoved:*".into()],
            prefix: String::new(),
            suffix: String::new(),
            target: "arn:minio:sqs::hook:webhook".into(),
        }],
    }
}

/// A started notifier with [`rules`] set.
pub async fn notifier(
    settings: Settings,
    system: opendal::Operator,
    redis: Option<RedisPlace>,
) -> Notifier {
    let notifier =
        Notifier::new(settings, system, redis, vec![BUCKET.to_owned()]).expect("notifier");
    notifier.set_rules(BUCKET, rules()).await.expect("rules");
    notifier.start();
    notifier
}

/// An upload of `key` whose size is `n` (to tell events apart in the messages).
pub fn event(key: &str, n: u64) -> Event {
    Event {
        name: EventName::ObjectCreatedPut,
        bucket: BUCKET.to_owned(),
        key: key.to_owned(),
        size: Some(n),
        etag: Some("0123456789abcdef".into()),
        content_type: Some("image/png".into()),
        time: OffsetDateTime::now_utc(),
        actor: Some("7d1f3c9e-0000-4000-8000-000000000001".into()),
        owner: None,
        client: Some("pc".into()),
        source_ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        request_id: Some("req".into()),
    }
}

/// `n` of the message (`Records[0].s3.object.size`).
pub fn number(request: &Request) -> u64 {
    request.json()["Records"][0]["s3"]["object"]["size"]
        .as_u64()
        .expect("object size")
}

/// Checks the headers and the signature of a delivery.
pub fn check_signed(request: &Request) {
    let key = SigningKey::from_secret(SECRET).expect("key");
    let id = request.header("webhook-id");
    let timestamp: i64 = request
        .header("webhook-timestamp")
        .parse()
        .expect("timestamp");
    assert!(
        key.verify(
            id,
            timestamp,
            &request.body,
            request.header("webhook-signature")
        ),
        "signature of {id}"
    );
    let json = request.json();
    assert_eq!(json["Records"][0]["picgate"]["eventId"], id);
    assert_eq!(request.header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(request.header("content-type"), "application/json");
    assert!(request.header("user-agent").starts_with("picgate/"));
    assert_eq!(request.path, "/events");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - timestamp).abs() < 60);
}

/// Delivered messages per key, in arrival order, as their numbers.
pub fn per_key(delivered: &[Request]) -> HashMap<String, Vec<u64>> {
    let mut map: HashMap<String, Vec<u64>> = HashMap::new();
    for request in delivered {
        let key = request.json()["Key"].as_str().expect("Key").to_owned();
        map.entry(key).or_default().push(number(request));
    }
    map
}

/// Asserts every event id arrived (2xx) at most once; answers how many there were.
pub fn assert_once(delivered: &[Request]) -> usize {
    let mut seen = HashMap::new();
    for request in delivered {
        *seen
            .entry(request.header("webhook-id").to_owned())
            .or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    seen.len()
}

/// Polls `check` every 20 ms until it holds or `timeout` passes; answers whether it held.
pub async fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
