//! The queue as files in the system area, for an instance without Redis.
//!
//! - `notify/queue/<target>/<shard:03>/<seq:020>.json`: one entry each. `seq` is one counter
//!   for the whole process, started above the highest number found, so names sort in the order
//!   entries were queued (also across targets and shards).
//! - `notify/dead/<unix ms:013>-<n:06>.json`: one dead letter each; the name is its id.
//!
//! The files are listed once (on first use, normally right at start) into an index in memory;
//! from then on this instance is the only writer (journal mode is for one instance). Listings
//! are sorted here, whatever order the backend lists in. An entry of a shard beyond the
//! configured number (`shards` was lowered) is delivered by shard `shard % shards`, in its
//! sequence order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use futures::TryStreamExt;
use opendal::{ErrorKind, Operator};
use tokio::sync::OnceCell;

use super::{AppendError, Pos, Slot, corrupt, storage_unavailable};
use crate::entry::{QueueEntry, now_ms};
use crate::{DeadLetter, Error};

const QUEUE_DIR: &str = "notify/queue/";
const DEAD_DIR: &str = "notify/dead/";

#[derive(Default)]
struct Index {
    /// (target, shard) → seq → path.
    queues: HashMap<(String, u16), BTreeMap<u64, String>>,
    /// Dead-letter ids.
    dead: BTreeSet<String>,
    /// The last dead-letter id made: (ms, n).
    last_dead: (u64, u64),
}

pub(crate) struct Journal {
    op: Operator,
    shards: u16,
    /// The next sequence number (valid once the index is loaded).
    seq: AtomicU64,
    index: OnceCell<Mutex<Index>>,
    /// Serialises moves in and out of the dead letters.
    moves: tokio::sync::Mutex<()>,
}

impl Journal {
    pub(crate) fn new(op: Operator, shards: u16) -> Self {
        Self {
            op,
            shards: shards.max(1),
            seq: AtomicU64::new(1),
            index: OnceCell::new(),
            moves: tokio::sync::Mutex::new(()),
        }
    }

    /// The index, listing the files on first use (again after a failed listing).
    async fn index(&self) -> Result<MutexGuard<'_, Index>, Error> {
        let cell = self.index.get_or_try_init(|| self.load()).await?;
        Ok(cell
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    async fn load(&self) -> Result<Mutex<Index>, Error> {
        let mut index = Index::default();
        let mut highest = 0;
        for path in self.list(QUEUE_DIR).await? {
            let Some((target, shard, seq)) = parse_queue_path(&path) else {
                continue;
            };
            highest = highest.max(seq);
            index
                .queues
                .entry((target.to_owned(), shard % self.shards))
                .or_default()
                .insert(seq, path);
        }
        for path in self.list(DEAD_DIR).await? {
            let Some(id) = path
                .strip_prefix(DEAD_DIR)
                .and_then(|name| name.strip_suffix(".json"))
                .filter(|id| super::is_dead_id(id) && !id.contains('/'))
            else {
                continue;
            };
            if let Some(order) = super::dead_order(id) {
                index.last_dead = index.last_dead.max(order);
            }
            index.dead.insert(id.to_owned());
        }
        self.seq.store(highest + 1, Ordering::SeqCst);
        let queued: usize = index.queues.values().map(BTreeMap::len).sum();
        tracing::info!(queued, dead = index.dead.len(), "notify: journal loaded");
        Ok(Mutex::new(index))
    }

    /// Every file path below `dir` (recursively; a missing folder is empty).
    async fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        let mut lister = match self.op.lister_with(dir).recursive(true).await {
            Ok(lister) => lister,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(storage_unavailable(e)),
        };
        let mut paths = Vec::new();
        while let Some(entry) = lister.try_next().await.map_err(storage_unavailable)? {
            if entry.metadata().is_file() {
                paths.push(entry.path().to_owned());
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// The file's bytes; `None` when it does not exist.
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.op.read(path).await {
            Ok(buffer) => Ok(Some(buffer.to_vec())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage_unavailable(e)),
        }
    }

    pub(crate) async fn append(&self, entries: &[QueueEntry]) -> Result<(), AppendError> {
        drop(
            self.index()
                .await
                .map_err(|source| AppendError { written: 0, source })?,
        );
        for (written, entry) in entries.iter().enumerate() {
            let failed = |source| AppendError { written, source };
            self.write_entry(entry).await.map_err(failed)?;
        }
        Ok(())
    }

    async fn write_entry(&self, entry: &QueueEntry) -> Result<(), Error> {
        let json = entry.to_json()?;
        let seq = self.seq.fetch_add(1, Ordering::SeqCst);
        let path = format!(
            "{QUEUE_DIR}{}/{:03}/{seq:020}.json",
            entry.target, entry.shard
        );
        self.op
            .write(&path, json.into_bytes())
            .await
            .map_err(storage_unavailable)?;
        self.index()
            .await?
            .queues
            .entry((entry.target.clone(), entry.shard % self.shards))
            .or_default()
            .insert(seq, path);
        Ok(())
    }

    pub(crate) async fn head(
        &self,
        target: &str,
        shard: u16,
        count: usize,
    ) -> Result<Vec<Slot>, Error> {
        let first: Vec<(u64, String)> = self
            .index()
            .await?
            .queues
            .get(&(target.to_owned(), shard))
            .map(|q| q.iter().take(count).map(|(s, p)| (*s, p.clone())).collect())
            .unwrap_or_default();
        let mut slots = Vec::new();
        for (seq, path) in first {
            match self.read(&path).await? {
                Some(bytes) => slots.push(Slot {
                    entry: serde_json::from_slice(&bytes).ok(),
                    pos: Pos::File { seq, path },
                }),
                // Gone (deleted by hand): nothing to deliver.
                None => self.forget(target, shard, &Pos::File { seq, path }).await,
            }
        }
        Ok(slots)
    }

    /// Drops an entry from the index (its file stays).
    pub(crate) async fn forget(&self, target: &str, shard: u16, pos: &Pos) {
        if let (Pos::File { seq, .. }, Ok(mut index)) = (pos, self.index().await)
            && let Some(queue) = index.queues.get_mut(&(target.to_owned(), shard))
        {
            queue.remove(seq);
        }
    }

    pub(crate) async fn ack(&self, target: &str, shard: u16, pos: &Pos) -> Result<bool, Error> {
        if let Pos::File { path, .. } = pos {
            self.op.delete(path).await.map_err(storage_unavailable)?;
        }
        self.forget(target, shard, pos).await;
        Ok(true)
    }

    pub(crate) async fn bury(
        &self,
        target: &str,
        shard: u16,
        pos: &Pos,
        dead: &DeadLetter,
    ) -> Result<bool, Error> {
        let _moving = self.moves.lock().await;
        let id = self.next_dead_id().await?;
        let mut dead = dead.clone();
        dead.id.clone_from(&id);
        let json = serde_json::to_vec(&dead).map_err(|e| Error::Internal(e.into()))?;
        self.op
            .write(&format!("{DEAD_DIR}{id}.json"), json)
            .await
            .map_err(storage_unavailable)?;
        self.index().await?.dead.insert(id);
        self.ack(target, shard, pos).await
    }

    /// A new dead-letter id, after every one made or found: `<unix ms:013>-<n:06>`.
    async fn next_dead_id(&self) -> Result<String, Error> {
        let mut index = self.index().await?;
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let (last_ms, last_n) = index.last_dead;
        let next = if now > last_ms {
            (now, 0)
        } else if last_n < 999_999 {
            (last_ms, last_n + 1)
        } else {
            (last_ms + 1, 0)
        };
        index.last_dead = next;
        Ok(format!("{:013}-{:06}", next.0, next.1))
    }

    pub(crate) async fn depth(&self, target: &str) -> Result<u64, Error> {
        let index = self.index().await?;
        let total: usize = index
            .queues
            .iter()
            .filter(|((t, _), _)| t == target)
            .map(|(_, q)| q.len())
            .sum();
        Ok(u64::try_from(total).unwrap_or(u64::MAX))
    }

    pub(crate) async fn dead_batch(
        &self,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<(String, Option<DeadLetter>)>, Error> {
        let after_order = after.and_then(super::dead_order);
        let ids: Vec<String> = {
            let index = self.index().await?;
            let mut ids: Vec<&String> = index
                .dead
                .iter()
                .filter(|id| after_order.is_none_or(|a| super::dead_order(id) > Some(a)))
                .collect();
            ids.sort_by_key(|id| super::dead_order(id));
            ids.into_iter().take(count).cloned().collect()
        };
        let mut batch = Vec::new();
        for id in ids {
            match self.read(&format!("{DEAD_DIR}{id}.json")).await? {
                Some(bytes) => {
                    let letter = serde_json::from_slice::<DeadLetter>(&bytes)
                        .ok()
                        .map(|mut l| {
                            l.id.clone_from(&id);
                            l
                        });
                    batch.push((id, letter));
                }
                None => {
                    self.index().await?.dead.remove(&id);
                }
            }
        }
        Ok(batch)
    }

    pub(crate) async fn dead_last(&self) -> Result<Option<String>, Error> {
        let index = self.index().await?;
        Ok(index
            .dead
            .iter()
            .max_by_key(|id| super::dead_order(id))
            .cloned())
    }

    pub(crate) async fn dead_get(&self, id: &str) -> Result<Option<DeadLetter>, Error> {
        if !self.index().await?.dead.contains(id) {
            return Ok(None);
        }
        match self.read(&format!("{DEAD_DIR}{id}.json")).await? {
            Some(bytes) => {
                let mut letter: DeadLetter =
                    serde_json::from_slice(&bytes).map_err(|e| corrupt("a dead letter", e))?;
                letter.id = id.to_owned();
                Ok(Some(letter))
            }
            None => Ok(None),
        }
    }

    pub(crate) async fn resurrect(&self, id: &str, entry: &QueueEntry) -> Result<bool, Error> {
        let _moving = self.moves.lock().await;
        if !self.index().await?.dead.contains(id) {
            return Ok(false);
        }
        self.write_entry(entry).await?;
        self.op
            .delete(&format!("{DEAD_DIR}{id}.json"))
            .await
            .map_err(storage_unavailable)?;
        self.index().await?.dead.remove(id);
        Ok(true)
    }
}

/// `notify/queue/<target>/<shard>/<seq>.json` → its parts.
fn parse_queue_path(path: &str) -> Option<(&str, u16, u64)> {
    let rest = path.strip_prefix(QUEUE_DIR)?;
    let mut parts = rest.split('/');
    let (target, shard, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || target.is_empty() {
        return None;
    }
    let seq = file.strip_suffix(".json")?;
    if !seq.bytes().all(|b| b.is_ascii_digit()) || !shard.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((target, shard.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(target: &str, shard: u16, key: &str) -> QueueEntry {
        QueueEntry {
            id: format!("id-{key}"),
            target: target.into(),
            shard,
            bucket: "images".into(),
            key: key.into(),
            event_name: "s3:ObjectCreated:Put".into(),
            produced_at: now_ms(),
            queued_at: now_ms(),
            message: "{}".into(),
        }
    }

    fn memory() -> Operator {
        Operator::new(opendal::services::Memory::default()).expect("memory operator")
    }

    #[test]
    fn queue_paths_parse() {
        assert_eq!(
            parse_queue_path("notify/queue/hook/007/00000000000000000042.json"),
            Some(("hook", 7, 42))
        );
        assert_eq!(parse_queue_path("notify/queue/"), None);
        assert_eq!(parse_queue_path("notify/queue/hook/007/"), None);
        assert_eq!(parse_queue_path("notify/queue/hook/007/x.json"), None);
        assert_eq!(parse_queue_path("notify/queue/hook/7/1.json.tmp"), None);
    }

    #[tokio::test]
    async fn order_survives_a_restart_and_sequence_numbers_grow() {
        let op = memory();
        let journal = Journal::new(op.clone(), 4);
        for key in ["a", "b", "c"] {
            journal
                .append(&[entry("hook", 1, key)])
                .await
                .ok()
                .expect("append");
        }
        journal
            .append(&[entry("hook", 2, "other")])
            .await
            .ok()
            .expect("append");
        let again = Journal::new(op.clone(), 4);
        let keys: Vec<String> = again
            .head("hook", 1, 10)
            .await
            .expect("head")
            .into_iter()
            .filter_map(|slot| slot.entry.map(|e| e.key))
            .collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(again.depth("hook").await.expect("depth"), 4);
        again
            .append(&[entry("hook", 1, "d")])
            .await
            .ok()
            .expect("append");
        let head = again.head("hook", 1, 10).await.expect("head");
        let last = head
            .last()
            .and_then(|s| s.entry.as_ref())
            .map(|e| e.key.clone());
        assert_eq!(last.as_deref(), Some("d"));
        // Acknowledging the head removes its file.
        let first = &head[0].pos;
        assert!(again.ack("hook", 1, first).await.expect("ack"));
        let third = Journal::new(op, 4);
        assert_eq!(third.depth("hook").await.expect("depth"), 4);
    }

    #[tokio::test]
    async fn a_lowered_shard_count_still_delivers_every_entry_in_order() {
        let op = memory();
        let wide = Journal::new(op.clone(), 8);
        wide.append(&[entry("hook", 6, "x")])
            .await
            .ok()
            .expect("append");
        wide.append(&[entry("hook", 2, "y")])
            .await
            .ok()
            .expect("append");
        let narrow = Journal::new(op, 4);
        let keys: Vec<String> = narrow
            .head("hook", 2, 10)
            .await
            .expect("head")
            .into_iter()
            .filter_map(|slot| slot.entry.map(|e| e.key))
            .collect();
        assert_eq!(keys, ["x", "y"]);
    }

    #[tokio::test]
    async fn dead_letters_get_ascending_ids_and_come_back() {
        let journal = Journal::new(memory(), 2);
        for key in ["a", "b"] {
            journal
                .append(&[entry("hook", 0, key)])
                .await
                .ok()
                .expect("append");
        }
        for _ in 0..2 {
            let head = journal.head("hook", 0, 1).await.expect("head");
            let slot = &head[0];
            let dead = slot.entry.as_ref().expect("entry").dead(3, "HTTP 500");
            assert!(
                journal
                    .bury("hook", 0, &slot.pos, &dead)
                    .await
                    .expect("bury")
            );
        }
        assert_eq!(journal.depth("hook").await.expect("depth"), 0);
        let batch = journal.dead_batch(None, 10).await.expect("dead");
        let ids: Vec<&String> = batch.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), 2);
        assert!(super::super::dead_order(ids[0]) < super::super::dead_order(ids[1]));
        let first = batch[0].1.clone().expect("letter");
        assert_eq!(first.key, "a");
        let again = QueueEntry::replay_of(&first, 0).expect("entry");
        assert!(
            journal
                .resurrect(&first.id, &again)
                .await
                .expect("resurrect")
        );
        assert!(
            !journal
                .resurrect(&first.id, &again)
                .await
                .expect("resurrect")
        );
        assert_eq!(journal.depth("hook").await.expect("depth"), 1);
        assert_eq!(journal.dead_batch(None, 10).await.expect("dead").len(), 1);
    }
}
