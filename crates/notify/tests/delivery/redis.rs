//! The Redis queue.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use notify::{BucketRules, Notifier, Rule, Settings, TargetKind, TargetSettings};
use tempfile::TempDir;
use testkit::RedisServer;

use crate::receiver::Receiver;
use crate::scenarios::{self, Place, counter};
use crate::support::{
    BUCKET, assert_once, event, fs, notifier, per_key, redis, rules, settings, wait_until,
};

fn place(server: &RedisServer, dir: &TempDir) -> Place {
    Place {
        system: fs(dir.path()),
        redis: redis(&server.url()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_delivers_in_order_per_key_signed() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    scenarios::in_order_and_signed(place(&server, &dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_failures_dead_letter_then_replay_delivers() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    scenarios::dead_letters_then_replay(place(&server, &dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_receiver_down_then_up_delivers_each_once() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    scenarios::down_then_up(place(&server, &dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_instance_hands_its_queue_to_a_new_one() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    scenarios::handover(place(&server, &dir), place(&server, &dir)).await;
    // The leases were released and taken again: only the new instance's remain.
    let leases = server.command("KEYS picgate:notify:lease:*");
    assert!(leases.starts_with("*0"), "leases left: {leases}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_instances_deliver_each_event_once() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    let receiver = Receiver::start().await;
    let a = notifier(
        settings(&receiver.url()),
        fs(dir.path()),
        redis(&server.url()),
    )
    .await;
    let b = Notifier::new(
        settings(&receiver.url()),
        fs(dir.path()),
        redis(&server.url()),
        vec![BUCKET.to_owned()],
    )
    .unwrap();
    b.refresh_rules().await;
    b.start();
    let keys = ["k1.png", "k2.png", "k3.png", "k4.png"];
    for n in 0..40u64 {
        let via = if n % 2 == 0 { &a } else { &b };
        via.publish(event(keys[(n % 4) as usize], n)).await;
    }
    assert!(wait_until(Duration::from_secs(15), || receiver.delivered().len() >= 40).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered = receiver.delivered();
    assert_eq!(assert_once(&delivered), 40);
    assert_eq!(delivered.len(), 40);
    for (key, numbers) in per_key(&delivered) {
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(numbers, sorted, "order of {key}");
    }
    let total = counter(&a, "picgate_notify_events_delivered_total")
        + counter(&b, "picgate_notify_events_delivered_total");
    assert_eq!(total, 40.0);
    a.shutdown(Duration::from_secs(5)).await;
    b.shutdown(Duration::from_secs(5)).await;
}

/// Redis down while publishing: publish returns at once, the events wait in memory (at most
/// `backlog_max`, the rest dropped and counted) and are delivered, in order, once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_holds_events_in_the_backlog() {
    let (mut server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    let receiver = Receiver::start().await;
    let settings = Settings {
        backlog_max: 3,
        ..settings(&receiver.url())
    };
    let notifier = notifier(settings, fs(dir.path()), redis(&server.url())).await;
    server.stop();
    let started = Instant::now();
    for n in 0..4u64 {
        notifier.publish(event("same.png", n)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(3), "publish waited");
    assert_eq!(
        counter(&notifier, "picgate_notify_events_dropped_total"),
        1.0
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.restart();
    assert!(wait_until(Duration::from_secs(15), || receiver.delivered().len() >= 3).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = receiver.delivered();
    assert_eq!(assert_once(&delivered), 3);
    assert_eq!(per_key(&delivered)["images/same.png"], [0, 1, 2]);
    notifier.shutdown(Duration::from_secs(5)).await;
}

/// While Redis is down, the queue depth counts the events held in memory; stopping then loses
/// them, and says so: logged and counted as dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_events_show_in_the_depth_and_a_stop_counts_them_lost() {
    let (mut server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    let receiver = Receiver::start().await;
    let notifier = notifier(
        settings(&receiver.url()),
        fs(dir.path()),
        redis(&server.url()),
    )
    .await;
    server.stop();
    for n in 0..5u64 {
        notifier.publish(event(&format!("held-{n}.png"), n)).await;
    }
    assert!(
        wait_until(Duration::from_secs(5), || counter(
            &notifier,
            "picgate_notify_queue_depth"
        ) == 5.0)
        .await,
        "depth {}",
        counter(&notifier, "picgate_notify_queue_depth")
    );
    assert_eq!(
        counter(&notifier, "picgate_notify_events_dropped_total"),
        0.0
    );
    notifier.shutdown(Duration::from_secs(1)).await;
    assert_eq!(
        counter(&notifier, "picgate_notify_events_dropped_total"),
        5.0
    );
    assert!(receiver.delivered().is_empty());
}

/// A `redis` target: one stream entry per event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_target_appends_to_its_stream() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    let feed = TargetSettings {
        kind: TargetKind::Redis,
        endpoint: None,
        auth_token: None,
        secret: None,
        stream: Some("events:out".into()),
        maxlen: 100,
    };
    let settings = Settings {
        targets: BTreeMap::from([("feed".to_owned(), feed)]),
        ..settings("http://unused.invalid/")
    };
    let notifier = Notifier::new(
        settings,
        fs(dir.path()),
        redis(&server.url()),
        vec![BUCKET.into()],
    )
    .unwrap();
    let mut rules = rules();
    rules.rules[0].target = "arn:minio:sqs::feed:redis".into();
    notifier.set_rules(BUCKET, rules).await.unwrap();
    notifier.start();
    notifier.publish(event("s.png", 1)).await;
    notifier.publish(event("s.png", 2)).await;
    assert!(
        wait_until(Duration::from_secs(10), || server
            .command("XLEN events:out")
            .starts_with(":2"))
        .await
    );
    let entries = server.command("XRANGE events:out - +");
    assert!(entries.contains("s3:ObjectCreated:Put"), "{entries}");
    assert!(entries.contains("images/s.png"), "{entries}");
    notifier.shutdown(Duration::from_secs(5)).await;
}

/// A receiver answering 503 with `Retry-After: 1` is tried again after about a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_retry_after_is_honoured() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    let receiver = Receiver::start().await;
    receiver.set_status(503);
    receiver.set_retry_after(Some("1"));
    let notifier = notifier(
        settings(&receiver.url()),
        fs(dir.path()),
        redis(&server.url()),
    )
    .await;
    notifier.publish(event("r.png", 1)).await;
    assert!(wait_until(Duration::from_secs(5), || receiver.requests().len() >= 2).await);
    receiver.set_status(200);
    let requests = receiver.requests();
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(900), "retried after {gap:?}");
    assert!(wait_until(Duration::from_secs(5), || receiver.delivered().len() == 1).await);
    notifier.shutdown(Duration::from_secs(5)).await;
}

/// Rules: refused when they name what is not configured; a stored rule whose target is gone
/// is dropped while the others work; another instance picks rules up by its refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_validated_stored_and_refreshed() {
    let (server, dir) = (RedisServer::start(), TempDir::new().unwrap());
    let receiver = Receiver::start().await;
    let config = Settings {
        region: "eu".into(),
        ..settings(&receiver.url())
    };
    let notifier = Notifier::new(
        config.clone(),
        fs(dir.path()),
        redis(&server.url()),
        vec![BUCKET.into()],
    )
    .unwrap();
    let named = |target: &str| BucketRules {
        rules: vec![Rule {
            target: target.into(),
            ..rules().rules[0].clone()
        }],
    };
    for bad in [
        "arn:minio:sqs::hook:redis",
        "arn:minio:sqs::nope:webhook",
        "arn:minio:sqs:us:hook:webhook",
        "nonsense",
    ] {
        let refused = notifier.set_rules(BUCKET, named(bad)).await;
        assert!(matches!(refused, Err(notify::Error::Rules(_))), "{bad}");
    }
    let stored = notifier
        .set_rules(BUCKET, named("arn:minio:sqs:eu:hook:webhook"))
        .await
        .unwrap();
    assert_eq!(stored.rules[0].id, "rule-1");
    assert_eq!(notifier.rules(BUCKET).await.unwrap(), stored);
    assert_eq!(
        notifier.rules("other").await.unwrap(),
        BucketRules::default()
    );
    assert!(notifier.wants(BUCKET, notify::EventName::ObjectCreatedPut));
    assert!(!notifier.wants(BUCKET, notify::EventName::ObjectAccessedGet));
    assert!(!notifier.wants("other", notify::EventName::ObjectCreatedPut));

    // A document naming a target this instance does not have: only that rule is dropped.
    let document = r#"{"rules":[
        {"id":"gone","events":["s3:ObjectCreated:*"],"prefix":"","suffix":"","target":"arn:minio:sqs::gone:webhook"},
        {"id":"kept","events":["s3:ObjectCreated:*"],"prefix":"a/","suffix":"","target":"arn:minio:sqs::hook:webhook"}]}"#;
    fs(dir.path())
        .write(
            &format!("notify/buckets/{BUCKET}.json"),
            document.as_bytes().to_vec(),
        )
        .await
        .unwrap();
    let other = Notifier::new(
        config,
        fs(dir.path()),
        redis(&server.url()),
        vec![BUCKET.into()],
    )
    .unwrap();
    assert!(!other.wants(BUCKET, notify::EventName::ObjectCreatedPut));
    other.start();
    assert!(
        wait_until(Duration::from_secs(5), || other
            .wants(BUCKET, notify::EventName::ObjectCreatedPut))
        .await
    );
    other.publish(event("b/x.png", 1)).await;
    other.publish(event("a/x.png", 2)).await;
    assert!(wait_until(Duration::from_secs(10), || receiver.delivered().len() == 1).await);
    let delivered = receiver.delivered();
    assert_eq!(delivered[0].json()["Key"], "images/a/x.png");
    assert_eq!(
        delivered[0].json()["Records"][0]["s3"]["configurationId"],
        "kept"
    );
    assert_eq!(delivered[0].json()["Records"][0]["awsRegion"], "eu");
    assert_eq!(other.rules(BUCKET).await.unwrap().rules.len(), 2);
    other.shutdown(Duration::from_secs(5)).await;
}
