//! One worker per (target, shard): delivers the queue strictly in order.
//!
//! The head is tried until the target acknowledges it (then it is removed and the next one
//! goes), it failed `max_attempts` times, or it is older than `max_age` since it was queued
//! (then it becomes a dead letter; one that is already too old when it reaches the head is
//! dead-lettered without an attempt, as `too old`). Between attempts the worker waits the
//! backoff (a receiver's `Retry-After` on 429/503 instead, at most the backoff's maximum); a
//! stop interrupts any wait and any attempt in flight. Failures are counted in memory per
//! queue position, so a replayed entry starts again from zero, and an instance that takes a
//! queue over counts from zero too.
//!
//! With Redis, a worker only works while this instance holds the queue's lease; it wakes when
//! it gets the lease, when this instance queued something for it, and every `poll_interval`
//! (for entries other instances queued).

use std::sync::Arc;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::deliver::Failure;
use crate::engine::{Inner, Target};
use crate::entry::{QueueEntry, now_ms};
use crate::queue::{Pos, Slot};
use crate::store::error_chain;

/// Entries read from the head per round.
const HEAD_BATCH: usize = 16;

/// What the worker knows about the entry at the head.
#[derive(Default)]
struct Head {
    pos: Option<Pos>,
    failures: u32,
    last_error: String,
}

/// What to do after one entry.
enum Step {
    /// Go on with the next entry read.
    Next,
    /// Read the head again.
    Again,
    /// Stopped.
    Stop,
}

pub(crate) async fn run(inner: Arc<Inner>, target: Arc<Target>, shard: u16) {
    let mut head = Head::default();
    let mut failing = false;
    loop {
        if inner.cancel.is_cancelled() {
            return;
        }
        if !inner.queue.may_deliver(&target.id, shard) {
            if !idle(&inner, &target, shard).await {
                return;
            }
            continue;
        }
        let slots = match inner.queue.head(&target.id, shard, HEAD_BATCH).await {
            Ok(slots) => {
                failing = false;
                slots
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(target_id = %target.id, shard, error = %error_chain(&e), "notify: cannot read the queue");
                }
                failing = true;
                Vec::new()
            }
        };
        if slots.is_empty() {
            if !idle(&inner, &target, shard).await {
                return;
            }
            continue;
        }
        for slot in slots {
            match step(&inner, &target, shard, slot, &mut head).await {
                Step::Next => {}
                Step::Again => break,
                Step::Stop => return,
            }
        }
    }
}

/// Waits for a wake-up or the poll interval; `false` when stopped.
async fn idle(inner: &Inner, target: &Target, shard: u16) -> bool {
    let poll = inner
        .settings
        .poll_interval()
        .max(Duration::from_millis(10));
    let Some(wake) = target.wake.get(usize::from(shard)) else {
        return inner.sleep(poll).await;
    };
    tokio::select! {
        () = inner.cancel.cancelled() => false,
        () = wake.notified() => true,
        () = tokio::time::sleep(poll) => true,
    }
}

async fn step(inner: &Inner, target: &Target, shard: u16, slot: Slot, head: &mut Head) -> Step {
    let Slot { pos, entry } = slot;
    let Some(entry) = entry else {
        tracing::error!(target_id = %target.id, shard, ?pos, "notify: a queued entry does not parse; skipped");
        return match inner.queue.discard(&target.id, shard, &pos).await {
            Ok(true) => Step::Next,
            Ok(false) | Err(_) => pause(inner).await,
        };
    };
    if head.pos.as_ref() != Some(&pos) {
        *head = Head {
            pos: Some(pos.clone()),
            ..Head::default()
        };
    }
    let max_age_ms = i64::try_from(inner.settings.max_age().as_millis()).unwrap_or(i64::MAX);
    let too_old = || now_ms().saturating_sub(entry.queued_at) > max_age_ms;
    if head.failures >= inner.settings.max_attempts {
        let error = head.last_error.clone();
        return bury(inner, target, shard, &pos, &entry, head.failures, &error).await;
    }
    if too_old() {
        let error = match head.last_error.as_str() {
            "" => "too old".to_owned(),
            last => format!("too old; last attempt: {last}"),
        };
        return bury(inner, target, shard, &pos, &entry, head.failures, &error).await;
    }
    if !inner.queue.may_deliver(&target.id, shard) {
        return Step::Again;
    }
    let attempt = tokio::select! {
        () = inner.cancel.cancelled() => return Step::Stop,
        result = target.sender.send(&entry) => result,
    };
    match attempt {
        Ok(()) => acknowledge(inner, target, shard, &pos, &entry).await,
        Err(Failure { error, retry_after }) => {
            head.failures += 1;
            head.last_error.clone_from(&error);
            if head.failures >= inner.settings.max_attempts || too_old() {
                return bury(inner, target, shard, &pos, &entry, head.failures, &error).await;
            }
            inner
                .metrics
                .retries
                .with_label_values(&[target.id.as_str()])
                .inc();
            let delay = retry_delay(&inner.settings.backoff(), head.failures, retry_after);
            tracing::info!(target_id = %target.id, shard, event_id = %entry.id, attempt = head.failures, %error, retry_in_ms = delay.as_millis(), "notify: delivery failed");
            if inner.sleep(delay).await {
                Step::Again
            } else {
                Step::Stop
            }
        }
    }
}

/// The wait before the next attempt after `failures` failed ones: the receiver's
/// `Retry-After` when it gave one (at most the backoff's maximum), else the backoff's.
fn retry_delay(backoff: &Backoff, failures: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(wanted) => wanted.min(backoff.max),
        None => backoff.delay(failures),
    }
}

/// Removes the delivered head, retrying while this instance may (a failed removal would mean
/// delivering it again).
async fn acknowledge(
    inner: &Inner,
    target: &Target,
    shard: u16,
    pos: &Pos,
    entry: &QueueEntry,
) -> Step {
    loop {
        match inner.queue.ack(&target.id, shard, pos).await {
            Ok(true) => {
                let label = [target.id.as_str()];
                inner.metrics.delivered.with_label_values(&label).inc();
                let latency_ms = now_ms().saturating_sub(entry.produced_at).max(0);
                #[allow(clippy::cast_precision_loss)]
                let seconds = latency_ms as f64 / 1000.0;
                inner
                    .metrics
                    .latency
                    .with_label_values(&label)
                    .observe(seconds);
                tracing::debug!(target_id = %target.id, shard, event_id = %entry.id, "notify: delivered");
                return Step::Next;
            }
            Ok(false) => {
                tracing::info!(target_id = %target.id, shard, event_id = %entry.id, "notify: queue lease lost before the acknowledgement; its new holder delivers the event again");
                return Step::Again;
            }
            Err(e) => {
                tracing::warn!(target_id = %target.id, shard, error = %error_chain(&e), "notify: cannot remove a delivered event; retrying");
                if !inner.sleep(inner.settings.poll_interval()).await {
                    return Step::Stop;
                }
                if !inner.queue.may_deliver(&target.id, shard) {
                    return Step::Again;
                }
            }
        }
    }
}

/// Moves the head to the dead letters.
async fn bury(
    inner: &Inner,
    target: &Target,
    shard: u16,
    pos: &Pos,
    entry: &QueueEntry,
    attempts: u32,
    error: &str,
) -> Step {
    let dead = entry.dead(attempts, error);
    match inner.queue.bury(&target.id, shard, pos, &dead).await {
        Ok(true) => {
            inner
                .metrics
                .dead_lettered
                .with_label_values(&[target.id.as_str()])
                .inc();
            tracing::warn!(target_id = %target.id, shard, event_id = %entry.id, bucket = %entry.bucket, attempts, error, "notify: event moved to the dead letters");
            Step::Next
        }
        Ok(false) => Step::Again,
        Err(e) => {
            tracing::warn!(target_id = %target.id, shard, error = %error_chain(&e), "notify: cannot move an event to the dead letters; retrying");
            pause(inner).await
        }
    }
}

/// After a queue error: wait a poll interval, then read the head again.
async fn pause(inner: &Inner) -> Step {
    if inner.sleep(inner.settings.poll_interval()).await {
        Step::Again
    } else {
        Step::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_wins_up_to_the_backoff_maximum() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
        };
        let wanted = Some(Duration::from_secs(2));
        assert_eq!(retry_delay(&backoff, 1, wanted), Duration::from_secs(2));
        let huge = Some(Duration::from_secs(3600));
        assert_eq!(retry_delay(&backoff, 1, huge), Duration::from_secs(5));
        for failures in 1..20 {
            let delay = retry_delay(&backoff, failures, None);
            assert!(delay <= backoff.max, "{delay:?}");
            assert!(delay >= Duration::from_millis(50), "{delay:?}");
        }
        // Later failures wait longer (the upper half of a doubled delay is above the whole
        // of the first one).
        let first = retry_delay(&backoff, 1, None);
        let third = retry_delay(&backoff, 3, None);
        assert!(third >= first, "{first:?} then {third:?}");
    }
}
