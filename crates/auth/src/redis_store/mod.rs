//! `SessionStore` in Redis, shared by every gateway instance.
//!
//! Keys (all under the configured prefix):
//! - `session:<sid>`: hash with the session's fields, expiring with the session;
//! - `user-sessions:<uid>`: sorted set of the user's session ids by creation order (ids of
//!   sessions that expired are pruned when the set is over the per-user limit or listed);
//! - `user-state:<uid>`: hash {epoch, role, disabled}; a deleted user's expires;
//! - `token:<id>`: hash {user_id, name, scopes, secret_hash, created_at, last_used?,
//!   expires_at?}, expiring a while after `expires_at`;
//! - `user-tokens:<uid>`: set of the user's token ids;
//! - `invitation:<code>`: JSON {created_by, created_at, expires_at}, expiring with it;
//! - `invitations`: sorted set of codes by creation time (pruned when listed);
//! - `throttle:<counter>`: hash {n, last (ms)}, expiring a window after the last attempt.
//!
//! Changes that must be atomic are Lua scripts; keys derived inside a script (a user's
//! sessions, say) assume a single Redis, not a cluster. The connection is made lazily, with
//! short timeouts, and rebuilt after failures (see `redis_conn`).

mod invitations;
mod sessions;
mod throttle;
mod tokens;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use redis::{FromRedisValue, Pipeline, ScriptInvocation};
use uuid::Uuid;

use crate::error::Error;
use crate::invitation::Invitation;
use crate::model::Role;
use crate::redis_conn::LazyConnection;
use crate::session::{Rotation, Session, SessionCreated, UserState};
use crate::store::{Counter, Reservation, SessionStore, StoredToken};

pub struct RedisStore {
    conn: LazyConnection,
    prefix: String,
}

impl RedisStore {
    /// Parses the URL (`redis://host:port/db`); does not connect (the first call does).
    /// `Internal` if the URL is malformed.
    pub fn new(url: &str, key_prefix: impl Into<String>) -> Result<Self, Error> {
        Ok(Self {
            conn: LazyConnection::new(url)?,
            prefix: key_prefix.into(),
        })
    }

    /// `<prefix><kind>:`, the start of every key of one kind.
    fn ns(&self, kind: &str) -> String {
        format!("{}{kind}:", self.prefix)
    }

    fn key(&self, kind: &str, id: impl std::fmt::Display) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    async fn script<T: FromRedisValue + Send>(
        &self,
        invocation: ScriptInvocation<'static>,
    ) -> Result<T, Error> {
        self.conn
            .call(|mut con| async move { invocation.invoke_async(&mut con).await })
            .await
    }

    async fn pipe<T: FromRedisValue + Send>(&self, pipe: Pipeline) -> Result<T, Error> {
        self.conn
            .call(|mut con| async move { pipe.query_async(&mut con).await })
            .await
    }

    async fn cmd<T: FromRedisValue + Send>(&self, cmd: redis::Cmd) -> Result<T, Error> {
        self.conn
            .call(|mut con| async move { cmd.query_async(&mut con).await })
            .await
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs().max(1)
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, session: &Session, max_per_user: u32) -> Result<SessionCreated, Error> {
        self.create_session(session, max_per_user).await
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, Error> {
        self.get_session(id).await
    }

    async fn session_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<Session>, Option<UserState>), Error> {
        self.get_session_with_state(id).await
    }

    async fn touch(&self, id: &str, now: i64) -> Result<(), Error> {
        self.touch_session(id, now).await
    }

    async fn rotate(
        &self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<Rotation, Error> {
        self.rotate_session(id, expected, new_hash, now).await
    }

    async fn delete(&self, id: &str) -> Result<bool, Error> {
        self.delete_session(id).await
    }

    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<Session>, Error> {
        self.sessions_of(user_id).await
    }

    async fn end_sessions(&self, user_id: Uuid, keep: Option<&str>) -> Result<u64, Error> {
        self.end_sessions_of(user_id, keep).await
    }

    async fn user_state(&self, user_id: Uuid) -> Result<Option<UserState>, Error> {
        self.get_user_state(user_id).await
    }

    async fn init_user_state(&self, user_id: Uuid, from: &UserState) -> Result<UserState, Error> {
        self.init_state(user_id, from).await
    }

    async fn set_role(&self, user_id: Uuid, role: Role) -> Result<(), Error> {
        self.set_user_role(user_id, role).await
    }

    async fn set_disabled(&self, user_id: Uuid, disabled: bool) -> Result<(), Error> {
        self.set_user_disabled(user_id, disabled).await
    }

    async fn remove_user(&self, user_id: Uuid, keep_for: Duration) -> Result<(), Error> {
        self.end_user(user_id, Some(keep_for)).await
    }

    async fn create_token(
        &self,
        token: &StoredToken,
        max_per_user: u32,
        now: i64,
        keep_for: Option<Duration>,
    ) -> Result<bool, Error> {
        self.put_token(token, max_per_user, now, keep_for).await
    }

    async fn token_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<StoredToken>, Option<UserState>), Error> {
        self.get_token_with_state(id).await
    }

    async fn touch_token(&self, id: &str, now: i64) -> Result<(), Error> {
        self.touch_token_used(id, now).await
    }

    async fn tokens_for_user(&self, user_id: Uuid) -> Result<Vec<StoredToken>, Error> {
        self.tokens_of(user_id).await
    }

    async fn delete_token(&self, user_id: Uuid, id: &str) -> Result<bool, Error> {
        self.remove_token(user_id, id).await
    }

    async fn put_invitation(&self, invitation: &Invitation) -> Result<(), Error> {
        self.store_invitation(invitation).await
    }

    async fn invitation(&self, code: &str) -> Result<Option<Invitation>, Error> {
        self.get_invitation(code).await
    }

    async fn take_invitation(&self, code: &str) -> Result<Option<Invitation>, Error> {
        self.consume_invitation(code).await
    }

    async fn invitations(&self) -> Result<Vec<Invitation>, Error> {
        self.live_invitations().await
    }

    async fn delete_invitation(&self, code: &str) -> Result<bool, Error> {
        self.remove_invitation(code).await
    }

    async fn reserve(&self, counters: &[Counter], window: Duration) -> Result<Reservation, Error> {
        self.reserve_attempt(counters, window).await
    }

    async fn release(&self, clear: &[String], give_back: &[String]) -> Result<(), Error> {
        self.release_attempt(clear, give_back).await
    }

    async fn ping(&self) -> Result<(), Error> {
        self.cmd(redis::cmd("PING")).await
    }
}
