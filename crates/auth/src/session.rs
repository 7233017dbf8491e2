//! Sessions and the store that holds them (Redis or in-process).
//!
//! A session exists exactly as long as its tokens are valid: an access token is accepted only
//! while its session is in the store, so deleting a session revokes at once.

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::error::Error;
use crate::model::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user_id: Uuid,
    /// The user's role when the session was created.
    pub role: Role,
    /// Hex SHA-256 of the current refresh token.
    pub refresh_hash: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; updated at most once a minute.
    pub last_seen: i64,
}

/// Result of a refresh-token compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The presented hash matched; the session now holds the new hash (and is returned).
    Rotated(Session),
    /// The presented hash was an old one: the token was reused, so the session was deleted.
    Reused,
    /// No such session (expired, logged out or revoked).
    Missing,
}

/// Failure counter of one throttling key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: u32,
    /// Seconds until the window (and the count) ends.
    pub resets_in_secs: u64,
}

/// Every method fails with `Error::Unavailable` when the store cannot be reached.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session that expires after `ttl` unless rotated.
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), Error>;
    async fn get(&self, id: &str) -> Result<Option<Session>, Error>;
    /// Sets `last_seen` if the session still exists (never re-creates a deleted one).
    async fn touch(&self, id: &str, now: i64) -> Result<(), Error>;
    /// Atomically: if the stored hash is `expected`, replace it by `new_hash`, set `last_seen`
    /// and restart the ttl; if it differs, delete the session.
    async fn rotate(
        &self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
        ttl: Duration,
    ) -> Result<Rotation, Error>;
    /// Deletes a session; `false` if there was none.
    async fn delete(&self, id: &str) -> Result<bool, Error>;
    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<Session>, Error>;
    /// Deletes every session of the user except `keep`.
    async fn delete_for_user(&self, user_id: Uuid, keep: Option<&str>) -> Result<(), Error>;

    /// Counts one failure under `key`; the window starts with the first failure.
    async fn record_failure(&self, key: &str, window: Duration) -> Result<Failures, Error>;
    async fn failures(&self, key: &str) -> Result<Failures, Error>;
    async fn clear_failures(&self, key: &str) -> Result<(), Error>;

    async fn ping(&self) -> Result<(), Error>;
}
