//! Listings served from memory while nothing changed (DESIGN.md, "Behaviour every part keeps").
//!
//! Each bucket has a version. Every write and delete through any instance bumps it: `INCR` of
//! `<redis.key_prefix>listing-version:<bucket>` in Redis when one is configured, so every
//! instance sees the change on its next listing, and a counter in this process as well. A
//! cached listing is served only while both versions are the ones read *before* it was fetched
//! (a change that raced with the fetch makes it stale at once), and for at most
//! `storage.list_cache_secs`, the bound for changes made behind picgate's back. When Redis
//! cannot be read, listings go to the backend: slower, never staler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use auth::LazyConnection;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use storage::{BucketName, ListPage, ListQuery, NumberedPage};

/// Most listed entries (objects and folders) kept over all cached listings, about 300 bytes
/// each; one listing bigger than a tenth of this is never cached.
const CAPACITY_ENTRIES: u64 = 50_000;

/// The cache of one gateway process.
pub struct ListCache {
    ttl: Duration,
    shared: Option<SharedVersions>,
    local: Mutex<HashMap<BucketName, u64>>,
    listings: Cache<Key, Cached, EntriesWeighter>,
}

/// The bucket versions all instances share.
struct SharedVersions {
    redis: LazyConnection,
    key_prefix: String,
}

/// A bucket's version at one moment: the shared one (0 without Redis) and this process's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    shared: u64,
    local: u64,
}

/// What is cached: one cursor page, or the whole sorted sequence under a prefix (numbered
/// pages and totals are cut from it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Page {
        bucket: BucketName,
        query: ListQuery,
    },
    Sequence {
        bucket: BucketName,
        prefix: String,
        delimiter: bool,
    },
}

/// A cached listing, shared with the requests that read it.
#[derive(Debug, Clone)]
pub enum Listing {
    Page(Arc<ListPage>),
    Sequence(Arc<NumberedPage>),
}

#[derive(Clone)]
struct Cached {
    version: Version,
    fetched: Instant,
    listing: Listing,
}

#[derive(Clone)]
struct EntriesWeighter;

impl Weighter<Key, Cached> for EntriesWeighter {
    fn weight(&self, _key: &Key, value: &Cached) -> u64 {
        let entries = match &value.listing {
            Listing::Page(page) => page.items.len() + page.folders.len(),
            Listing::Sequence(all) => all.entries.len(),
        };
        entries as u64 + 1
    }
}

impl ListCache {
    /// A cache whose listings live at most `ttl` (zero: nothing is cached), with versions
    /// shared through Redis at `redis_url` (keys under `key_prefix`) when given. Does not
    /// connect. Errors: a malformed Redis URL.
    pub fn new(
        ttl: Duration,
        redis_url: Option<&str>,
        key_prefix: &str,
    ) -> Result<Self, auth::Error> {
        let shared = match redis_url {
            Some(url) => Some(SharedVersions {
                redis: LazyConnection::new(url)?,
                key_prefix: key_prefix.to_owned(),
            }),
            None => None,
        };
        Ok(Self {
            ttl,
            shared,
            local: Mutex::new(HashMap::new()),
            listings: Cache::with_weighter(1024, CAPACITY_ENTRIES, EntriesWeighter),
        })
    }

    /// The bucket's version now, to look a listing up with and to store it under; `None` when
    /// caching is off or the shared version cannot be read (then the backend answers).
    pub async fn version(&self, bucket: &BucketName) -> Option<Version> {
        if self.ttl.is_zero() {
            return None;
        }
        let local = self.local_version(bucket);
        let shared = match &self.shared {
            None => 0,
            Some(s) => {
                let key = s.key(bucket);
                let read = s
                    .redis
                    .call(|mut c| async move {
                        redis::cmd("GET")
                            .arg(key)
                            .query_async::<Option<u64>>(&mut c)
                            .await
                    })
                    .await;
                match read {
                    Ok(v) => v.unwrap_or(0),
                    Err(e) => {
                        tracing::debug!(error = %e, "listing version unreadable; not cached");
                        return None;
                    }
                }
            }
        };
        Some(Version { shared, local })
    }

    /// The listing cached under `key` if it was fetched at `version` and is fresh.
    pub fn get(&self, key: &Key, version: Version) -> Option<Listing> {
        let cached = self.listings.get(key)?;
        (cached.version == version && cached.fetched.elapsed() < self.ttl).then_some(cached.listing)
    }

    /// Keeps `listing`, fetched after `version` was read (unless it is too big to keep).
    pub fn put(&self, key: Key, version: Version, listing: Listing) {
        let cached = Cached {
            version,
            fetched: Instant::now(),
            listing,
        };
        if EntriesWeighter.weight(&key, &cached) <= CAPACITY_ENTRIES / 10 {
            self.listings.insert(key, cached);
        }
    }

    /// Marks every listing of `bucket` stale, on every instance: call after each write or
    /// delete there, before answering it. A shared version that cannot be bumped is logged;
    /// other instances then catch up within `storage.list_cache_secs`.
    pub async fn bump(&self, bucket: &BucketName) {
        if self.ttl.is_zero() {
            return;
        }
        *self
            .local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(bucket.clone())
            .or_default() += 1;
        if let Some(s) = &self.shared {
            let key = s.key(bucket);
            let bumped = s
                .redis
                .call(|mut c| async move {
                    redis::cmd("INCR").arg(key).query_async::<u64>(&mut c).await
                })
                .await;
            if let Err(e) = bumped {
                tracing::warn!(%bucket, error = %e, "could not bump the shared listing version");
            }
        }
    }

    fn local_version(&self, bucket: &BucketName) -> u64 {
        self.local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(bucket)
            .copied()
            .unwrap_or(0)
    }
}

impl SharedVersions {
    fn key(&self, bucket: &BucketName) -> String {
        format!("{}listing-version:{bucket}", self.key_prefix)
    }
}
