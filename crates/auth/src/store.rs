//! `SessionStore`: everything auth keeps outside the account documents (sessions, per-user
//! state, API tokens, invitations, throttle counters), in Redis or in this process.

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::error::Error;
use crate::invitation::Invitation;
use crate::model::Role;
use crate::scope::Scope;
use crate::session::{Rotation, Session, SessionCreated, UserState};

/// An API token as stored: the SHA-256 of its secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// 32 lowercase hex digits.
    pub id: String,
    pub user_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Hex SHA-256 of the secret part of the token.
    pub secret_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_used: Option<i64>,
    /// Unix seconds; `None` = until revoked.
    pub expires_at: Option<i64>,
}

/// One throttle counter charged by a reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// Store key below the throttle namespace, e.g. `ip:10.0.0.1`.
    pub key: String,
    /// Attempts allowed without delay.
    pub free: u32,
    /// Each attempt beyond `free` must come `min(2^(n - free) s, max_delay_secs)` after the
    /// previous one (`n` = attempts counted so far).
    pub max_delay_secs: u64,
    /// `Some(i)`: this counter's delay applies only if counter `i` of the same reservation
    /// already has attempts (the account delay only hits IPs that have failed on it).
    pub gated_by: Option<usize>,
}

/// Outcome of [`SessionStore::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Every counter was charged one attempt.
    Reserved,
    /// Nothing was charged; the earliest retry is `retry_after_secs` (≥ 1) from now.
    Refused { retry_after_secs: u64 },
}

/// Every method fails with `Error::Unavailable` when the store cannot be reached. Changes that
/// must be atomic are atomic (one Lua script on Redis, one lock in memory).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores `session` for `session.ttl_secs` if the user's state exists, is not disabled and
    /// has epoch `session.epoch`; then ends the user's oldest sessions beyond `max_per_user`.
    async fn create(&self, session: &Session, max_per_user: u32) -> Result<SessionCreated, Error>;
    async fn get(&self, id: &str) -> Result<Option<Session>, Error>;
    /// The session and the state of its user, in one round trip.
    async fn session_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<Session>, Option<UserState>), Error>;
    /// Sets `last_seen` (unix seconds) if the session still exists (never re-creates one).
    async fn touch(&self, id: &str, now: i64) -> Result<(), Error>;
    /// Atomically: if the stored hash is `expected`, replace it by `new_hash`, set `last_seen`
    /// and restart the session's ttl; if it differs, delete the session.
    async fn rotate(
        &self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<Rotation, Error>;
    /// Deletes a session; `false` if there was none.
    async fn delete(&self, id: &str) -> Result<bool, Error>;
    /// The user's live sessions, in no particular order.
    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<Session>, Error>;
    /// Atomically moves the user's epoch on by one, deletes every session of theirs except
    /// `keep`, and re-stamps `keep` (if it was current) with the new epoch. Returns the epoch.
    async fn end_sessions(&self, user_id: Uuid, keep: Option<&str>) -> Result<u64, Error>;

    /// The user's state; `None` if absent or incomplete.
    async fn user_state(&self, user_id: Uuid) -> Result<Option<UserState>, Error>;
    /// Fills in each field of the user's state that is absent (never overwrites one set by a
    /// concurrent change) and returns the state as it then is.
    async fn init_user_state(&self, user_id: Uuid, from: &UserState) -> Result<UserState, Error>;
    async fn set_role(&self, user_id: Uuid, role: Role) -> Result<(), Error>;
    /// Disabling also moves the epoch on and deletes every session and API token of the user.
    async fn set_disabled(&self, user_id: Uuid, disabled: bool) -> Result<(), Error>;
    /// Like disabling, and the state is forgotten after `keep_for` (a tombstone meanwhile).
    async fn remove_user(&self, user_id: Uuid, keep_for: Duration) -> Result<(), Error>;

    /// Stores a token unless the user already has `max_per_user` unexpired ones (`false`).
    /// `keep_for`: how long the store keeps it (`None`: until revoked). `now`: unix seconds.
    async fn create_token(
        &self,
        token: &StoredToken,
        max_per_user: u32,
        now: i64,
        keep_for: Option<Duration>,
    ) -> Result<bool, Error>;
    /// The token and the state of its user, in one round trip.
    async fn token_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<StoredToken>, Option<UserState>), Error>;
    /// Sets `last_used` (unix seconds) if the token still exists.
    async fn touch_token(&self, id: &str, now: i64) -> Result<(), Error>;
    /// The user's stored tokens (expired ones included), in no particular order.
    async fn tokens_for_user(&self, user_id: Uuid) -> Result<Vec<StoredToken>, Error>;
    /// Deletes the token if it is the user's; `false` otherwise.
    async fn delete_token(&self, user_id: Uuid, id: &str) -> Result<bool, Error>;

    /// Stores an invitation until its `expires_at`.
    async fn put_invitation(&self, invitation: &Invitation) -> Result<(), Error>;
    /// The invitation, unless unknown, used or expired.
    async fn invitation(&self, code: &str) -> Result<Option<Invitation>, Error>;
    /// Atomically returns and deletes the invitation (at most one caller gets it).
    async fn take_invitation(&self, code: &str) -> Result<Option<Invitation>, Error>;
    /// Every unexpired invitation, in no particular order.
    async fn invitations(&self) -> Result<Vec<Invitation>, Error>;
    /// `false` if there was none.
    async fn delete_invitation(&self, code: &str) -> Result<bool, Error>;

    /// Atomically checks every counter and, if none is in its delay, charges each one attempt;
    /// counters expire `window` after their last attempt.
    async fn reserve(&self, counters: &[Counter], window: Duration) -> Result<Reservation, Error>;
    /// Deletes the counters `clear` and gives one attempt back to each of `give_back`.
    async fn release(&self, clear: &[String], give_back: &[String]) -> Result<(), Error>;

    async fn ping(&self) -> Result<(), Error>;
}
