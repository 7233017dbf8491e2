//! picgate bucket notifications. The service layer reports what happened to objects
//! ([`Event`]); [`Notifier::publish`] matches it against the bucket's rules ([`rules`]) and
//! appends one message per matching target to a durable queue (a Redis stream per target and
//! shard when Redis is configured, else a journal in the system area); workers deliver each
//! queue in order (webhook POSTs signed as Standard Webhooks has it, or Redis stream
//! entries), retry with backoff and move what keeps failing to a dead-letter list.
//!
//! - Publishing matches in memory (the rules are compiled, `store`) and does one append;
//!   it never waits for a delivery. If the append fails (Redis or the system area down), the
//!   messages wait in an in-memory backlog of at most `backlog_max` (beyond it they are
//!   dropped and counted), written in order by a task every second; while the backlog is not
//!   empty new messages queue up behind it, so the order per key holds.
//! - One event has one id (a UUID v4) for all its targets: the `webhook-id`, the message's
//!   `Records[0].picgate.eventId` and the dead letter's `eventId`.
//! - The queue (`queue`): Redis streams with a lease per queue, or a journal of files.
//! - Delivery (`worker`, `deliver`): one worker per (target, shard), in order, with
//!   retries, dead letters and replay. Delivery is at least once: a stop or a lost lease
//!   between a delivery and its acknowledgement makes the event go again (same `webhook-id`).
//! - Rules written by another instance apply here within `rules_refresh_secs`; until the
//!   first read after [`Notifier::start`] (or [`Notifier::refresh_rules`]) no rule applies.
//! - [`Notifier::stop`] only signals; [`Notifier::shutdown`] also waits until the leases are
//!   released, so that another instance takes the queues over at once (otherwise after they
//!   lapse, `lease_secs`).
//! - Every target has [`shard::SHARDS`] queues, a fixed number, so that every instance puts
//!   one key's events in the same queue whatever its version or configuration.

pub mod backoff;
pub mod event;
pub mod rules;
pub mod settings;
pub mod signature;

mod backlog;
mod deliver;
mod engine;
mod entry;
mod metrics;
mod queue;
mod shard;
mod store;
mod worker;

pub use event::{Event, EventName};
pub use rules::{Arn, BucketRules, Rule, RulesError};
pub use settings::{Settings, SettingsError, TargetKind, TargetSettings};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backlog::Backlog;
use crate::deliver::{Sender, StreamSender, WebhookSender};
use crate::engine::{Inner, Target};
use crate::entry::QueueEntry;
use crate::metrics::Metrics;
use crate::queue::{Journal, Queue, RedisQueue};
use crate::shard::shard_of;
use crate::store::RulesStore;

/// Everything the notifier's operations fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration was refused (400 `invalid_notification`).
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// No target has this id (404 `target_not_found`).
    #[error("no notification target '{0}'")]
    UnknownTarget(String),
    /// Redis (the queue, the dead letters) cannot be reached (503).
    #[error("the event queue cannot be reached")]
    QueueUnavailable(#[source] anyhow::Error),
    /// The system area (rules, the journal) cannot be reached (503).
    #[error("the system area cannot be reached")]
    StorageUnavailable(#[source] anyhow::Error),
    /// A dead-letter cursor not issued here (400 `invalid_cursor`).
    #[error("the cursor was not issued by this server")]
    InvalidCursor,
    /// A bug, a misconfiguration found late, or a stored document that does not parse (500).
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// picgate's Redis, for the queue and for `redis` targets.
#[derive(Debug, Clone)]
pub struct RedisPlace {
    pub url: String,
    /// Prefix of every key (`redis.key_prefix`, e.g. `picgate:`).
    pub key_prefix: String,
}

/// A configured target as `GET /api/v1/notify/targets` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetInfo {
    pub id: String,
    /// `arn:minio:sqs::<id>:<type>`: what a bucket rule names.
    pub arn: String,
    #[serde(rename = "type")]
    pub kind: TargetKind,
    /// webhook: the endpoint without user info, query or fragment.
    pub endpoint: Option<String>,
    /// redis: the stream.
    pub stream: Option<String>,
    /// webhook: whether requests carry a `webhook-signature`.
    pub signed: bool,
    /// Events waiting for this target now; `None` when the queue did not answer.
    pub queued: Option<u64>,
}

/// An event that was not delivered, as `GET /api/v1/notify/dead` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The dead letter's id (what replay takes).
    pub id: String,
    pub target: String,
    /// The message's id (`webhook-id`; `Records[0].picgate.eventId`).
    pub event_id: String,
    pub event_name: String,
    pub bucket: String,
    pub key: String,
    pub attempts: u32,
    /// Why the last attempt failed (`HTTP 500`, `connection refused` …, `too old`).
    pub last_error: String,
    #[serde(with = "time::serde::rfc3339")]
    pub produced_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub dead_at: OffsetDateTime,
    /// The message as it would have been sent.
    pub message: serde_json::Value,
}

/// A page of dead letters, oldest first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadPage {
    pub items: Vec<DeadLetter>,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// What a replay did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replayed {
    /// Dead letters put back at the end of their target's queue.
    pub replayed: usize,
    /// Ids asked for that are not (or no longer) dead letters.
    pub missing: Vec<String>,
}

/// The notifier of one process: cheap to clone (shared inside).
/// When the last clone is dropped, the background work stops as with [`Notifier::stop`].
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
    /// Stops the background work when the last clone goes (the tasks hold `inner`, not this).
    _stop_on_drop: Arc<tokio_util::sync::DropGuard>,
}

impl Notifier {
    /// Builds the notifier; does no I/O. `system`: the system area (rules, and the journal
    /// when there is no Redis). `redis`: picgate's Redis, when configured (the queue, the dead
    /// letters, the leases and `redis` targets). `buckets`: every configured bucket name (whose
    /// rules are refreshed). Errors: `Internal` for a malformed Redis URL or a secret that is
    /// not a valid signing key.
    pub fn new(
        settings: Settings,
        system: opendal::Operator,
        redis: Option<RedisPlace>,
        buckets: Vec<String>,
    ) -> Result<Self, Error> {
        let shards = shard::SHARDS;
        let conn = match &redis {
            Some(place) => Some(Arc::new(
                auth::LazyConnection::new(&place.url)
                    .map_err(|e| Error::Internal(anyhow::Error::new(e).context("redis.url")))?,
            )),
            None => None,
        };
        let mut targets = BTreeMap::new();
        for (id, target) in &settings.targets {
            let sender = match target.kind {
                TargetKind::Webhook => Sender::Webhook(Box::new(WebhookSender::new(
                    id,
                    target,
                    settings.timeout(),
                )?)),
                TargetKind::Redis => {
                    let (Some(conn), Some(stream)) = (&conn, &target.stream) else {
                        return Err(Error::Internal(anyhow::anyhow!(
                            "notify.targets.{id}: a redis target needs a stream and redis.url"
                        )));
                    };
                    Sender::Stream(StreamSender::new(
                        conn.clone(),
                        stream.clone(),
                        target.maxlen,
                    ))
                }
            };
            let info = TargetInfo {
                id: id.clone(),
                arn: Arn::of_target(id, target.kind.as_str()),
                kind: target.kind,
                endpoint: target.endpoint.as_deref().map(public_endpoint),
                stream: target.stream.clone(),
                signed: target.secret.is_some(),
                queued: None,
            };
            let wake = (0..shards).map(|_| Notify::new()).collect();
            targets.insert(
                id.clone(),
                Arc::new(Target {
                    id: id.clone(),
                    info,
                    sender,
                    wake,
                }),
            );
        }
        let queue = match (redis, conn) {
            (Some(place), Some(conn)) => {
                let ids: Vec<String> = targets.keys().cloned().collect();
                Queue::Redis(RedisQueue::new(
                    conn,
                    place.key_prefix,
                    Uuid::new_v4().to_string(),
                    settings.lease().max(Duration::from_secs(1)),
                    &ids,
                    shards,
                ))
            }
            _ => Queue::Journal(Journal::new(system.clone(), shards)),
        };
        let metrics = Metrics::new().map_err(|e| Error::Internal(e.into()))?;
        targets.keys().for_each(|id| metrics.expose(id));
        let rules = RulesStore::new(system, &settings, buckets);
        let backlog = Backlog::new(settings.backlog_max);
        let cancel = CancellationToken::new();
        Ok(Self {
            _stop_on_drop: Arc::new(cancel.clone().drop_guard()),
            inner: Arc::new(Inner {
                settings,
                shards,
                targets,
                queue,
                rules,
                backlog,
                metrics,
                cancel,
                tasks: std::sync::Mutex::new(Vec::new()),
                started: AtomicBool::new(false),
                degraded: AtomicBool::new(false),
                durable_depth: std::sync::Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// Starts the background work: the rules refresh, the leases (Redis) and one worker per
    /// target and shard. Call once, inside a Tokio runtime. Stops with [`Notifier::stop`].
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            tracing::error!("notify: start() was called outside a Tokio runtime; nothing started");
            return;
        }
        self.inner.spawn_all();
        tracing::info!(
            targets = self.inner.targets.len(),
            shards = self.inner.shards,
            queue = match self.inner.queue {
                Queue::Redis(_) => "redis",
                Queue::Journal(_) => "journal",
            },
            "notify: started"
        );
    }

    /// Stops the background work (deliveries in flight are abandoned and retried later by
    /// whoever holds their queue next; leases are released).
    pub fn stop(&self) {
        self.inner.cancel.cancel();
    }

    /// [`Notifier::stop`], then waits (at most `timeout`) until the background work has
    /// ended and the leases are released, so another instance can take the queues over at
    /// once.
    pub async fn shutdown(&self, timeout: Duration) {
        self.stop();
        let tasks = std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(timeout, all).await.is_err() {
            tracing::warn!("notify: background work did not end in time");
        }
        // Messages still held in memory (the queue could not be written) get one last try;
        // what is left dies with the process: logged and counted as dropped.
        let _ = tokio::time::timeout(timeout, self.inner.flush_backlog()).await;
        self.inner.drop_backlog();
    }

    /// Whether any target is configured.
    pub fn enabled(&self) -> bool {
        !self.inner.targets.is_empty()
    }

    /// Every configured target with its ARN and queue depth.
    pub async fn targets(&self) -> Vec<TargetInfo> {
        let mut out = Vec::with_capacity(self.inner.targets.len());
        for target in self.inner.targets.values() {
            let mut info = target.info.clone();
            info.queued = self.inner.queue.depth(&target.id).await.ok();
            out.push(info);
        }
        out
    }

    /// `bucket`'s stored configuration, read from the system area (an empty one when none
    /// was set). Errors: `StorageUnavailable`, `Internal` (a stored document that does not
    /// parse).
    pub async fn rules(&self, bucket: &str) -> Result<BucketRules, Error> {
        self.inner.rules.get(bucket).await
    }

    /// Checks `rules` ([`BucketRules::validate`] against the configured targets and
    /// `access_events`), stores them in the system area and applies them on this instance at
    /// once (others within `rules_refresh_secs`). Answers what was stored. Errors: `Rules`,
    /// `StorageUnavailable`.
    pub async fn set_rules(&self, bucket: &str, rules: BucketRules) -> Result<BucketRules, Error> {
        self.inner.rules.set(bucket, rules).await
    }

    /// Re-reads every bucket's stored rules now and applies them (the refresh task does this
    /// every `rules_refresh_secs`, starting at [`Notifier::start`]); for having them before
    /// serving the first request. Failures are logged; the rules in use stay.
    pub async fn refresh_rules(&self) {
        self.inner.rules.refresh().await;
    }

    /// Whether any rule of `bucket` asks for `name` (no I/O; for skipping work on hot paths).
    pub fn wants(&self, bucket: &str, name: EventName) -> bool {
        self.inner
            .rules
            .compiled(bucket)
            .is_some_and(|rules| rules.wants(name))
    }

    /// Queues one message per target a rule of `event.bucket` sends `event` to. Never fails
    /// and never waits for delivery (see the backlog in the module docs).
    pub async fn publish(&self, event: Event) {
        self.inner.publish(event).await;
    }

    /// Dead letters, oldest first, `limit` (1–500) from after `cursor`, of `target` or all.
    /// Errors: `UnknownTarget`, `InvalidCursor`, `QueueUnavailable`, `StorageUnavailable`.
    pub async fn dead_letters(
        &self,
        target: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DeadPage, Error> {
        self.known(target)?;
        self.inner.queue.dead_page(target, cursor, limit).await
    }

    /// Puts dead letters back at the end of their target's queue: those of `ids` (all when
    /// `None`), of `target` only when given. Errors: `UnknownTarget`, `QueueUnavailable`,
    /// `StorageUnavailable`.
    ///
    /// A letter of a target that is no longer configured stays where it is (listed in
    /// `missing` when asked for by id). A replayed message keeps its event id, message and
    /// production time; its attempts and age start again.
    pub async fn replay(
        &self,
        ids: Option<Vec<String>>,
        target: Option<&str>,
    ) -> Result<Replayed, Error> {
        self.known(target)?;
        let inner = &self.inner;
        let new_entry = |letter: &DeadLetter| {
            if !inner.targets.contains_key(&letter.target) {
                return None;
            }
            let shard = shard_of(&letter.bucket, &letter.key, inner.shards);
            QueueEntry::replay_of(letter, shard).ok()
        };
        let (replayed, missing) = inner.queue.replay(ids, target, &new_entry).await?;
        replayed.iter().for_each(|entry| inner.wake(entry));
        if !replayed.is_empty() {
            tracing::info!(replayed = replayed.len(), "notify: dead letters replayed");
        }
        Ok(Replayed {
            replayed: replayed.len(),
            missing,
        })
    }

    /// The notifier's Prometheus collectors, to register once.
    pub fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        self.inner.metrics.collectors()
    }

    /// `UnknownTarget` unless `target` is `None` or configured.
    fn known(&self, target: Option<&str>) -> Result<(), Error> {
        match target {
            Some(id) if !self.inner.targets.contains_key(id) => {
                Err(Error::UnknownTarget(id.to_owned()))
            }
            _ => Ok(()),
        }
    }
}

/// The endpoint as listed: without user info, query or fragment.
fn public_endpoint(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(mut url) => {
            // Only fails for URLs that cannot have credentials; nothing to remove then.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::public_endpoint;

    #[test]
    fn listed_endpoints_hide_credentials_and_queries() {
        assert_eq!(
            public_endpoint("https://user:pw@hooks.example/x/y?token=1#f"),
            "https://hooks.example/x/y"
        );
        assert_eq!(public_endpoint("not a url"), "");
    }
}
