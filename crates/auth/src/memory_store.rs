//! `SessionStore` in this process: for a single instance (sessions end on restart).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use uuid::Uuid;

use crate::error::Error;
use crate::session::{Failures, Rotation, Session, SessionStore};

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

/// Expired entries are skipped on every read and swept out at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

struct Inner {
    sessions: HashMap<String, (Session, Instant)>,
    failures: HashMap<String, (u32, Instant)>,
    last_sweep: Instant,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            sessions: HashMap::new(),
            failures: HashMap::new(),
            last_sweep: Instant::now(),
        }
    }
}

impl Inner {
    fn sweep(&mut self, now: Instant) {
        if now.duration_since(self.last_sweep) < SWEEP_EVERY {
            return;
        }
        self.last_sweep = now;
        self.sessions.retain(|_, (_, exp)| *exp > now);
        self.failures.retain(|_, (_, exp)| *exp > now);
    }

    fn session_mut(&mut self, id: &str) -> Option<&mut (Session, Instant)> {
        let now = Instant::now();
        self.sessions.get_mut(id).filter(|(_, exp)| *exp > now)
    }

    fn live_failures(&self, key: &str, now: Instant) -> Option<(u32, Instant)> {
        self.failures
            .get(key)
            .copied()
            .filter(|(_, exp)| *exp > now)
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated (every update is a
        // single insert/remove), so a poisoned lock is still safe to use.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.sweep(Instant::now());
        inner
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), Error> {
        let expires = Instant::now() + ttl;
        self.lock()
            .sessions
            .insert(session.id.clone(), (session.clone(), expires));
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, Error> {
        Ok(self.lock().session_mut(id).map(|(s, _)| s.clone()))
    }

    async fn touch(&self, id: &str, now: i64) -> Result<(), Error> {
        if let Some((s, _)) = self.lock().session_mut(id) {
            s.last_seen = now;
        }
        Ok(())
    }

    async fn rotate(
        &self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
        ttl: Duration,
    ) -> Result<Rotation, Error> {
        let mut inner = self.lock();
        let Some((session, expires)) = inner.session_mut(id) else {
            return Ok(Rotation::Missing);
        };
        if session.refresh_hash != expected {
            inner.sessions.remove(id);
            return Ok(Rotation::Reused);
        }
        session.refresh_hash = new_hash.to_owned();
        session.last_seen = now;
        *expires = Instant::now() + ttl;
        Ok(Rotation::Rotated(session.clone()))
    }

    async fn delete(&self, id: &str) -> Result<bool, Error> {
        let now = Instant::now();
        let removed = self.lock().sessions.remove(id);
        Ok(removed.is_some_and(|(_, exp)| exp > now))
    }

    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<Session>, Error> {
        let now = Instant::now();
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|(s, exp)| s.user_id == user_id && *exp > now)
            .map(|(s, _)| s.clone())
            .collect())
    }

    async fn delete_for_user(&self, user_id: Uuid, keep: Option<&str>) -> Result<(), Error> {
        self.lock()
            .sessions
            .retain(|id, (s, _)| s.user_id != user_id || Some(id.as_str()) == keep);
        Ok(())
    }

    async fn record_failure(&self, key: &str, window: Duration) -> Result<Failures, Error> {
        let now = Instant::now();
        let mut inner = self.lock();
        let (count, expires) = inner.live_failures(key, now).unwrap_or((0, now + window));
        let count = count.saturating_add(1);
        inner.failures.insert(key.to_owned(), (count, expires));
        Ok(failures(count, expires, now))
    }

    async fn failures(&self, key: &str) -> Result<Failures, Error> {
        let now = Instant::now();
        Ok(self
            .lock()
            .live_failures(key, now)
            .map(|(count, expires)| failures(count, expires, now))
            .unwrap_or_default())
    }

    async fn clear_failures(&self, key: &str) -> Result<(), Error> {
        self.lock().failures.remove(key);
        Ok(())
    }

    async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }
}

fn failures(count: u32, expires: Instant, now: Instant) -> Failures {
    let left = expires.saturating_duration_since(now);
    Failures {
        count,
        // Round up: a client told "retry in 0 s" would retry too early.
        resets_in_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
    }
}
