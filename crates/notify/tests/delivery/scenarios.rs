//! Scenarios run on both queues (Redis streams, the journal).

use std::time::Duration;

use notify::{Error, Notifier, RedisPlace, Settings};
use opendal::Operator;

use crate::receiver::Receiver;
use crate::support::{
    BUCKET, assert_once, check_signed, event, notifier, number, per_key, settings, wait_until,
};

/// Where a notifier keeps things: the system area and, maybe, Redis.
#[derive(Clone)]
pub struct Place {
    pub system: Operator,
    pub redis: Option<RedisPlace>,
}

const KEYS: [&str; 5] = ["a.png", "b/c.png", "d e.png", "f.png", "g.png"];
const WAIT: Duration = Duration::from_secs(15);

/// The value of counter `name` for target `hook`.
pub fn counter(notifier: &Notifier, name: &str) -> f64 {
    let registry = prometheus::Registry::new();
    for collector in notifier.collectors() {
        registry.register(collector).expect("register");
    }
    registry
        .gather()
        .iter()
        .filter(|family| family.name() == name)
        .flat_map(|family| family.get_metric())
        .map(|m| m.get_counter().get_value() + m.get_gauge().get_value())
        .sum()
}

/// Waits until `hook` has nothing queued.
async fn drained(notifier: &Notifier) -> bool {
    for _ in 0..100 {
        let targets = notifier.targets().await;
        if targets.iter().all(|t| t.queued == Some(0)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn dead_count(notifier: &Notifier) -> usize {
    notifier
        .dead_letters(None, None, 500)
        .await
        .map_or(0, |page| page.items.len())
}

/// 25 events over 5 keys arrive once each, in order per key, signed, with the headers.
pub async fn in_order_and_signed(place: Place) {
    let receiver = Receiver::start().await;
    let notifier = notifier(settings(&receiver.url()), place.system, place.redis).await;
    for n in 0..25u64 {
        notifier.publish(event(KEYS[(n % 5) as usize], n)).await;
    }
    assert!(wait_until(WAIT, || receiver.delivered().len() >= 25).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let delivered = receiver.delivered();
    assert_eq!(assert_once(&delivered), 25);
    assert_eq!(delivered.len(), 25);
    delivered.iter().for_each(check_signed);
    for (key, numbers) in per_key(&delivered) {
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(numbers, sorted, "order of {key}");
        assert_eq!(numbers.len(), 5);
    }
    assert!(drained(&notifier).await);
    assert_eq!(
        counter(&notifier, "picgate_notify_events_produced_total"),
        25.0
    );
    assert_eq!(
        counter(&notifier, "picgate_notify_events_delivered_total"),
        25.0
    );
    let targets = notifier.targets().await;
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].arn, "arn:minio:sqs::hook:webhook");
    assert!(targets[0].signed);
    notifier.shutdown(Duration::from_secs(5)).await;
}

/// A failing receiver: each event is tried `max_attempts` times, then dead-lettered; the
/// dead letters page; replay delivers them with the same id and body.
pub async fn dead_letters_then_replay(place: Place) {
    let receiver = Receiver::start().await;
    receiver.set_status(500);
    let settings = Settings {
        max_attempts: 3,
        ..settings(&receiver.url())
    };
    let notifier = notifier(settings, place.system, place.redis).await;
    for n in 0..3u64 {
        notifier.publish(event(&format!("x{n}.png"), n)).await;
    }
    for _ in 0..300 {
        if dead_count(&notifier).await == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = notifier
        .dead_letters(None, None, 500)
        .await
        .expect("dead letters");
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.next_cursor, None);
    assert_eq!(receiver.requests().len(), 9);
    for letter in &page.items {
        assert_eq!(letter.target, "hook");
        assert_eq!(letter.attempts, 3);
        assert_eq!(letter.last_error, "HTTP 500");
        assert_eq!(letter.bucket, BUCKET);
        assert_eq!(letter.event_name, "s3:ObjectCreated:Put");
        assert_eq!(letter.message["Key"], format!("{BUCKET}/{}", letter.key));
        assert_eq!(
            letter.message["Records"][0]["picgate"]["eventId"],
            letter.event_id.as_str()
        );
    }
    assert_eq!(
        counter(&notifier, "picgate_notify_events_dead_lettered_total"),
        3.0
    );
    assert_eq!(
        counter(&notifier, "picgate_notify_delivery_retries_total"),
        6.0
    );

    // Paging: 2, then 1, in the same order.
    let first = notifier
        .dead_letters(Some("hook"), None, 2)
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("a next page");
    let second = notifier
        .dead_letters(Some("hook"), Some(&cursor), 2)
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_cursor, None);
    let paged: Vec<&str> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|l| l.id.as_str())
        .collect();
    let all: Vec<&str> = page.items.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(paged, all);

    assert!(matches!(
        notifier.dead_letters(Some("nope"), None, 10).await,
        Err(Error::UnknownTarget(_))
    ));
    assert!(matches!(
        notifier.dead_letters(None, Some("garbage"), 10).await,
        Err(Error::InvalidCursor)
    ));
    assert!(matches!(
        notifier.replay(None, Some("nope")).await,
        Err(Error::UnknownTarget(_))
    ));

    receiver.set_status(200);
    let one = page.items[0].id.clone();
    let replayed = notifier
        .replay(Some(vec![one.clone(), "1-1".into(), "bad".into()]), None)
        .await
        .expect("replay one");
    assert_eq!(replayed.replayed, 1);
    assert_eq!(replayed.missing, ["1-1", "bad"]);
    let rest = notifier
        .replay(None, Some("hook"))
        .await
        .expect("replay all");
    assert_eq!(rest.replayed, 2);
    assert!(rest.missing.is_empty());
    assert!(wait_until(WAIT, || receiver.delivered().len() >= 3).await);
    let delivered = receiver.delivered();
    assert_eq!(assert_once(&delivered), 3);
    delivered.iter().for_each(check_signed);
    // Every attempt of an event carried the same id and the same bytes.
    for request in &delivered {
        let id = request.header("webhook-id");
        let attempts: Vec<_> = receiver
            .requests()
            .into_iter()
            .filter(|r| r.header("webhook-id") == id)
            .collect();
        assert_eq!(attempts.len(), 4);
        assert!(attempts.iter().all(|a| a.body == request.body));
    }
    assert_eq!(dead_count(&notifier).await, 0);
    assert!(drained(&notifier).await);
    notifier.shutdown(Duration::from_secs(5)).await;
}

/// The receiver refuses connections for a while: everything arrives afterwards, once.
pub async fn down_then_up(place: Place) {
    let receiver = Receiver::start().await;
    receiver.down();
    let notifier = notifier(settings(&receiver.url()), place.system, place.redis).await;
    for n in 0..10u64 {
        notifier.publish(event(KEYS[(n % 3) as usize], n)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(receiver.requests().is_empty());
    let receiver = receiver.up().await;
    assert!(wait_until(WAIT, || receiver.delivered().len() >= 10).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = receiver.delivered();
    assert_eq!(assert_once(&delivered), 10);
    assert_eq!(delivered.len(), 10);
    for (key, numbers) in per_key(&delivered) {
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(numbers, sorted, "order of {key}");
    }
    notifier.shutdown(Duration::from_secs(5)).await;
}

/// A notifier stopped with events queued (the receiver down); a new one on the same queue
/// delivers them.
pub async fn handover(first: Place, second: Place) {
    let receiver = Receiver::start().await;
    receiver.down();
    let old = notifier(settings(&receiver.url()), first.system, first.redis).await;
    for n in 0..6u64 {
        old.publish(event(KEYS[(n % 2) as usize], n)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    old.shutdown(Duration::from_secs(5)).await;
    let receiver = receiver.up().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.requests().is_empty(),
        "the stopped notifier delivered"
    );
    let new = notifier(settings(&receiver.url()), second.system, second.redis).await;
    assert!(wait_until(WAIT, || receiver.delivered().len() >= 6).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let delivered = receiver.delivered();
    assert_eq!(assert_once(&delivered), 6);
    let mut numbers: Vec<u64> = delivered.iter().map(number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
    for (key, numbers) in per_key(&delivered) {
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(numbers, sorted, "order of {key}");
    }
    new.shutdown(Duration::from_secs(5)).await;
}
