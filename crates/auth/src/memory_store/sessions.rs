//! Sessions in memory: creation with the epoch check and eviction of the oldest, rotation,
//! deletion.

use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Inner;
use crate::session::{Rotation, Session, SessionCreated};

impl Inner {
    pub(super) fn live_session(&self, id: &str) -> Option<&Session> {
        let now = Instant::now();
        self.sessions
            .get(id)
            .filter(|(_, exp, _)| *exp > now)
            .map(|(s, _, _)| s)
    }

    pub(super) fn live_session_mut(&mut self, id: &str) -> Option<&mut Session> {
        let now = Instant::now();
        self.sessions
            .get_mut(id)
            .filter(|(_, exp, _)| *exp > now)
            .map(|(s, _, _)| s)
    }

    pub(super) fn create_session(&mut self, session: &Session, max: u32) -> SessionCreated {
        let current = self
            .state(session.user_id)
            .is_some_and(|st| st.epoch == session.epoch && !st.disabled);
        if !current {
            return SessionCreated::Stale;
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        let expires = Instant::now() + Duration::from_secs(session.ttl_secs.max(1));
        self.remove_session(&session.id);
        self.sessions
            .insert(session.id.clone(), (session.clone(), expires, seq));
        self.user_sessions
            .entry(session.user_id)
            .or_default()
            .insert(seq, session.id.clone());
        let mut evicted = Vec::new();
        let live = self.sessions_of(session.user_id).len();
        let max = usize::try_from(max).unwrap_or(usize::MAX).max(1);
        for _ in max..live {
            let oldest = self
                .user_sessions
                .get(&session.user_id)
                .and_then(|m| m.values().next().cloned());
            let Some(oldest) = oldest else { break };
            self.remove_session(&oldest);
            evicted.push(oldest);
        }
        SessionCreated::Created { evicted }
    }

    pub(super) fn rotate(
        &mut self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
    ) -> Rotation {
        let Some((session, expires, _)) = self
            .sessions
            .get_mut(id)
            .filter(|(_, exp, _)| *exp > Instant::now())
        else {
            return Rotation::Missing;
        };
        if session.refresh_hash != expected {
            self.remove_session(id);
            return Rotation::Reused;
        }
        session.refresh_hash = new_hash.to_owned();
        session.last_seen = now;
        *expires = Instant::now() + Duration::from_secs(session.ttl_secs.max(1));
        Rotation::Rotated(session.clone())
    }

    /// Removes the session and its entry in the user's index.
    pub(super) fn remove_session(&mut self, id: &str) {
        let Some((session, _, seq)) = self.sessions.remove(id) else {
            return;
        };
        if let Some(index) = self.user_sessions.get_mut(&session.user_id) {
            index.remove(&seq);
            if index.is_empty() {
                self.user_sessions.remove(&session.user_id);
            }
        }
    }

    /// Live sessions of the user; expired ones are removed on the way.
    pub(super) fn sessions_of(&mut self, user_id: Uuid) -> Vec<Session> {
        let ids: Vec<String> = self
            .user_sessions
            .get(&user_id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        let mut live = Vec::new();
        for id in ids {
            match self.live_session(&id) {
                Some(s) => live.push(s.clone()),
                None => self.remove_session(&id),
            }
        }
        live
    }

    /// Every session of the user but `keep` is removed; the epoch moves on; `keep` is
    /// re-stamped if it carried the previous epoch.
    pub(super) fn end_sessions(&mut self, user_id: Uuid, keep: Option<&str>) -> u64 {
        let fields = self.fields_mut(user_id);
        let previous = fields.epoch.unwrap_or(0);
        let epoch = previous + 1;
        fields.epoch = Some(epoch);
        let ids: Vec<String> = self
            .user_sessions
            .get(&user_id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            if Some(id.as_str()) == keep {
                if let Some(s) = self.live_session_mut(&id)
                    && s.epoch == previous
                {
                    s.epoch = epoch;
                }
            } else {
                self.remove_session(&id);
            }
        }
        epoch
    }
}
