//! Sessions in Redis: `session:<sid>` hashes and the `user-sessions:<uid>` sorted set.

use std::collections::HashMap;
use std::sync::LazyLock;

use redis::{Script, Value};
use uuid::Uuid;

use super::RedisStore;
use super::users::decode_state;
use crate::error::Error;
use crate::session::{Rotation, Session, SessionCreated, UserState};
use crate::session_fields;

/// KEYS: session, user-sessions, user-state. ARGV: epoch, ttl, max, score (µs), session-key
/// namespace, sid, field/value pairs… Returns -1 if stale, else the evicted ids.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local st = redis.call('HMGET', KEYS[3], 'epoch', 'disabled', 'role')
          if not st[1] or not st[3] or st[1] ~= ARGV[1] or st[2] ~= '0' then return -1 end
          local fields = {}
          for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
          redis.call('HSET', KEYS[1], unpack(fields))
          redis.call('EXPIRE', KEYS[1], ARGV[2])
          local score = tonumber(ARGV[4])
          local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
          if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 1 end
          redis.call('ZADD', KEYS[2], score, ARGV[6])
          local max = tonumber(ARGV[3])
          local evicted = {}
          if redis.call('ZCARD', KEYS[2]) > max then
            for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
              if redis.call('EXISTS', ARGV[5] .. id) == 0 then redis.call('ZREM', KEYS[2], id) end
            end
            while redis.call('ZCARD', KEYS[2]) > max do
              local oldest = redis.call('ZPOPMIN', KEYS[2])
              redis.call('DEL', ARGV[5] .. oldest[1])
              evicted[#evicted + 1] = oldest[1]
            end
          end
          return evicted",
    )
});

/// KEYS: session. ARGV: user-state namespace. Returns {session fields, state fields}.
static GET_WITH_STATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local s = redis.call('HGETALL', KEYS[1])
          local uid = redis.call('HGET', KEYS[1], 'user_id')
          local st = {}
          if uid then st = redis.call('HGETALL', ARGV[1] .. uid) end
          return {s, st}",
    )
});

/// Sets `last_seen` only if the session still exists.
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then
            redis.call('HSET', KEYS[1], 'last_seen', ARGV[1])
          end
          return 0",
    )
});

/// Refresh-token compare-and-swap. ARGV: expected, new hash, now, user-sessions namespace,
/// sid. Returns 0 = missing, 2 = reused (session deleted), else the fields after rotation.
static ROTATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local h = redis.call('HGET', KEYS[1], 'refresh_hash')
          if not h then return 0 end
          if h ~= ARGV[1] then
            local uid = redis.call('HGET', KEYS[1], 'user_id')
            redis.call('DEL', KEYS[1])
            if uid then redis.call('ZREM', ARGV[4] .. uid, ARGV[5]) end
            return 2
          end
          redis.call('HSET', KEYS[1], 'refresh_hash', ARGV[2], 'last_seen', ARGV[3])
          local ttl = tonumber(redis.call('HGET', KEYS[1], 'ttl') or '0')
          if ttl and ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
          return redis.call('HGETALL', KEYS[1])",
    )
});

/// Deletes a session and its entry in the user's set. ARGV: user-sessions namespace, sid.
static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local uid = redis.call('HGET', KEYS[1], 'user_id')
          local n = redis.call('DEL', KEYS[1])
          if uid then redis.call('ZREM', ARGV[1] .. uid, ARGV[2]) end
          return n",
    )
});

/// KEYS: user-state, user-sessions. ARGV: session namespace, sid to keep (or '').
/// Moves the epoch on, deletes the other sessions, re-stamps the kept one if it was current.
static END_SESSIONS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
          for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
            local key = ARGV[1] .. id
            if id == ARGV[2] then
              if redis.call('HGET', key, 'epoch') == tostring(epoch - 1) then
                redis.call('HSET', key, 'epoch', epoch)
              end
            else
              redis.call('DEL', key)
              redis.call('ZREM', KEYS[2], id)
            end
          end
          return epoch",
    )
});

/// Client clock in microseconds: the order of a user's sessions (the script keeps it strict).
fn micros_now() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(0)
}

impl RedisStore {
    pub(super) async fn create_session(
        &self,
        session: &Session,
        max: u32,
    ) -> Result<SessionCreated, Error> {
        let mut inv = CREATE.prepare_invoke();
        inv.key(self.key("session", &session.id))
            .key(self.key("user-sessions", session.user_id))
            .key(self.key("user-state", session.user_id))
            .arg(session.epoch)
            .arg(session.ttl_secs.max(1))
            .arg(max.max(1))
            .arg(micros_now())
            .arg(self.ns("session"))
            .arg(&session.id);
        for (field, value) in session_fields::encode(session) {
            inv.arg(field).arg(value);
        }
        match self.script::<Value>(inv).await? {
            Value::Int(_) => Ok(SessionCreated::Stale),
            other => {
                let evicted: Vec<String> =
                    redis::from_redis_value(other).map_err(Error::internal)?;
                Ok(SessionCreated::Created { evicted })
            }
        }
    }

    pub(super) async fn get_session(&self, id: &str) -> Result<Option<Session>, Error> {
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(self.key("session", id));
        let fields: HashMap<String, String> = self.cmd(cmd).await?;
        Ok(session_fields::decode(id, &fields))
    }

    pub(super) async fn get_session_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<Session>, Option<UserState>), Error> {
        let mut inv = GET_WITH_STATE.prepare_invoke();
        inv.key(self.key("session", id)).arg(self.ns("user-state"));
        let (session, state): (HashMap<String, String>, HashMap<String, String>) =
            self.script(inv).await?;
        Ok((session_fields::decode(id, &session), decode_state(&state)))
    }

    pub(super) async fn touch_session(&self, id: &str, now: i64) -> Result<(), Error> {
        let mut inv = TOUCH.prepare_invoke();
        inv.key(self.key("session", id)).arg(now);
        self.script(inv).await
    }

    pub(super) async fn rotate_session(
        &self,
        id: &str,
        expected: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<Rotation, Error> {
        let mut inv = ROTATE.prepare_invoke();
        inv.key(self.key("session", id))
            .arg(expected)
            .arg(new_hash)
            .arg(now)
            .arg(self.ns("user-sessions"))
            .arg(id);
        match self.script::<Value>(inv).await? {
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

    pub(super) async fn delete_session(&self, id: &str) -> Result<bool, Error> {
        let mut inv = DELETE.prepare_invoke();
        inv.key(self.key("session", id))
            .arg(self.ns("user-sessions"))
            .arg(id);
        let deleted: u32 = self.script(inv).await?;
        Ok(deleted > 0)
    }

    /// Live sessions of the user; ids of sessions that are gone are removed from the set.
    pub(super) async fn sessions_of(&self, user_id: Uuid) -> Result<Vec<Session>, Error> {
        let user_key = self.key("user-sessions", user_id);
        let mut range = redis::cmd("ZRANGE");
        range.arg(&user_key).arg(0).arg(-1);
        let ids: Vec<String> = self.cmd(range).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HGETALL").arg(self.key("session", id));
        }
        let maps: Vec<HashMap<String, String>> = self.pipe(pipe).await?;
        let mut sessions = Vec::new();
        let mut gone = Vec::new();
        for (id, fields) in ids.into_iter().zip(maps) {
            match session_fields::decode(&id, &fields) {
                Some(s) if s.user_id == user_id => sessions.push(s),
                _ => gone.push(id),
            }
        }
        if !gone.is_empty() {
            let mut zrem = redis::cmd("ZREM");
            zrem.arg(user_key).arg(gone);
            self.cmd::<()>(zrem).await?;
        }
        Ok(sessions)
    }

    pub(super) async fn end_sessions_of(
        &self,
        user_id: Uuid,
        keep: Option<&str>,
    ) -> Result<u64, Error> {
        let mut inv = END_SESSIONS.prepare_invoke();
        inv.key(self.key("user-state", user_id))
            .key(self.key("user-sessions", user_id))
            .arg(self.ns("session"))
            .arg(keep.unwrap_or(""));
        self.script(inv).await
    }
}
