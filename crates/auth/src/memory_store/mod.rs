//! `SessionStore` in this process: for a single instance (everything ends on restart).
//! One lock over all maps makes every change atomic; expired entries are skipped on every read
//! and swept out at most every 30 s.

mod invitations;
mod sessions;
mod throttle;
mod tokens;
mod users;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use uuid::Uuid;

use crate::error::Error;
use crate::invitation::Invitation;
use crate::model::Role;
use crate::session::{Rotation, Session, SessionCreated, UserState};
use crate::store::{Counter, Reservation, SessionStore, StoredToken};

use self::throttle::CounterState;
use self::users::StateFields;

/// The in-process store. `Debug` shows everything it holds (hashes, never secrets).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

const SWEEP_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Inner {
    /// Session, its expiry, its creation sequence number.
    sessions: HashMap<String, (Session, Instant, u64)>,
    /// Per user: creation sequence number → session id, oldest first.
    user_sessions: HashMap<Uuid, BTreeMap<u64, String>>,
    next_seq: u64,
    /// Per user: the state and, for a deleted user's tombstone, when it is forgotten.
    states: HashMap<Uuid, (StateFields, Option<Instant>)>,
    /// Token and when the store forgets it (`None`: never).
    tokens: HashMap<String, (StoredToken, Option<Instant>)>,
    invitations: HashMap<String, (Invitation, Instant)>,
    counters: HashMap<String, CounterState>,
    last_sweep: Instant,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            sessions: HashMap::new(),
            user_sessions: HashMap::new(),
            next_seq: 0,
            states: HashMap::new(),
            tokens: HashMap::new(),
            invitations: HashMap::new(),
            counters: HashMap::new(),
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
        let dead: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, (_, exp, _))| *exp <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in dead {
            self.remove_session(&id);
        }
        self.states
            .retain(|_, (_, exp)| exp.is_none_or(|exp| exp > now));
        self.tokens
            .retain(|_, (_, exp)| exp.is_none_or(|exp| exp > now));
        self.invitations.retain(|_, (_, exp)| *exp > now);
        self.counters.retain(|_, c| c.expires > now);
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update keeps the maps consistent between statements that cannot panic, so a
        // poisoned lock is still safe to use.
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
    async fn create(&self, session: &Session, max_per_user: u32) -> Result<SessionCreated, Error> {
        Ok(self.lock().create_session(session, max_per_user))
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, Error> {
        Ok(self.lock().live_session(id).cloned())
    }

    async fn session_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<Session>, Option<UserState>), Error> {
        let inner = self.lock();
        let session = inner.live_session(id).cloned();
        let state = session.as_ref().and_then(|s| inner.state(s.user_id));
        Ok((session, state))
    }

    async fn touch(&self, id: &str, now: i64) -> Result<(), Error> {
        if let Some(s) = self.lock().live_session_mut(id) {
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
    ) -> Result<Rotation, Error> {
        Ok(self.lock().rotate(id, expected, new_hash, now))
    }

    async fn delete(&self, id: &str) -> Result<bool, Error> {
        let mut inner = self.lock();
        let live = inner.live_session(id).is_some();
        inner.remove_session(id);
        Ok(live)
    }

    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<Session>, Error> {
        Ok(self.lock().sessions_of(user_id))
    }

    async fn end_sessions(&self, user_id: Uuid, keep: Option<&str>) -> Result<u64, Error> {
        Ok(self.lock().end_sessions(user_id, keep))
    }

    async fn user_state(&self, user_id: Uuid) -> Result<Option<UserState>, Error> {
        Ok(self.lock().state(user_id))
    }

    async fn init_user_state(&self, user_id: Uuid, from: &UserState) -> Result<UserState, Error> {
        Ok(self.lock().init_state(user_id, from))
    }

    async fn set_role(&self, user_id: Uuid, role: Role) -> Result<(), Error> {
        self.lock().fields_mut(user_id).role = Some(role);
        Ok(())
    }

    async fn set_disabled(&self, user_id: Uuid, disabled: bool) -> Result<(), Error> {
        let mut inner = self.lock();
        if disabled {
            inner.end_user(user_id, None);
        } else {
            inner.fields_mut(user_id).disabled = Some(false);
        }
        Ok(())
    }

    async fn remove_user(&self, user_id: Uuid, keep_for: Duration) -> Result<(), Error> {
        self.lock()
            .end_user(user_id, Some(Instant::now() + keep_for));
        Ok(())
    }

    async fn create_token(
        &self,
        token: &StoredToken,
        max_per_user: u32,
        now: i64,
        keep_for: Option<Duration>,
    ) -> Result<bool, Error> {
        Ok(self.lock().create_token(token, max_per_user, now, keep_for))
    }

    async fn token_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<StoredToken>, Option<UserState>), Error> {
        let inner = self.lock();
        let token = inner.live_token(id).cloned();
        let state = token.as_ref().and_then(|t| inner.state(t.user_id));
        Ok((token, state))
    }

    async fn touch_token(&self, id: &str, now: i64) -> Result<(), Error> {
        if let Some(t) = self.lock().live_token_mut(id) {
            t.last_used = Some(now);
        }
        Ok(())
    }

    async fn tokens_for_user(&self, user_id: Uuid) -> Result<Vec<StoredToken>, Error> {
        Ok(self.lock().tokens_of(user_id))
    }

    async fn delete_token(&self, user_id: Uuid, id: &str) -> Result<bool, Error> {
        Ok(self.lock().delete_token(user_id, id))
    }

    async fn put_invitation(&self, invitation: &Invitation) -> Result<(), Error> {
        self.lock().put_invitation(invitation);
        Ok(())
    }

    async fn invitation(&self, code: &str) -> Result<Option<Invitation>, Error> {
        Ok(self.lock().live_invitation(code))
    }

    async fn take_invitation(&self, code: &str) -> Result<Option<Invitation>, Error> {
        let mut inner = self.lock();
        let live = inner.live_invitation(code);
        inner.invitations.remove(code);
        Ok(live)
    }

    async fn invitations(&self) -> Result<Vec<Invitation>, Error> {
        let now = Instant::now();
        Ok(self
            .lock()
            .invitations
            .values()
            .filter(|(_, exp)| *exp > now)
            .map(|(i, _)| i.clone())
            .collect())
    }

    async fn delete_invitation(&self, code: &str) -> Result<bool, Error> {
        let mut inner = self.lock();
        let live = inner.live_invitation(code).is_some();
        inner.invitations.remove(code);
        Ok(live)
    }

    async fn reserve(&self, counters: &[Counter], window: Duration) -> Result<Reservation, Error> {
        Ok(self.lock().reserve(counters, window, Instant::now()))
    }

    async fn release(&self, clear: &[String], give_back: &[String]) -> Result<(), Error> {
        self.lock().release(clear, give_back);
        Ok(())
    }

    async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }
}
