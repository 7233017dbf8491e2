//! Listings served from memory while nothing changed (DESIGN.md, "Behaviour every part keeps").
//!
//! Each bucket has a version. Every write and delete through any instance replaces it: a new
//! random value under `<redis.key_prefix>listing-version:<bucket>` in Redis when one is
//! configured, so every instance sees the change on its next listing (random, not a counter: a
//! Redis that restarts empty or from an older snapshot can never bring back a version that a
//! cached listing was read at), and a counter in this process as well.
//!
//! A cached listing is served only while both versions are the ones read *before* it was
//! fetched (a change that raced with the fetch makes it stale at once), and for at most
//! `storage.list_cache_secs`, the bound for changes made behind picgate's back: both the
//! versions and the current `list_cache_secs`-long period are part of the cache key. Requests
//! that miss the same listing together wait for one fetch instead of each asking the backend.
//! When Redis cannot be read, listings go to the backend: slower, never staler.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use auth::LazyConnection;
use prometheus::IntCounterVec;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use storage::{BucketName, ListPage, ListQuery, NumberedPage};

/// Most listed entries (objects and folders) kept over all cached listings, about 300 bytes
/// each; one listing bigger than a tenth of this is never cached.
const CAPACITY_ENTRIES: u64 = 50_000;

/// The cache of one gateway process.
pub struct ListCache {
    ttl: Duration,
    started: Instant,
    shared: Option<SharedVersions>,
    local: Mutex<HashMap<BucketName, u64>>,
    listings: Cache<(Key, Version, u64), Listing, EntriesWeighter>,
    /// `picgate_list_cache_lookups_total{outcome}`, once registered ([`ListCache::counted`]).
    lookups: Option<IntCounterVec>,
}

/// The bucket versions all instances share.
struct SharedVersions {
    redis: LazyConnection,
    key_prefix: String,
}

/// A bucket's version at one moment: the shared one (`None` without Redis, or before the
/// bucket's first change) and this process's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Version {
    shared: Option<String>,
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

impl Key {
    fn bucket(&self) -> &BucketName {
        match self {
            Key::Page { bucket, .. } | Key::Sequence { bucket, .. } => bucket,
        }
    }
}

/// A cached listing, shared with the requests that read it.
#[derive(Debug, Clone)]
pub enum Listing {
    Page(Arc<ListPage>),
    Sequence(Arc<NumberedPage>),
}

impl Listing {
    /// Listed entries (objects and folders).
    fn entries(&self) -> u64 {
        let n = match self {
            Listing::Page(page) => page.items.len() + page.folders.len(),
            Listing::Sequence(all) => all.entries.len(),
        };
        n as u64
    }
}

#[derive(Clone)]
struct EntriesWeighter;

impl Weighter<(Key, Version, u64), Listing> for EntriesWeighter {
    fn weight(&self, _key: &(Key, Version, u64), listing: &Listing) -> u64 {
        listing.entries() + 1
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
            started: Instant::now(),
            listings: Cache::with_weighter(1024, CAPACITY_ENTRIES, EntriesWeighter),
            lookups: None,
        })
    }

    /// Counts each lookup in `lookups` by outcome: `hit`, `miss` (fetched, also by a caller
    /// that waited for another's fetch of the same listing), `bypass` (caching off, or the
    /// shared version unreadable).
    pub fn counted(mut self, lookups: IntCounterVec) -> Self {
        self.lookups = Some(lookups);
        self
    }

    fn count(&self, outcome: &str) {
        if let Some(lookups) = &self.lookups {
            lookups.with_label_values(&[outcome]).inc();
        }
    }

    /// The listing under `key`: from the cache when it was fetched since the bucket last
    /// changed and within `list_cache_secs`, else from `fetch` (then kept, unless it holds more
    /// than a tenth of the capacity). Concurrent misses of one key share one fetch; an error is
    /// returned to the caller that fetched, and the others try again.
    pub async fn get_or_fetch<E>(
        &self,
        key: Key,
        fetch: impl Future<Output = Result<Listing, E>>,
    ) -> Result<Listing, E> {
        let Some(version) = self.version(key.bucket()).await else {
            self.count("bypass");
            return fetch.await;
        };
        let period = self.started.elapsed().as_secs() / self.ttl.as_secs().max(1);
        let full = (key, version, period);
        match self.listings.get_value_or_guard_async(&full).await {
            Ok(listing) => {
                self.count("hit");
                Ok(listing)
            }
            Err(guard) => {
                self.count("miss");
                let listing = fetch.await?;
                if listing.entries() < CAPACITY_ENTRIES / 10 {
                    // Fails only if the entry was removed meanwhile: nothing to keep then.
                    let _ = guard.insert(listing.clone());
                }
                Ok(listing)
            }
        }
    }

    /// The bucket's version now; `None` when caching is off or the shared version cannot be
    /// read (then the backend answers).
    async fn version(&self, bucket: &BucketName) -> Option<Version> {
        if self.ttl.is_zero() {
            return None;
        }
        let local = self.local_version(bucket);
        let shared = match &self.shared {
            None => None,
            Some(s) => {
                let key = s.key(bucket);
                let read = s
                    .redis
                    .call(|mut c| async move {
                        redis::cmd("GET")
                            .arg(key)
                            .query_async::<Option<String>>(&mut c)
                            .await
                    })
                    .await;
                match read {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::debug!(error = %e, "listing version unreadable; not cached");
                        return None;
                    }
                }
            }
        };
        Some(Version { shared, local })
    }

    /// Marks every listing of `bucket` stale, on every instance: call after each write or
    /// delete there, before answering it. A shared version that cannot be replaced (Redis
    /// down) is logged; other instances then catch up within `storage.list_cache_secs`.
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
            let value = uuid::Uuid::new_v4().simple().to_string();
            let bumped = s
                .redis
                .call(|mut c| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(value)
                        .query_async::<()>(&mut c)
                        .await
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
