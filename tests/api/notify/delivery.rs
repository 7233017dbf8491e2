//! How events reach the receiver: signed (Standard Webhooks), retried through an outage with
//! none lost, none acknowledged twice and each key's in the order they happened; what keeps
//! failing lands in the dead-letter list and is replayed from it; two instances deliver each
//! event once; without Redis the journal delivers; the metrics count it all.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rstest::rstest;
use serde_json::{Value, json};
use testkit::{WebhookMode, WebhookReceiver};

use super::{
    DELIVERY, Hooked, assert_acknowledged_once, delete, delivered, every_change, hooked, metric,
    notify_toml, set_rules, signature_verifies, wait_drained, wait_events,
};
use crate::helpers::{Answer, Backend, PNG, Sessions, TestApp, spawn_app_on_with, spawn_twin_with};

const POST: &str = "s3:ObjectCreated:Post";
const PUT: &str = "s3:ObjectCreated:Put";
const DELETE: &str = "s3:ObjectRemoved:Delete";

/// Every request carries the Standard Webhooks headers; the signature verifies with the
/// configured secret over `<id>.<timestamp>.<body>` and not over anything else. A target
/// without a secret sends no signature.
#[tokio::test]
async fn deliveries_are_signed_as_standard_webhooks() {
    let receiver = WebhookReceiver::start();
    let more = format!(
        "auth_token = \"abc\"\n[notify.targets.plain]\ntype = \"webhook\"\nendpoint = \"{}\"\n",
        receiver.url("/plain")
    );
    let app = spawn_app_on_with(
        Backend::Fs,
        Sessions::Embedded,
        &notify_toml(&receiver, "", &more),
    )
    .await;
    let admin = app.admin().await;
    set_rules(
        &app,
        &admin.access,
        "images",
        json!([every_change(), {"events": ["s3:ObjectCreated:*"], "target": "arn:minio:sqs::plain:webhook"}]),
    )
    .await;
    let user = app.user().await;
    app.upload(&user.access, "images", "signed.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let requests = receiver.wait_for(2, DELIVERY).await;
    let signed = requests
        .iter()
        .find(|r| r.path == "/events")
        .unwrap_or_else(|| panic!("nothing for hook: {requests:?}"));
    let plain = requests
        .iter()
        .find(|r| r.path == "/plain")
        .unwrap_or_else(|| panic!("nothing for plain: {requests:?}"));

    assert_eq!(signed.method, "POST");
    assert!(
        signed
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{signed:?}"
    );
    assert!(
        signed
            .header("user-agent")
            .is_some_and(|a| a.starts_with("picgate/")),
        "{signed:?}"
    );
    assert_eq!(signed.header("authorization"), Some("Bearer abc"));
    let body = signed.json();
    let id = signed.header("webhook-id").expect("webhook-id");
    assert_eq!(body["Records"][0]["picgate"]["eventId"], id);
    let timestamp = signed
        .header("webhook-timestamp")
        .expect("webhook-timestamp");
    let secs: u64 = timestamp.parse().expect("unix seconds");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) < 300, "timestamp {secs}, now {now}");
    let signature = signed
        .header("webhook-signature")
        .expect("webhook-signature");
    assert!(signature.starts_with("v1,"), "{signature}");
    assert!(
        signature_verifies(id, timestamp, &signed.body, signature),
        "the signature verifies: {signed:?}"
    );
    let mut tampered = signed.body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    assert!(!signature_verifies(id, timestamp, &tampered, signature));
    assert!(!signature_verifies(
        "another-id",
        timestamp,
        &signed.body,
        signature
    ));
    let later = (secs + 1).to_string();
    assert!(!signature_verifies(id, &later, &signed.body, signature));

    // The other target got the same event, unsigned, without the token.
    assert_eq!(plain.header("webhook-signature"), None, "{plain:?}");
    assert_eq!(plain.header("authorization"), None, "{plain:?}");
    assert!(plain.header("webhook-id").is_some(), "{plain:?}");
    let plain_body = plain.json();
    assert_eq!(plain_body["EventName"], POST);
    assert_eq!(plain_body["Key"], body["Key"]);
}

/// The operations of [`an_outage_delays_events_but_loses_none`]: (key, event) in order.
const OUTAGE_OPS: [(&str, &str); 8] = [
    ("k1.png", PUT),
    ("k2.png", POST),
    ("k1.png", PUT),
    ("k2.png", DELETE),
    ("k3.png", PUT),
    ("k1.png", DELETE),
    ("k1.png", PUT),
    ("k2.png", PUT),
];

async fn run(app: &TestApp, token: &str, key: &str, event: &str) {
    match event {
        PUT => app
            .put(token, "images", key, PNG.to_vec())
            .await
            .assert_ok(201),
        POST => {
            let answer = app.upload(token, "images", key, PNG.to_vec()).await;
            answer.assert_ok(201);
            assert_eq!(answer.data()["key"], key, "{}", answer.body);
        }
        _ => delete(app, token, "images", key).await.assert_ok(200),
    }
}

/// Waits until `hook` has `n` events queued.
async fn wait_queued(app: &TestApp, admin: &str, n: u64) {
    let deadline = Instant::now() + DELIVERY;
    loop {
        let targets = app.get_auth("/api/v1/notify/targets", admin).await;
        targets.assert_ok(200);
        let queued = targets.data()["items"]
            .as_array()
            .and_then(|items| items.iter().find(|t| t["id"] == "hook"))
            .map(|t| t["queued"].clone());
        if queued == Some(json!(n)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "hook never had {n} queued: {}",
            targets.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// While the receiver is down (refusing connections, or answering 5xx), changes keep being
/// made; once it is back every event arrives, each key's in the order of its changes, and none
/// is delivered twice. Retries carry the same `webhook-id`.
#[rstest]
#[case::fs_redis_refused(Backend::Fs, Sessions::Redis, WebhookMode::Down)]
#[case::s3_redis_503(Backend::S3, Sessions::Redis, WebhookMode::Fail(503))]
#[case::fs_journal_500(Backend::Fs, Sessions::Embedded, WebhookMode::Fail(500))]
#[case::s3_journal_refused(Backend::S3, Sessions::Embedded, WebhookMode::Down)]
#[tokio::test]
async fn an_outage_delays_events_but_loses_none(
    #[case] backend: Backend,
    #[case] sessions: Sessions,
    #[case] outage: WebhookMode,
) {
    let Hooked {
        app,
        receiver,
        admin,
    } = hooked(backend, sessions, "").await;
    set_rules(&app, &admin.access, "images", json!([every_change()])).await;
    let user = app.user().await;
    receiver.set_mode(outage);
    for (key, event) in OUTAGE_OPS {
        run(&app, &user.access, key, event).await;
    }
    wait_queued(&app, &admin.access, OUTAGE_OPS.len() as u64).await;
    if let WebhookMode::Fail(_) = outage {
        // Tried, refused, tried again.
        receiver.wait_for(3, DELIVERY).await;
    }
    assert!(delivered(&receiver.requests()).is_empty());

    receiver.up();
    wait_events(&receiver, OUTAGE_OPS.len()).await;
    wait_drained(&app, &admin.access).await;
    let requests = receiver.requests();
    assert_acknowledged_once(&requests);
    let events = delivered(&requests);
    assert_eq!(events.len(), OUTAGE_OPS.len(), "{events:#?}");

    let mut expected: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, event) in OUTAGE_OPS {
        expected.entry(key).or_default().push(event);
    }
    for (key, names) in expected {
        let of_key: Vec<_> = events
            .iter()
            .filter(|e| e.key == format!("images/{key}"))
            .collect();
        let got: Vec<&str> = of_key.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(got, names, "{key}: delivered in the order of its changes");
        let sequencers: Vec<u128> = of_key.iter().map(|e| e.sequencer()).collect();
        assert!(
            sequencers.windows(2).all(|w| w[0] < w[1]),
            "{key}: sequencers grow in delivery order: {sequencers:?}"
        );
    }
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    for failed in requests.iter().filter(|r| !r.accepted()) {
        let id = failed.header("webhook-id").unwrap_or_default();
        assert!(
            ids.contains(id),
            "a refused attempt is retried with its id until delivered: {failed:?}"
        );
    }
}

/// `GET /api/v1/notify/dead<query>` as `admin`.
async fn dead(app: &TestApp, admin: &str, query: &str) -> Answer {
    app.get_auth(&format!("/api/v1/notify/dead{query}"), admin)
        .await
}

/// Waits until `n` dead letters are listed; answers the listing.
async fn wait_dead(h: &Hooked, n: usize) -> Answer {
    let deadline = Instant::now() + DELIVERY;
    loop {
        let listed = dead(&h.app, &h.admin.access, "").await;
        listed.assert_ok(200);
        let count = listed.data()["items"].as_array().map_or(0, Vec::len);
        if count >= n {
            return listed;
        }
        assert!(
            Instant::now() < deadline,
            "{count} dead letters, not {n}: {}; the receiver got {:?}",
            listed.body,
            h.receiver.requests()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// An event refused `max_attempts` times goes to the dead-letter list with why (paged, oldest
/// first); replayed (by id, then the rest) once the receiver is fixed, it is delivered with
/// its id and the list empties.
#[rstest]
#[case::redis(Sessions::Redis)]
#[case::journal(Sessions::Embedded)]
#[tokio::test]
async fn what_keeps_failing_is_dead_lettered_and_replayed(#[case] sessions: Sessions) {
    let h = hooked(Backend::Fs, sessions, "max_attempts = 3").await;
    let (app, admin) = (&h.app, &h.admin.access);
    set_rules(app, admin, "images", json!([every_change()])).await;
    let user = app.user().await;
    h.receiver.fail(500);
    app.upload(&user.access, "images", "dead.png", PNG.to_vec())
        .await
        .assert_ok(201);
    wait_dead(&h, 1).await;
    app.put(&user.access, "images", "dead-2.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let listed = wait_dead(&h, 2).await;

    let items = listed.data()["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", listed.body);
    let letter = &items[0];
    assert_eq!(letter["target"], "hook", "{letter}");
    assert_eq!(letter["eventName"], POST, "{letter}");
    assert_eq!(letter["bucket"], "images", "{letter}");
    assert_eq!(letter["key"], "dead.png", "oldest first: {letter}");
    assert_eq!(letter["attempts"], 3, "{letter}");
    assert!(
        letter["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{letter}"
    );
    assert_eq!(items[1]["key"], "dead-2.png", "{}", listed.body);
    assert_eq!(items[1]["eventName"], PUT, "{}", listed.body);
    assert_eq!(listed.data()["nextCursor"], Value::Null, "{}", listed.body);
    let first_id = letter["eventId"].as_str().unwrap().to_owned();
    let second_id = items[1]["eventId"].as_str().unwrap().to_owned();
    assert_eq!(
        letter["message"]["Records"][0]["picgate"]["eventId"],
        first_id
    );
    let tries = h.receiver.requests();
    assert_eq!(tries.len(), 6, "three attempts each: {tries:?}");
    for id in [&first_id, &second_id] {
        let of_id = tries
            .iter()
            .filter(|r| r.header("webhook-id") == Some(id.as_str()))
            .count();
        assert_eq!(of_id, 3, "{id}: {tries:?}");
    }
    let scrape = app.scrape().await;
    assert_eq!(
        metric(&scrape, "picgate_notify_events_dead_lettered_total", "hook"),
        Some(2.0),
        "{scrape}"
    );

    // Paged: one at a time, oldest first.
    let page = dead(app, admin, "?pageSize=1").await;
    page.assert_ok(200);
    assert_eq!(page.item_keys(), ["dead.png"], "{}", page.body);
    let cursor = page.data()["nextCursor"]
        .as_str()
        .unwrap_or_else(|| panic!("a cursor: {}", page.body))
        .to_owned();
    let page = dead(app, admin, &format!("?pageSize=1&cursor={cursor}")).await;
    page.assert_ok(200);
    assert_eq!(page.item_keys(), ["dead-2.png"], "{}", page.body);
    dead(app, admin, "?cursor=not-a-cursor")
        .await
        .assert_error(400, "invalid_cursor");

    // Only administrators; filtered by target; an unknown one is 404.
    dead(app, &user.access, "")
        .await
        .assert_error(403, "admin_required");
    let by_target = dead(app, admin, "?target=hook&pageSize=10").await;
    by_target.assert_ok(200);
    assert_eq!(by_target.data()["items"].as_array().unwrap().len(), 2);
    dead(app, admin, "?target=nope")
        .await
        .assert_error(404, "target_not_found");
    app.post_json(
        "/api/v1/notify/dead/replay",
        &json!({"target": "nope"}),
        Some(admin),
    )
    .await
    .assert_error(404, "target_not_found");
    app.post_json("/api/v1/notify/dead/replay", &json!({}), Some(&user.access))
        .await
        .assert_error(403, "admin_required");

    // Replayed by id: that one is delivered, the other stays.
    h.receiver.accept();
    h.receiver.clear();
    let letter_id = letter["id"].as_str().unwrap().to_owned();
    let replay = app
        .post_json(
            "/api/v1/notify/dead/replay",
            &json!({"ids": [letter_id, "no-such-letter"]}),
            Some(admin),
        )
        .await;
    replay.assert_ok(200);
    assert_eq!(replay.data()["replayed"], 1, "{}", replay.body);
    assert_eq!(
        replay.data()["missing"],
        json!(["no-such-letter"]),
        "{}",
        replay.body
    );
    let events = wait_events(&h.receiver, 1).await;
    assert_eq!(events[0].id, first_id, "the same event, by its id");
    assert_eq!(events[0].key, "images/dead.png");
    let left = dead(app, admin, "").await;
    assert_eq!(left.item_keys(), ["dead-2.png"], "{}", left.body);

    // The rest.
    let replay = app
        .post_json("/api/v1/notify/dead/replay", &json!({}), Some(admin))
        .await;
    replay.assert_ok(200);
    assert_eq!(replay.data()["replayed"], 1, "{}", replay.body);
    assert_eq!(replay.data()["missing"], json!([]), "{}", replay.body);
    let events = wait_events(&h.receiver, 2).await;
    assert_eq!(events[1].id, second_id);
    let after = dead(app, admin, "").await;
    after.assert_ok(200);
    assert_eq!(after.data()["items"], json!([]), "{}", after.body);
    wait_drained(app, admin).await;
    assert_acknowledged_once(&h.receiver.requests());
}

/// A `redis` target appends each event to its stream on picgate's Redis.
#[tokio::test]
async fn a_redis_target_appends_to_its_stream() {
    let receiver = WebhookReceiver::start();
    let feed = "[notify.targets.feed]\ntype = \"redis\"\nstream = \"picgate:events\"\n";
    let app = spawn_app_on_with(
        Backend::Fs,
        Sessions::Redis,
        &notify_toml(&receiver, "", feed),
    )
    .await;
    let admin = app.admin().await;
    let targets = app.get_auth("/api/v1/notify/targets", &admin.access).await;
    targets.assert_ok(200);
    let listed = targets.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "feed")
        .cloned()
        .unwrap_or_else(|| panic!("no feed: {}", targets.body));
    assert_eq!(listed["arn"], "arn:minio:sqs::feed:redis");
    assert_eq!(listed["type"], "redis");
    assert_eq!(listed["stream"], "picgate:events");
    set_rules(
        &app,
        &admin.access,
        "images",
        json!([{"events": ["s3:ObjectCreated:*"], "target": "arn:minio:sqs::feed:redis"}]),
    )
    .await;
    let user = app.user().await;
    app.put(&user.access, "images", "feed.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let redis = app.redis.as_ref().unwrap();
    let deadline = Instant::now() + DELIVERY;
    while redis.command("XLEN picgate:events").trim() != ":1" {
        assert!(
            Instant::now() < deadline,
            "nothing on the stream: {}",
            redis.command("XLEN picgate:events")
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let entry = redis.command("XRANGE picgate:events - +");
    for part in ["event", PUT, "key", "images/feed.png", "message", "id"] {
        assert!(entry.contains(part), "{part} in {entry}");
    }
    wait_drained(&app, &admin.access).await;
    assert!(receiver.requests().is_empty(), "the webhook has no rule");
}

/// Two instances over the same data and Redis, uploads alternating between them: every event
/// is delivered exactly once.
#[tokio::test]
async fn two_instances_deliver_each_event_once() {
    let h = hooked(Backend::Fs, Sessions::Redis, "").await;
    let (app, admin) = (&h.app, &h.admin.access);
    set_rules(app, admin, "images", json!([every_change()])).await;
    let twin = spawn_twin_with(app, "").await;
    let user = app.user().await;
    let token = &user.access;

    // The twin reads the rules within `rules_refresh_secs`: until an upload through it is
    // heard of, keep trying with fresh keys.
    let deadline = Instant::now() + DELIVERY;
    let mut probes = 0;
    loop {
        let key = format!("probe-{probes}.png");
        twin.put(token, "images", &key, PNG.to_vec())
            .await
            .assert_ok(201);
        probes += 1;
        if heard_within(&h.receiver, Duration::from_millis(500), |e| {
            e.key.starts_with("images/probe-")
        })
        .await
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the twin never sent an event: {:#?}",
            h.receiver.requests()
        );
    }

    let keys: Vec<String> = (0..8).map(|i| format!("t-{i}.png")).collect();
    for (i, key) in keys.iter().enumerate() {
        let instance = if i % 2 == 0 { app } else { &twin };
        instance
            .put(token, "images", key, PNG.to_vec())
            .await
            .assert_ok(201);
    }
    for (i, key) in keys.iter().enumerate().take(4) {
        let instance = if i % 2 == 0 { &twin } else { app };
        delete(instance, token, "images", key).await.assert_ok(200);
    }
    h.receiver
        .wait_until(DELIVERY, "every t- event", |r| {
            delivered(r)
                .iter()
                .filter(|e| e.key.starts_with("images/t-"))
                .count()
                >= 12
        })
        .await;
    wait_drained(app, admin).await;
    wait_drained(&twin, admin).await;
    let requests = h.receiver.requests();
    assert_acknowledged_once(&requests);
    let events = delivered(&requests);
    for (i, key) in keys.iter().enumerate() {
        let names: Vec<&str> = events
            .iter()
            .filter(|e| e.key == format!("images/{key}"))
            .map(|e| e.name.as_str())
            .collect();
        let expected: &[&str] = if i < 4 { &[PUT, DELETE] } else { &[PUT] };
        assert_eq!(names, expected, "{key}");
    }
    let probe_events = events
        .iter()
        .filter(|e| e.key.starts_with("images/probe-"))
        .count();
    assert!(probe_events <= probes, "{events:#?}");
}

/// The metrics count what was produced, retried and delivered per target.
#[tokio::test]
async fn metrics_count_produced_retried_and_delivered_events() {
    let h = hooked(Backend::Fs, Sessions::Redis, "").await;
    let (app, admin) = (&h.app, &h.admin.access);
    set_rules(app, admin, "images", json!([every_change()])).await;
    let user = app.user().await;
    h.receiver.fail(503);
    app.upload(&user.access, "images", "m1.png", PNG.to_vec())
        .await
        .assert_ok(201);
    h.receiver.wait_for(2, DELIVERY).await;
    h.receiver.accept();
    app.upload(&user.access, "images", "m2.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.put(&user.access, "images", "m3.png", PNG.to_vec())
        .await
        .assert_ok(201);
    delete(app, &user.access, "images", "m2.png")
        .await
        .assert_ok(200);
    wait_events(&h.receiver, 4).await;
    wait_drained(app, admin).await;

    let deadline = Instant::now() + DELIVERY;
    let scrape = loop {
        let scrape = app.scrape().await;
        let delivered = metric(&scrape, "picgate_notify_events_delivered_total", "hook");
        if delivered == Some(4.0) || Instant::now() > deadline {
            break scrape;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let value = |name: &str| metric(&scrape, name, "hook");
    assert_eq!(
        value("picgate_notify_events_produced_total"),
        Some(4.0),
        "{scrape}"
    );
    assert_eq!(
        value("picgate_notify_events_delivered_total"),
        Some(4.0),
        "{scrape}"
    );
    assert!(
        value("picgate_notify_delivery_retries_total").is_some_and(|v| v >= 1.0),
        "{scrape}"
    );
    // Every series of a target exists from the start (at 0), so rate() counts its first.
    assert_eq!(
        value("picgate_notify_events_dead_lettered_total"),
        Some(0.0),
        "{scrape}"
    );
    // Every series of a target exists from the start (at 0), so rate() counts its first.
    assert_eq!(
        value("picgate_notify_events_dropped_total"),
        Some(0.0),
        "{scrape}"
    );
    assert_eq!(value("picgate_notify_queue_depth"), Some(0.0), "{scrape}");
    assert_eq!(
        value("picgate_notify_delivery_latency_seconds_count"),
        Some(4.0),
        "{scrape}"
    );
}

/// Whether an event matching `wanted` is delivered within `window`.
async fn heard_within(
    receiver: &WebhookReceiver,
    window: Duration,
    wanted: impl Fn(&super::Delivered) -> bool,
) -> bool {
    let deadline = Instant::now() + window;
    loop {
        if delivered(&receiver.requests()).iter().any(&wanted) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
