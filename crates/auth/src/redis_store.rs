//! `SessionStore` in Redis, shared by every gateway instance.
//!
//! Keys (all under the configured prefix):
//! - `session:<id>`: hash with the session's fields, expiring with the session;
//! - `user-sessions:<user id>`: set of the user's session ids (a superset: ids of sessions that
//!   expired or were deleted are pruned when listed, or when the set grows);
//! - `login-failures:<key>`: failure counter, expiring with its window.
//!
//! The connection is made lazily, with short timeouts, and rebuilt after failures
//! (see `redis_conn`).

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::{Script, Value};
use uuid::Uuid;

use crate::error::Error;
use crate::redis_conn::LazyConnection;
use crate::session::{Failures, Rotation, Session, SessionStore};
use crate::session_fields;

/// A user's session set is pruned on login once it holds more ids than this.
const PRUNE_AT: usize = 64;

/// Sets `last_seen` only if the session still exists.
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then
            redis.call('HSET', KEYS[1], 'last_seen', ARGV[1])
          end
          return 0",
    )
});

/// Refresh-token compare-and-swap: 0 = missing, 2 = reused (session deleted),
/// otherwise the session's fields after rotation.
static ROTATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local h = redis.call('HGET', KEYS[1], 'refresh_hash')
          if not h then return 0 end
          if h ~= ARGV[1] then
            redis.call('DEL', KEYS[1])
            return 2
          end
          redis.call('HSET', KEYS[1], 'refresh_hash', ARGV[2], 'last_seen', ARGV[3])
          redis.call('EXPIRE', KEYS[1], ARGV[4])
          return redis.call('HGETALL', KEYS[1])",
    )
});

/// Counts a failure; the window starts with the first one. Returns {count, ttl}.
static RECORD_FAILURE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local n = redis.call('INCR', KEYS[1])
          if redis.call('TTL', KEYS[1]) < 0 then
            redis.call('EXPIRE', KEYS[1], ARGV[1])
          end
          return {n, redis.call('TTL', KEYS[1])}",
    )
});

pub struct RedisStore {
    conn: LazyConnection,
    prefix: String,
}

impl RedisStore {
    /// Parses the URL; does not connect (the first call does).
    pub fn new(url: &str, key_prefix: impl Into<String>) -> Result<Self, Error> {
        Ok(Self {
            conn: LazyConnection::new(url)?,
            prefix: key_prefix.into(),
        })
    }

    fn session_key(&self, id: &str) -> String {
        format!("{}session:{id}", self.prefix)
    }

    fn user_key(&self, user_id: Uuid) -> String {
        format!("{}user-sessions:{user_id}", self.prefix)
    }

    fn failures_key(&self, key: &str) -> String {
        format!("{}login-failures:{key}", self.prefix)
    }

    /// The session ids in a user's set.
    async fn members(&self, user_key: &str) -> Result<Vec<String>, Error> {
        let key = user_key.to_owned();
        self.conn
            .call(|mut con| async move { redis::cmd("SMEMBERS").arg(key).query_async(&mut con).await })
            .await
    }

    async fn prune_user(&self, user_key: &str) -> Result<(), Error> {
        let ids = self.members(user_key).await?;
        self.sessions_of(user_key, ids).await.map(drop)
    }

    /// Loads the sessions named by `ids`; removes from the user's set those that are gone.
    async fn sessions_of(&self, user_key: &str, ids: Vec<String>) -> Result<Vec<Session>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HGETALL").arg(self.session_key(id));
        }
        let maps: Vec<HashMap<String, String>> = self
            .conn
            .call(|mut con| async move { pipe.query_async(&mut con).await })
            .await?;
        let mut sessions = Vec::new();
        let mut gone = Vec::new();
        for (id, fields) in ids.into_iter().zip(maps) {
            match session_fields::decode(&id, &fields) {
                Some(session) => sessions.push(session),
                None => gone.push(id),
            }
        }
        if !gone.is_empty() {
            let key = user_key.to_owned();
            self.conn
                .call(|mut con| async move {
                    redis::cmd("SREM")
                        .arg(key)
                        .arg(gone)
                        .exec_async(&mut con)
                        .await
                })
                .await?;
        }
        Ok(sessions)
    }
}

fn ttl_secs(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), Error> {
        let key = self.session_key(&session.id);
        let user_key = self.user_key(session.user_id);
        let mut hset = redis::cmd("HSET");
        hset.arg(&key);
        for (field, value) in session_fields::encode(session) {
            hset.arg(field).arg(value);
        }
        let mut pipe = redis::pipe();
        pipe.atomic()
            .add_command(hset)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl_secs(ttl))
            .ignore()
            .cmd("SADD")
            .arg(&user_key)
            .arg(&session.id)
            .ignore()
            .cmd("SCARD")
            .arg(&user_key);
        let (count,): (usize,) = self
            .conn
            .call(|mut con| async move { pipe.query_async(&mut con).await })
            .await?;
        if count > PRUNE_AT {
            self.prune_user(&user_key).await?;
        }
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, Error> {
        let key = self.session_key(id);
        let fields: HashMap<String, String> = self
            .conn
            .call(
                |mut con| async move { redis::cmd("HGETALL").arg(key).query_async(&mut con).await },
            )
            .await?;
        Ok(session_fields::decode(id, &fields))
    }

    async fn touch(&self, id: &str, now: i64) -> Result<(), Error> {
        let key = self.session_key(id);
        self.conn
            .call(
                |mut con| async move { TOUCH.key(key).arg(now).invoke_async::<()>(&mut con).await },
            )
            .await
    }

    async fn rotate(
        &self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
        ttl: Duration,
    ) -> Result<Rotation, Error> {
        let key = self.session_key(id);
        let (expected, new_hash) = (expected.to_owned(), new_hash.to_owned());
        let reply: Value = self
            .conn
            .call(|mut con| async move {
                ROTATE
                    .key(key)
                    .arg(expected)
                    .arg(new_hash)
                    .arg(now)
                    .arg(ttl_secs(ttl))
                    .invoke_async(&mut con)
                    .await
            })
            .await?;
        match reply {
            Value::Int(0) => Ok(Rotation::Missing),
            Value::Int(_) => Ok(Rotation::Reused),
            fields => {
                let fields: HashMap<String, String> =
                    redis::from_redis_value(fields).map_err(Error::internal)?;
                Ok(
                    session_fields::decode(id, &fields)
                        .map_or(Rotation::Missing, Rotation::Rotated),
                )
            }
        }
    }

    async fn delete(&self, id: &str) -> Result<bool, Error> {
        let key = self.session_key(id);
        let deleted: u32 = self
            .conn
            .call(|mut con| async move { redis::cmd("DEL").arg(key).query_async(&mut con).await })
            .await?;
        Ok(deleted > 0)
    }

    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<Session>, Error> {
        let user_key = self.user_key(user_id);
        let ids = self.members(&user_key).await?;
        let sessions = self.sessions_of(&user_key, ids).await?;
        Ok(sessions
            .into_iter()
            .filter(|s| s.user_id == user_id)
            .collect())
    }

    async fn delete_for_user(&self, user_id: Uuid, keep: Option<&str>) -> Result<(), Error> {
        let user_key = self.user_key(user_id);
        let ids = self.members(&user_key).await?;
        let doomed: Vec<String> = ids
            .into_iter()
            .filter(|id| Some(id.as_str()) != keep)
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in &doomed {
            pipe.cmd("DEL").arg(self.session_key(id)).ignore();
        }
        pipe.cmd("SREM").arg(user_key).arg(doomed).ignore();
        self.conn
            .call(|mut con| async move { pipe.exec_async(&mut con).await })
            .await
    }

    async fn record_failure(&self, key: &str, window: Duration) -> Result<Failures, Error> {
        let key = self.failures_key(key);
        let (count, ttl): (u32, i64) = self
            .conn
            .call(|mut con| async move {
                RECORD_FAILURE
                    .key(key)
                    .arg(ttl_secs(window))
                    .invoke_async(&mut con)
                    .await
            })
            .await?;
        Ok(failures(count, ttl))
    }

    async fn failures(&self, key: &str) -> Result<Failures, Error> {
        let key = self.failures_key(key);
        let (count, ttl): (Option<u32>, i64) = self
            .conn
            .call(|mut con| async move {
                redis::pipe()
                    .cmd("GET")
                    .arg(&key)
                    .cmd("TTL")
                    .arg(&key)
                    .query_async(&mut con)
                    .await
            })
            .await?;
        Ok(failures(count.unwrap_or(0), ttl))
    }

    async fn clear_failures(&self, key: &str) -> Result<(), Error> {
        let key = self.failures_key(key);
        self.conn
            .call(|mut con| async move { redis::cmd("DEL").arg(key).exec_async(&mut con).await })
            .await
    }

    async fn ping(&self) -> Result<(), Error> {
        self.conn
            .call(|mut con| async move { redis::cmd("PING").exec_async(&mut con).await })
            .await
    }
}

fn failures(count: u32, ttl: i64) -> Failures {
    Failures {
        count,
        resets_in_secs: u64::try_from(ttl).unwrap_or(0),
    }
}
