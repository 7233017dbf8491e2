//! The durable queue: one FIFO per (target, shard), plus the dead-letter list.
//!
//! - [`redis`]: with picgate's Redis. Streams `<prefix>notify:q:<target>:<shard>` (field `m`:
//!   the entry's JSON), the dead letters in `<prefix>notify:dead` (field `m`: the dead letter's
//!   JSON; its id is the stream entry id), leases `<prefix>notify:lease:<target>:<shard>`
//!   so that one instance at a time delivers a queue. Any number of instances.
//! - [`journal`]: without Redis, files in the system area: `notify/queue/<target>/<shard:03>/
//!   <seq:020>.json` (deleted when acknowledged) and `notify/dead/<ms:013>-<seq:06>.json`. One
//!   instance only (there is nothing to coordinate several).
//!
//! Dead letters are kept until replayed (the list is not trimmed). Paging the Redis list uses
//! exclusive `XRANGE` bounds (Redis 6.2 or later).
//!
//! Dead-letter ids are `<digits>-<digits>` in both (a Redis stream id, or the file's name) and
//! sort in the order the letters were made; a page cursor is the id of the last letter of the
//! previous page.

mod journal;
mod redis;

use std::collections::HashSet;

use crate::entry::QueueEntry;
use crate::{DeadLetter, DeadPage, Error};

pub(crate) use journal::Journal;
pub(crate) use redis::RedisQueue;

/// Dead letters read per round while paging or replaying.
const DEAD_BATCH: usize = 200;

/// Where an entry sits in its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pos {
    /// A stream entry id.
    Stream(String),
    /// A journal file: its sequence number and path.
    File { seq: u64, path: String },
}

/// An entry at the head of a queue; `entry` is `None` when its JSON does not parse.
pub(crate) struct Slot {
    pub pos: Pos,
    pub entry: Option<QueueEntry>,
}

/// An append that stopped: the first `written` entries are queued, the rest are not.
pub(crate) struct AppendError {
    pub written: usize,
    pub source: Error,
}

pub(crate) enum Queue {
    Redis(RedisQueue),
    Journal(Journal),
}

impl Queue {
    /// Appends `entries` in order at the end of their queues.
    pub(crate) async fn append(&self, entries: &[QueueEntry]) -> Result<(), AppendError> {
        match self {
            Queue::Redis(q) => q.append(entries).await,
            Queue::Journal(q) => q.append(entries).await,
        }
    }

    /// Whether this instance may deliver `target`'s `shard` now (Redis: holds its lease).
    pub(crate) fn may_deliver(&self, target: &str, shard: u16) -> bool {
        match self {
            Queue::Redis(q) => q.holds(target, shard),
            Queue::Journal(_) => true,
        }
    }

    /// The first `count` entries of a queue, oldest first.
    pub(crate) async fn head(
        &self,
        target: &str,
        shard: u16,
        count: usize,
    ) -> Result<Vec<Slot>, Error> {
        match self {
            Queue::Redis(q) => q.head(target, shard, count).await,
            Queue::Journal(q) => q.head(target, shard, count).await,
        }
    }

    /// Removes a delivered entry. `Ok(false)`: this instance lost the queue's lease first (the
    /// entry stays; its new holder delivers it again).
    pub(crate) async fn ack(&self, target: &str, shard: u16, pos: &Pos) -> Result<bool, Error> {
        match self {
            Queue::Redis(q) => q.ack(target, shard, pos).await,
            Queue::Journal(q) => q.ack(target, shard, pos).await,
        }
    }

    /// Moves an entry to the dead letters. `Ok(false)` as for [`Queue::ack`].
    pub(crate) async fn bury(
        &self,
        target: &str,
        shard: u16,
        pos: &Pos,
        dead: &DeadLetter,
    ) -> Result<bool, Error> {
        match self {
            Queue::Redis(q) => q.bury(target, shard, pos, dead).await,
            Queue::Journal(q) => q.bury(target, shard, pos, dead).await,
        }
    }

    /// Gets an entry whose JSON does not parse out of the way (Redis: deleted; journal: the
    /// file is left where it is and skipped until the next start).
    pub(crate) async fn discard(&self, target: &str, shard: u16, pos: &Pos) -> Result<bool, Error> {
        match self {
            Queue::Redis(q) => q.ack(target, shard, pos).await,
            Queue::Journal(q) => {
                q.forget(target, shard, pos).await;
                Ok(true)
            }
        }
    }

    /// Entries waiting for `target`, over all its shards.
    pub(crate) async fn depth(&self, target: &str) -> Result<u64, Error> {
        match self {
            Queue::Redis(q) => q.depth(target).await,
            Queue::Journal(q) => q.depth(target).await,
        }
    }

    /// Up to `count` dead letters after `after` (exclusive), oldest first, each with its id;
    /// `None` for one that does not parse.
    async fn dead_batch(
        &self,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<(String, Option<DeadLetter>)>, Error> {
        match self {
            Queue::Redis(q) => q.dead_batch(after, count).await,
            Queue::Journal(q) => q.dead_batch(after, count).await,
        }
    }

    /// The id of the newest dead letter.
    async fn dead_last(&self) -> Result<Option<String>, Error> {
        match self {
            Queue::Redis(q) => q.dead_last().await,
            Queue::Journal(q) => q.dead_last().await,
        }
    }

    async fn dead_get(&self, id: &str) -> Result<Option<DeadLetter>, Error> {
        match self {
            Queue::Redis(q) => q.dead_get(id).await,
            Queue::Journal(q) => q.dead_get(id).await,
        }
    }

    /// Appends `entry` to the end of its queue and removes dead letter `id`, atomically (Redis)
    /// or in that order (journal). `Ok(false)`: `id` is no longer a dead letter.
    async fn resurrect(&self, id: &str, entry: &QueueEntry) -> Result<bool, Error> {
        match self {
            Queue::Redis(q) => q.resurrect(id, entry).await,
            Queue::Journal(q) => q.resurrect(id, entry).await,
        }
    }

    /// A page of dead letters (of `target` when given), see [`crate::Notifier::dead_letters`].
    /// Errors: `InvalidCursor`, `QueueUnavailable`, `StorageUnavailable`.
    pub(crate) async fn dead_page(
        &self,
        target: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DeadPage, Error> {
        if let Some(cursor) = cursor
            && !is_dead_id(cursor)
        {
            return Err(Error::InvalidCursor);
        }
        let limit = limit.clamp(1, 500);
        let mut items: Vec<DeadLetter> = Vec::new();
        let mut after = cursor.map(str::to_owned);
        loop {
            let batch = self.dead_batch(after.as_deref(), DEAD_BATCH).await?;
            let end = batch.len() < DEAD_BATCH;
            for (id, letter) in batch {
                after = Some(id);
                let Some(letter) = letter else { continue };
                if target.is_some_and(|t| t != letter.target) {
                    continue;
                }
                if items.len() == limit {
                    // One more exists: the page is not the last.
                    let next = items.last().map(|l| l.id.clone());
                    return Ok(DeadPage {
                        items,
                        next_cursor: next,
                    });
                }
                items.push(letter);
            }
            if end {
                return Ok(DeadPage {
                    items,
                    next_cursor: None,
                });
            }
        }
    }

    /// Puts dead letters back (see [`crate::Notifier::replay`]); `new_entry` makes the queue
    /// entry of a letter, `None` when its target is no longer configured (the letter stays).
    /// Answers the ids replayed (with their entries) and the ids missing.
    pub(crate) async fn replay(
        &self,
        ids: Option<Vec<String>>,
        target: Option<&str>,
        new_entry: &(dyn Fn(&DeadLetter) -> Option<QueueEntry> + Sync),
    ) -> Result<(Vec<QueueEntry>, Vec<String>), Error> {
        let wanted = |letter: &DeadLetter| target.is_none_or(|t| t == letter.target);
        let mut replayed = Vec::new();
        let mut missing = Vec::new();
        match ids {
            Some(ids) => {
                let mut seen = HashSet::new();
                for id in ids {
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                    let letter = if is_dead_id(&id) {
                        self.dead_get(&id).await?
                    } else {
                        None
                    };
                    let entry = letter.filter(|l| wanted(l)).and_then(|l| new_entry(&l));
                    match entry {
                        Some(entry) if self.resurrect(&id, &entry).await? => replayed.push(entry),
                        _ => missing.push(id),
                    }
                }
            }
            None => {
                // Only the letters there now: one that dies again during the replay stays.
                let Some(last) = self.dead_last().await?.as_deref().and_then(dead_order) else {
                    return Ok((replayed, missing));
                };
                let mut after: Option<String> = None;
                loop {
                    let batch = self.dead_batch(after.as_deref(), DEAD_BATCH).await?;
                    let end = batch.len() < DEAD_BATCH;
                    for (id, letter) in batch {
                        if dead_order(&id).is_none_or(|o| o > last) {
                            return Ok((replayed, missing));
                        }
                        let entry = letter.filter(|l| wanted(l)).and_then(|l| new_entry(&l));
                        if let Some(entry) = entry
                            && self.resurrect(&id, &entry).await?
                        {
                            replayed.push(entry);
                        }
                        after = Some(id);
                    }
                    if end {
                        break;
                    }
                }
            }
        }
        Ok((replayed, missing))
    }
}

/// Whether `s` has the shape of a dead-letter id: `<digits>-<digits>`.
pub(crate) fn is_dead_id(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
    s.split_once('-')
        .is_some_and(|(a, b)| digits(a) && digits(b))
}

/// The order of a dead-letter id: its two numbers.
fn dead_order(id: &str) -> Option<(u64, u64)> {
    let (a, b) = id.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// `Error::QueueUnavailable` of a failed Redis call.
pub(crate) fn redis_unavailable(err: auth::Error) -> Error {
    Error::QueueUnavailable(anyhow::Error::new(err))
}

/// `Error::StorageUnavailable` of a failed system-area call.
pub(crate) fn storage_unavailable(err: opendal::Error) -> Error {
    Error::StorageUnavailable(anyhow::Error::new(err))
}

/// `Error::Internal` of stored JSON that does not parse.
pub(crate) fn corrupt(what: &str, err: serde_json::Error) -> Error {
    Error::Internal(anyhow::Error::new(err).context(format!("{what} does not parse")))
}

#[cfg(test)]
mod tests {
    use super::is_dead_id;

    #[test]
    fn dead_ids() {
        assert!(is_dead_id("1764547200123-0"));
        assert!(is_dead_id("1764547200123-000001"));
        assert!(!is_dead_id("1764547200123"));
        assert!(!is_dead_id("-1"));
        assert!(!is_dead_id("a-1"));
        assert!(!is_dead_id("1-1-1"));
        assert!(!is_dead_id(""));
    }

    #[test]
    fn dead_ids_order_by_their_numbers() {
        assert!(super::dead_order("9-5") < super::dead_order("10-0"));
        assert!(super::dead_order("10-2") < super::dead_order("10-10"));
    }
}
