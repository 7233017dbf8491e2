//! Sessions and per-user state as the session store holds them.
//!
//! A session exists exactly as long as its tokens are valid: an access token is accepted only
//! while its session is in the store and stamped with the user's current credential epoch, so
//! deleting a session, or moving the epoch on, revokes at once.

use uuid::Uuid;

use crate::model::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// 32 lowercase hex digits.
    pub id: String,
    pub user_id: Uuid,
    /// The user's credential epoch read before the password was checked; the session is valid
    /// only while it equals the user's current epoch.
    pub epoch: u64,
    /// Hex SHA-256 of the current refresh token.
    pub refresh_hash: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; updated at most once a minute.
    pub last_seen: i64,
    /// Lifetime in seconds, restarted by each refresh (`refresh_token_ttl_secs`, or the access
    /// token's lifetime for seed clients, which cannot refresh).
    pub ttl_secs: u64,
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

/// Result of storing a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCreated {
    /// Stored; `evicted` are the ids of the user's oldest sessions ended to stay within the
    /// per-user limit.
    Created { evicted: Vec<String> },
    /// Not stored: the user's epoch moved on since `Session::epoch` was read (the password was
    /// changed meanwhile), or the user was disabled or deleted, or has no state.
    Stale,
}

/// What the session store knows of a user, read on every `authenticate` so that changes apply
/// at once on every instance. Mirrors the account document (`role`, `disabled`); `epoch` lives
/// only here (0 when first loaded) and moves on with each password change, disable or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserState {
    pub epoch: u64,
    pub role: Role,
    pub disabled: bool,
}
