//! The usage ledger: objects and bytes per bucket, in all and per owner, and each user's most
//! recent uploads, kept current on every upload, replace and delete through the service layer
//! so that the overview never scans a bucket. Held in Redis when configured (shared by every
//! instance), else in one system-area document (`usage/ledger.json`) behind a lock in the
//! process. Objects put into a bucket behind picgate's back are counted after a rebuild
//! ([`Usage::replace`], `picgate usage rebuild`).
//!
//! Redis keys (under `redis.key_prefix`): `usage:<bucket>`, a hash with `objects`, `bytes`,
//! `objects:<owner>` and `bytes:<owner>`; `recent:<owner>`, a sorted set of
//! `{"b":bucket,"k":key,"s":size}` scored by the upload time in Unix microseconds, trimmed to
//! [`RECENT_KEPT`]; `recent-owners`, the set of owners with such a list; `usage-built`, set by
//! the first rebuild.

use std::collections::{BTreeMap, HashMap};

use auth::LazyConnection;
use serde::{Deserialize, Serialize};
use storage::{BucketName, Current, ObjectKey, Storage};
use tokio::sync::Mutex;

/// Recent uploads kept per user.
pub const RECENT_KEPT: usize = 20;

/// The system-area document of the ledger when there is no Redis.
const DOCUMENT: &str = "usage/ledger.json";

/// Objects and bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub objects: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, size: u64) {
        self.objects += 1;
        self.bytes += size;
    }

    fn remove(&mut self, size: u64) {
        self.objects = self.objects.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(size);
    }
}

/// One upload in a user's recent list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent {
    #[serde(rename = "b")]
    pub bucket: String,
    #[serde(rename = "k")]
    pub key: String,
    /// Bytes.
    #[serde(rename = "s")]
    pub size: u64,
    /// Unix microseconds.
    #[serde(rename = "t", default)]
    pub at: i64,
}

/// A bucket's figures: everything in it, and what one user owns.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BucketUsage {
    pub all: Tally,
    pub mine: Tally,
}

/// Why the ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Redis(#[from] auth::Error),
    #[error(transparent)]
    Storage(#[from] storage::Error),
    #[error("the usage document is corrupt")]
    Corrupt(#[source] serde_json::Error),
}

/// The whole ledger, as the document holds it and as a rebuild computes it.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Ledger {
    pub buckets: BTreeMap<String, BucketLedger>,
    /// Owner → newest first, at most [`RECENT_KEPT`].
    pub recent: BTreeMap<String, Vec<Recent>>,
}

/// One bucket's tallies.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct BucketLedger {
    pub all: Tally,
    /// Owner id (`""` for objects without a recorded owner) → what they own.
    pub owners: BTreeMap<String, Tally>,
}

impl Ledger {
    /// Counts one stored object (as a rebuild sees it); `at` in Unix microseconds.
    pub fn count(&mut self, bucket: &str, key: &str, owner: Option<&str>, size: u64, at: i64) {
        self.tally(bucket, owner, size);
        if let Some(owner) = owner {
            let list = self.recent.entry(owner.to_owned()).or_default();
            list.push(Recent {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                size,
                at,
            });
            list.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.key.cmp(&b.key)));
            list.truncate(RECENT_KEPT);
        }
    }

    fn tally(&mut self, bucket: &str, owner: Option<&str>, size: u64) {
        let tally = self.buckets.entry(bucket.to_owned()).or_default();
        tally.all.add(size);
        tally
            .owners
            .entry(owner.unwrap_or_default().to_owned())
            .or_default()
            .add(size);
    }

    fn apply(&mut self, change: &Change) {
        if let Some(was) = &change.removed {
            let tally = self.buckets.entry(change.bucket.clone()).or_default();
            tally.all.remove(was.size);
            let owner = was.owner.clone().unwrap_or_default();
            if let Some(mine) = tally.owners.get_mut(&owner) {
                mine.remove(was.size);
            }
            if let Some(list) = self.recent.get_mut(&owner) {
                list.retain(|r| !(r.bucket == change.bucket && r.key == change.key));
            }
        }
        if let Some((owner, size)) = &change.stored {
            self.tally(&change.bucket, Some(owner), *size);
            let list = self.recent.entry(owner.clone()).or_default();
            list.retain(|r| !(r.bucket == change.bucket && r.key == change.key));
            list.insert(
                0,
                Recent {
                    bucket: change.bucket.clone(),
                    key: change.key.clone(),
                    size: *size,
                    at: change.at,
                },
            );
            list.truncate(RECENT_KEPT);
        }
    }

    fn bucket(&self, bucket: &str, user: &str) -> BucketUsage {
        self.buckets
            .get(bucket)
            .map(|b| BucketUsage {
                all: b.all,
                mine: b.owners.get(user).copied().unwrap_or_default(),
            })
            .unwrap_or_default()
    }
}

/// One change to the figures: an object removed (deleted, or replaced) and one stored.
#[derive(Debug, Clone)]
struct Change {
    bucket: String,
    key: String,
    removed: Option<Current>,
    /// The new owner and size.
    stored: Option<(String, u64)>,
    /// Unix microseconds.
    at: i64,
}

/// Where the ledger lives (see the module docs).
pub struct Usage {
    store: Store,
}

enum Store {
    Redis {
        redis: LazyConnection,
        key_prefix: String,
    },
    Document {
        storage: Storage,
        /// Serializes this process's read-modify-write of the document. The document is read
        /// afresh every time, so a rebuild written by another process (`picgate usage
        /// rebuild`) is what the next change builds on.
        lock: Mutex<()>,
    },
}

impl Usage {
    /// In Redis at `redis_url` (keys under `key_prefix`) when given, else in `storage`'s
    /// system area. Does not connect. Errors: a malformed Redis URL.
    pub fn new(
        storage: Storage,
        redis_url: Option<&str>,
        key_prefix: &str,
    ) -> Result<Self, auth::Error> {
        let store = match redis_url {
            Some(url) => Store::Redis {
                redis: LazyConnection::new(url)?,
                key_prefix: key_prefix.to_owned(),
            },
            None => Store::Document {
                storage,
                lock: Mutex::new(()),
            },
        };
        Ok(Self { store })
    }

    /// Records that `owner` stored `size` bytes at `key`, replacing `replaced` if there was an
    /// object. A failure is logged, not returned: the upload stands, and the figures are
    /// right again after a rebuild.
    pub async fn stored(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: &str,
        size: u64,
        replaced: Option<Current>,
    ) {
        self.record(Change {
            bucket: bucket.to_string(),
            key: key.to_string(),
            removed: replaced,
            stored: Some((owner.to_owned(), size)),
            at: now(),
        })
        .await;
    }

    /// Records that the object `was` at `key` is gone. Failures as [`Usage::stored`].
    pub async fn removed(&self, bucket: &BucketName, key: &ObjectKey, was: Current) {
        self.record(Change {
            bucket: bucket.to_string(),
            key: key.to_string(),
            removed: Some(was),
            stored: None,
            at: now(),
        })
        .await;
    }

    async fn record(&self, change: Change) {
        let result = match &self.store {
            Store::Redis { redis, key_prefix } => record_in_redis(redis, key_prefix, &change).await,
            Store::Document { storage, lock } => {
                let _held = lock.lock().await;
                async {
                    let mut ledger = load(storage).await?;
                    ledger.apply(&change);
                    save(storage, &ledger).await
                }
                .await
            }
        };
        if let Err(e) = result {
            tracing::warn!(bucket = %change.bucket, key = %change.key, error = %e,
                "usage figures not updated; `picgate usage rebuild` recounts them");
        }
    }

    /// Each of `buckets`' figures, in all and for `user`.
    pub async fn buckets(
        &self,
        buckets: &[BucketName],
        user: &str,
    ) -> Result<HashMap<String, BucketUsage>, UsageError> {
        match &self.store {
            Store::Redis { redis, key_prefix } => {
                let keys: Vec<String> = buckets
                    .iter()
                    .map(|b| tallies_key(key_prefix, b.as_str()))
                    .collect();
                let fields = [
                    "objects".to_owned(),
                    "bytes".to_owned(),
                    format!("objects:{user}"),
                    format!("bytes:{user}"),
                ];
                // Counters can dip below zero when objects counted before the ledger existed
                // are deleted; they read as zero until the next rebuild.
                let rows: Vec<Vec<Option<i64>>> = redis
                    .call(|mut c| async move {
                        let mut pipe = redis::pipe();
                        for key in &keys {
                            pipe.cmd("HMGET").arg(key).arg(&fields);
                        }
                        pipe.query_async(&mut c).await
                    })
                    .await?;
                Ok(buckets
                    .iter()
                    .zip(rows)
                    .map(|(b, row)| {
                        let at = |i: usize| {
                            let n = row.get(i).copied().flatten().unwrap_or_default();
                            u64::try_from(n).unwrap_or(0)
                        };
                        let usage = BucketUsage {
                            all: Tally {
                                objects: at(0),
                                bytes: at(1),
                            },
                            mine: Tally {
                                objects: at(2),
                                bytes: at(3),
                            },
                        };
                        (b.to_string(), usage)
                    })
                    .collect())
            }
            Store::Document { storage, .. } => {
                let current = load(storage).await?;
                Ok(buckets
                    .iter()
                    .map(|b| (b.to_string(), current.bucket(b.as_str(), user)))
                    .collect())
            }
        }
    }

    /// What each owner has in each of `buckets`: bucket → owner id (`""` for objects without a
    /// recorded owner) → figures. Owners with nothing left there are left out.
    pub async fn owners(
        &self,
        buckets: &[BucketName],
    ) -> Result<HashMap<String, BTreeMap<String, Tally>>, UsageError> {
        match &self.store {
            Store::Redis { redis, key_prefix } => {
                let keys: Vec<String> = buckets
                    .iter()
                    .map(|b| tallies_key(key_prefix, b.as_str()))
                    .collect();
                let rows: Vec<HashMap<String, i64>> = redis
                    .call(|mut c| async move {
                        let mut pipe = redis::pipe();
                        for key in &keys {
                            pipe.cmd("HGETALL").arg(key);
                        }
                        pipe.query_async(&mut c).await
                    })
                    .await?;
                Ok(buckets
                    .iter()
                    .zip(rows)
                    .map(|(b, row)| (b.to_string(), owner_tallies(&row)))
                    .collect())
            }
            Store::Document { storage, .. } => {
                let current = load(storage).await?;
                Ok(buckets
                    .iter()
                    .map(|b| {
                        let owners = current
                            .buckets
                            .get(b.as_str())
                            .map(|l| {
                                l.owners
                                    .iter()
                                    .filter(|(_, t)| t.objects > 0)
                                    .map(|(o, t)| (o.clone(), *t))
                                    .collect()
                            })
                            .unwrap_or_default();
                        (b.to_string(), owners)
                    })
                    .collect())
            }
        }
    }

    /// `user`'s most recent uploads, newest first, at most `limit` (≤ [`RECENT_KEPT`]).
    pub async fn recent(&self, user: &str, limit: usize) -> Result<Vec<Recent>, UsageError> {
        let limit = limit.min(RECENT_KEPT);
        match &self.store {
            Store::Redis { redis, key_prefix } => {
                let key = format!("{key_prefix}recent:{user}");
                let members: Vec<(String, f64)> = redis
                    .call(|mut c| async move {
                        redis::cmd("ZREVRANGE")
                            .arg(&key)
                            .arg(0)
                            .arg(limit.saturating_sub(1))
                            .arg("WITHSCORES")
                            .query_async(&mut c)
                            .await
                    })
                    .await?;
                Ok(members
                    .into_iter()
                    .filter_map(|(member, score)| {
                        let mut recent: Recent = serde_json::from_str(&member).ok()?;
                        recent.at = score as i64;
                        Some(recent)
                    })
                    .collect())
            }
            Store::Document { storage, .. } => {
                let current = load(storage).await?;
                Ok(current
                    .recent
                    .get(user)
                    .map(|list| list.iter().take(limit).cloned().collect())
                    .unwrap_or_default())
            }
        }
    }

    /// Whether figures were ever built here (by a rebuild); `false` for a new deployment, or
    /// one upgraded from a version without the ledger.
    pub async fn is_built(&self) -> Result<bool, UsageError> {
        match &self.store {
            Store::Redis { redis, key_prefix } => {
                let key = format!("{key_prefix}usage-built");
                let exists: bool =
                    redis
                        .call(|mut c| async move {
                            redis::cmd("EXISTS").arg(key).query_async(&mut c).await
                        })
                        .await?;
                Ok(exists)
            }
            Store::Document { storage, .. } => Ok(storage.read_document(DOCUMENT).await?.is_some()),
        }
    }

    /// Replaces every figure with `ledger` (a recount of the storage).
    pub async fn replace(&self, ledger: Ledger) -> Result<(), UsageError> {
        match &self.store {
            Store::Redis { redis, key_prefix } => {
                replace_in_redis(redis, key_prefix, ledger).await?;
                Ok(())
            }
            Store::Document { storage, lock } => {
                let _held = lock.lock().await;
                save(storage, &ledger).await
            }
        }
    }
}

/// Unix microseconds: fine enough to order uploads made in quick succession (and exact in a
/// Redis score, a double, until the year 2255).
fn now() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(0)
}

/// The document's ledger; empty when there is none yet.
async fn load(storage: &Storage) -> Result<Ledger, UsageError> {
    match storage.read_document(DOCUMENT).await? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(UsageError::Corrupt),
        None => Ok(Ledger::default()),
    }
}

async fn save(storage: &Storage, ledger: &Ledger) -> Result<(), UsageError> {
    let bytes = serde_json::to_vec(ledger).map_err(UsageError::Corrupt)?;
    Ok(storage.write_document(DOCUMENT, bytes).await?)
}

/// The per-owner figures of a bucket's Redis hash (`objects:<owner>`, `bytes:<owner>`); a
/// count below zero (objects counted before the ledger existed, then deleted) reads as zero.
fn owner_tallies(row: &HashMap<String, i64>) -> BTreeMap<String, Tally> {
    let read = |field: String| u64::try_from(row.get(&field).copied().unwrap_or(0)).unwrap_or(0);
    row.keys()
        .filter_map(|field| field.strip_prefix("objects:"))
        .map(|owner| {
            let tally = Tally {
                objects: read(format!("objects:{owner}")),
                bytes: read(format!("bytes:{owner}")),
            };
            (owner.to_owned(), tally)
        })
        .filter(|(_, t)| t.objects > 0)
        .collect()
}

/// The Redis hash of a bucket's figures: `objects`, `bytes`, and `objects:<owner>`,
/// `bytes:<owner>` per owner.
fn tallies_key(key_prefix: &str, bucket: &str) -> String {
    format!("{key_prefix}usage:{bucket}")
}

fn member(bucket: &str, key: &str, size: u64) -> String {
    serde_json::json!({ "b": bucket, "k": key, "s": size }).to_string()
}

async fn record_in_redis(
    redis: &LazyConnection,
    key_prefix: &str,
    change: &Change,
) -> Result<(), UsageError> {
    let tallies = tallies_key(key_prefix, &change.bucket);
    // The recent lists that may hold this key: the previous owner's and the new one's.
    let owners: Vec<String> = change
        .removed
        .iter()
        .filter_map(|was| was.owner.clone())
        .chain(change.stored.iter().map(|(owner, _)| owner.clone()))
        .collect();
    let lists: Vec<String> = owners
        .iter()
        .map(|o| format!("{key_prefix}recent:{o}"))
        .collect();
    let stale: Vec<Vec<String>> = redis
        .call({
            let lists = lists.clone();
            |mut c| async move {
                let mut pipe = redis::pipe();
                for list in &lists {
                    pipe.cmd("ZRANGE").arg(list).arg(0).arg(-1);
                }
                pipe.query_async(&mut c).await
            }
        })
        .await?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    if let Some(was) = &change.removed {
        let owner = was.owner.clone().unwrap_or_default();
        let size = i64::try_from(was.size).unwrap_or(i64::MAX);
        pipe.cmd("HINCRBY").arg(&tallies).arg("objects").arg(-1);
        pipe.cmd("HINCRBY").arg(&tallies).arg("bytes").arg(-size);
        pipe.cmd("HINCRBY")
            .arg(&tallies)
            .arg(format!("objects:{owner}"))
            .arg(-1);
        pipe.cmd("HINCRBY")
            .arg(&tallies)
            .arg(format!("bytes:{owner}"))
            .arg(-size);
    }
    for (list, members) in lists.iter().zip(&stale) {
        for m in members {
            let same = serde_json::from_str::<Recent>(m)
                .is_ok_and(|r| r.bucket == change.bucket && r.key == change.key);
            if same {
                pipe.cmd("ZREM").arg(list).arg(m);
            }
        }
    }
    if let Some((owner, size)) = &change.stored {
        let signed = i64::try_from(*size).unwrap_or(i64::MAX);
        pipe.cmd("HINCRBY").arg(&tallies).arg("objects").arg(1);
        pipe.cmd("HINCRBY").arg(&tallies).arg("bytes").arg(signed);
        pipe.cmd("HINCRBY")
            .arg(&tallies)
            .arg(format!("objects:{owner}"))
            .arg(1);
        pipe.cmd("HINCRBY")
            .arg(&tallies)
            .arg(format!("bytes:{owner}"))
            .arg(signed);
        let list = format!("{key_prefix}recent:{owner}");
        pipe.cmd("ZADD")
            .arg(&list)
            .arg(change.at)
            .arg(member(&change.bucket, &change.key, *size));
        pipe.cmd("ZREMRANGEBYRANK")
            .arg(&list)
            .arg(0)
            .arg(-(RECENT_KEPT as i64) - 1);
        pipe.cmd("SADD")
            .arg(format!("{key_prefix}recent-owners"))
            .arg(owner);
    }
    redis
        .call(|mut c| async move { pipe.query_async::<()>(&mut c).await })
        .await?;
    Ok(())
}

async fn replace_in_redis(
    redis: &LazyConnection,
    key_prefix: &str,
    ledger: Ledger,
) -> Result<(), auth::Error> {
    let owners_key = format!("{key_prefix}recent-owners");
    let old_owners: Vec<String> = redis
        .call({
            let owners_key = owners_key.clone();
            |mut c| async move {
                redis::cmd("SMEMBERS")
                    .arg(owners_key)
                    .query_async(&mut c)
                    .await
            }
        })
        .await?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    for owner in &old_owners {
        pipe.cmd("DEL").arg(format!("{key_prefix}recent:{owner}"));
    }
    pipe.cmd("DEL").arg(&owners_key);
    for (bucket, tally) in &ledger.buckets {
        let key = tallies_key(key_prefix, bucket);
        pipe.cmd("DEL").arg(&key);
        pipe.cmd("HSET")
            .arg(&key)
            .arg("objects")
            .arg(tally.all.objects)
            .arg("bytes")
            .arg(tally.all.bytes);
        for (owner, mine) in &tally.owners {
            pipe.cmd("HSET")
                .arg(&key)
                .arg(format!("objects:{owner}"))
                .arg(mine.objects)
                .arg(format!("bytes:{owner}"))
                .arg(mine.bytes);
        }
    }
    pipe.cmd("SET")
        .arg(format!("{key_prefix}usage-built"))
        .arg(now());
    for (owner, list) in &ledger.recent {
        let key = format!("{key_prefix}recent:{owner}");
        for r in list {
            pipe.cmd("ZADD")
                .arg(&key)
                .arg(r.at)
                .arg(member(&r.bucket, &r.key, r.size));
        }
        pipe.cmd("SADD").arg(&owners_key).arg(owner);
    }
    redis
        .call(|mut c| async move { pipe.query_async::<()>(&mut c).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn was(owner: &str, size: u64) -> Current {
        Current {
            etag: "\"e\"".into(),
            owner: Some(owner.into()),
            size,
        }
    }

    fn change(key: &str, removed: Option<Current>, stored: Option<(&str, u64)>) -> Change {
        Change {
            bucket: "images".into(),
            key: key.into(),
            removed,
            stored: stored.map(|(o, s)| (o.to_owned(), s)),
            at: 0,
        }
    }

    #[test]
    fn uploads_replaces_and_deletes_move_the_tallies_and_recent_lists() {
        let mut ledger = Ledger::default();
        ledger.apply(&change("a.png", None, Some(("alice", 10))));
        ledger.apply(&change("b.png", None, Some(("alice", 5))));
        ledger.apply(&change("a.png", Some(was("alice", 10)), Some(("bob", 7))));
        assert_eq!(
            ledger.bucket("images", "alice"),
            BucketUsage {
                all: Tally {
                    objects: 2,
                    bytes: 12
                },
                mine: Tally {
                    objects: 1,
                    bytes: 5
                },
            }
        );
        assert_eq!(ledger.recent["alice"].len(), 1);
        assert_eq!(ledger.recent["bob"][0].key, "a.png");
        ledger.apply(&change("a.png", Some(was("bob", 7)), None));
        assert!(ledger.recent["bob"].is_empty());
        assert_eq!(ledger.bucket("images", "bob").mine, Tally::default());
        // Never below zero, whatever drifted.
        ledger.apply(&change("gone.png", Some(was("carol", 100)), None));
        assert_eq!(ledger.bucket("images", "carol").all.bytes, 0);
    }

    #[test]
    fn a_recent_list_keeps_the_newest_uploads_only() {
        let mut ledger = Ledger::default();
        for i in 0..(RECENT_KEPT as i64 + 5) {
            ledger.count("images", &format!("{i}.png"), Some("alice"), 1, i);
        }
        let list = &ledger.recent["alice"];
        assert_eq!(list.len(), RECENT_KEPT);
        assert_eq!(list[0].key, format!("{}.png", RECENT_KEPT + 4));
    }
}
