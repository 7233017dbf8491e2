//! What a [`crate::Notifier`] shares between its clones and its background tasks: the targets
//! (with their senders and one wake-up per shard), the queue, the rules, the backlog, the
//! metrics; publishing, and the background loops (rules refresh, backlog flush, leases, queue
//! depth). The delivery workers are in [`crate::worker`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backlog::Backlog;
use crate::deliver::Sender;
use crate::entry::{QueueEntry, now_ms, to_ms};
use crate::event::{self, MessageContext};
use crate::metrics::Metrics;
use crate::queue::{AppendError, Queue};
use crate::shard::shard_of;
use crate::store::{RulesStore, error_chain};
use crate::{Event, Settings, TargetInfo};

/// Entries written per append while flushing the backlog.
const FLUSH_BATCH: usize = 100;
/// How often the backlog is flushed and the queue depth counted.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// One configured target.
pub(crate) struct Target {
    pub id: String,
    /// What `targets()` lists (without `queued`).
    pub info: TargetInfo,
    pub sender: Sender,
    /// Wakes the worker of each shard (new entries of this instance, a lease gained).
    pub wake: Vec<Notify>,
}

pub(crate) struct Inner {
    pub settings: Settings,
    pub shards: u16,
    pub targets: BTreeMap<String, Arc<Target>>,
    pub queue: Queue,
    pub rules: RulesStore,
    pub backlog: Backlog,
    pub metrics: Metrics,
    pub cancel: CancellationToken,
    pub tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    pub started: AtomicBool,
    /// Whether appending failed and has not succeeded since (for logging once per outage).
    pub degraded: AtomicBool,
    /// The durable queue's depth per target as last read (kept while the queue cannot be
    /// read, when the backlog is what grows).
    pub durable_depth: std::sync::Mutex<BTreeMap<String, u64>>,
}

impl Inner {
    /// Wakes the worker of `entry`'s queue.
    pub(crate) fn wake(&self, entry: &QueueEntry) {
        if let Some(notify) = self
            .targets
            .get(&entry.target)
            .and_then(|t| t.wake.get(usize::from(entry.shard)))
        {
            notify.notify_one();
        }
    }

    /// The queue entries of `event`: one per target a rule sends it to.
    fn entries(&self, event: &Event) -> Vec<QueueEntry> {
        let Some(rules) = self.rules.compiled(&event.bucket) else {
            return Vec::new();
        };
        let matches = rules.matches(event.name, &event.key);
        if matches.is_empty() {
            return Vec::new();
        }
        // One id per event: every target gets the same `webhook-id` / `eventId`.
        let event_id = Uuid::new_v4().to_string();
        let shard = shard_of(&event.bucket, &event.key, self.shards);
        let (produced_at, queued_at) = (to_ms(event.time), now_ms());
        matches
            .into_iter()
            .map(|(target, rule)| {
                let message = event::message(
                    event,
                    &MessageContext {
                        event_id: &event_id,
                        configuration_id: rule,
                        region: &self.settings.region,
                    },
                );
                QueueEntry {
                    id: event_id.clone(),
                    target: target.to_owned(),
                    shard,
                    bucket: event.bucket.clone(),
                    key: event.key.clone(),
                    event_name: event.name.as_str().to_owned(),
                    produced_at,
                    queued_at,
                    message: message.to_string(),
                }
            })
            .collect()
    }

    pub(crate) async fn publish(&self, event: Event) {
        if self.targets.is_empty() || event.key.starts_with(".picgate/") {
            return;
        }
        let mut entries = self.entries(&event);
        if entries.is_empty() {
            return;
        }
        for entry in &entries {
            self.metrics
                .produced
                .with_label_values(&[entry.target.as_str()])
                .inc();
        }
        // Behind a backlog, a new message waits its turn (order per key).
        if self.backlog.is_empty() {
            match self.queue.append(&entries).await {
                Ok(()) => {
                    entries.iter().for_each(|e| self.wake(e));
                    return;
                }
                Err(AppendError { written, source }) => {
                    entries[..written].iter().for_each(|e| self.wake(e));
                    entries.drain(..written);
                    if !self.degraded.swap(true, Ordering::Relaxed) {
                        tracing::warn!(error = %error_chain(&source), "notify: the event queue cannot be written; holding events in memory");
                    }
                }
            }
        }
        self.hold(entries);
    }

    /// Puts `entries` in the backlog, counting those dropped.
    fn hold(&self, entries: Vec<QueueEntry>) {
        for entry in self.backlog.push(entries) {
            self.metrics
                .dropped
                .with_label_values(&[entry.target.as_str()])
                .inc();
            tracing::warn!(target_id = %entry.target, event_id = %entry.id, bucket = %entry.bucket, "notify: event dropped, the backlog is full");
        }
    }

    /// Writes the backlog to the queue, in order, until it is empty or a write fails.
    pub(crate) async fn flush_backlog(&self) {
        loop {
            let batch = self.backlog.front(FLUSH_BATCH);
            if batch.is_empty() {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!("notify: the event queue is writable again");
                }
                return;
            }
            let written = match self.queue.append(&batch).await {
                Ok(()) => batch.len(),
                Err(AppendError { written, .. }) => written,
            };
            self.backlog.pop(written);
            batch[..written].iter().for_each(|e| self.wake(e));
            if written < batch.len() {
                return;
            }
        }
    }

    /// Sleeps `d`; `false` when stopped meanwhile.
    pub(crate) async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(d) => true,
        }
    }

    /// Every `period` (first right away) until stopped.
    async fn every<F, Fut>(self: Arc<Self>, period: Duration, mut f: F)
    where
        F: FnMut(Arc<Self>) -> Fut,
        Fut: Future<Output = ()>,
    {
        loop {
            f(self.clone()).await;
            if !self.sleep(period).await {
                return;
            }
        }
    }

    /// Starts the background loops and the workers.
    pub(crate) fn spawn_all(self: &Arc<Self>) {
        let mut tasks = Vec::new();
        let refresh = self
            .settings
            .rules_refresh()
            .max(Duration::from_millis(100));
        tasks.push(tokio::spawn(self.clone().every(
            refresh,
            |inner| async move {
                inner.rules.refresh().await;
            },
        )));
        tasks.push(tokio::spawn(self.clone().every(
            HOUSEKEEPING,
            |inner| async move {
                inner.flush_backlog().await;
                inner.count_depth().await;
            },
        )));
        if let Queue::Redis(_) = &self.queue {
            tasks.push(tokio::spawn(self.clone().leases()));
        }
        for target in self.targets.values() {
            for shard in 0..self.shards {
                tasks.push(tokio::spawn(crate::worker::run(
                    self.clone(),
                    target.clone(),
                    shard,
                )));
            }
        }
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(tasks);
    }

    /// Sets the queue depth gauges: the durable queue (shared by every instance on Redis; its
    /// last reading while it cannot be read) and this instance's in-memory backlog.
    async fn count_depth(&self) {
        for id in self.targets.keys() {
            let read = self.queue.depth(id).await.ok();
            let durable = {
                let mut last = self
                    .durable_depth
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(depth) = read {
                    last.insert(id.clone(), depth);
                }
                last.get(id).copied().unwrap_or(0)
            };
            let waiting = durable.saturating_add(self.backlog.count(id) as u64);
            self.metrics
                .queue_depth
                .with_label_values(&[id.as_str()])
                .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        }
    }

    /// Drops what the backlog still holds (at shutdown), logging and counting it.
    pub(crate) fn drop_backlog(&self) {
        let lost = self.backlog.take();
        if lost.is_empty() {
            return;
        }
        for entry in &lost {
            self.metrics
                .dropped
                .with_label_values(&[entry.target.as_str()])
                .inc();
        }
        tracing::error!(
            events = lost.len(),
            "notify: stopping with events the queue could not take; they are lost"
        );
    }

    /// Takes and renews the leases every third of the lease; releases them when stopped.
    async fn leases(self: Arc<Self>) {
        let Queue::Redis(queue) = &self.queue else {
            return;
        };
        let period = (self.settings.lease() / 3).max(Duration::from_millis(100));
        let mut failing = false;
        loop {
            match queue.claim().await {
                Ok(gained) => {
                    failing = false;
                    for (target, shard) in gained {
                        tracing::debug!(target_id = %target, shard, "notify: queue lease taken");
                        if let Some(notify) = self
                            .targets
                            .get(&target)
                            .and_then(|t| t.wake.get(usize::from(shard)))
                        {
                            notify.notify_one();
                        }
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %error_chain(&e), "notify: cannot renew the queue leases");
                    }
                    failing = true;
                }
            }
            if !self.sleep(period).await {
                break;
            }
        }
        if let Err(e) = queue.release().await {
            tracing::warn!(error = %error_chain(&e), "notify: cannot release the queue leases (they lapse)");
        }
    }
}
