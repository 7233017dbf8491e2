//! Per-user state in Redis: `user-state:<uid>` hash {epoch, role, disabled ("0"/"1")}.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use uuid::Uuid;

use super::{RedisStore, secs};
use crate::error::Error;
use crate::model::Role;
use crate::session::UserState;

/// Fills in absent fields only (HSETNX), then returns the hash.
static INIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
          redis.call('HSETNX', KEYS[1], 'role', ARGV[2])
          redis.call('HSETNX', KEYS[1], 'disabled', ARGV[3])
          return redis.call('HGETALL', KEYS[1])",
    )
});

/// KEYS: user-state, user-sessions, user-tokens. ARGV: session namespace, token namespace,
/// seconds until the state is forgotten (0: kept). Disables, moves the epoch on, and deletes
/// every session and token of the user.
static END_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('HINCRBY', KEYS[1], 'epoch', 1)
          redis.call('HSET', KEYS[1], 'disabled', '1')
          for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
            redis.call('DEL', ARGV[1] .. id)
          end
          redis.call('DEL', KEYS[2])
          for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
            redis.call('DEL', ARGV[2] .. id)
          end
          redis.call('DEL', KEYS[3])
          if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
          return 0",
    )
});

/// `None` unless every field is present and valid.
pub(super) fn decode_state(f: &HashMap<String, String>) -> Option<UserState> {
    Some(UserState {
        epoch: f.get("epoch")?.parse().ok()?,
        role: Role::from_name(f.get("role")?)?,
        disabled: match f.get("disabled")?.as_str() {
            "0" => false,
            "1" => true,
            _ => return None,
        },
    })
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

impl RedisStore {
    pub(super) async fn get_user_state(&self, user_id: Uuid) -> Result<Option<UserState>, Error> {
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(self.key("user-state", user_id));
        let fields: HashMap<String, String> = self.cmd(cmd).await?;
        Ok(decode_state(&fields))
    }

    pub(super) async fn init_state(
        &self,
        user_id: Uuid,
        from: &UserState,
    ) -> Result<UserState, Error> {
        let mut inv = INIT.prepare_invoke();
        inv.key(self.key("user-state", user_id))
            .arg(from.epoch)
            .arg(from.role.as_str())
            .arg(flag(from.disabled));
        let fields: HashMap<String, String> = self.script(inv).await?;
        decode_state(&fields).ok_or_else(|| Error::internal("malformed user state in Redis"))
    }

    pub(super) async fn set_user_role(&self, user_id: Uuid, role: Role) -> Result<(), Error> {
        let mut cmd = redis::cmd("HSET");
        cmd.arg(self.key("user-state", user_id))
            .arg("role")
            .arg(role.as_str());
        self.cmd(cmd).await
    }

    pub(super) async fn set_user_disabled(
        &self,
        user_id: Uuid,
        disabled: bool,
    ) -> Result<(), Error> {
        if disabled {
            return self.end_user(user_id, None).await;
        }
        let mut cmd = redis::cmd("HSET");
        cmd.arg(self.key("user-state", user_id))
            .arg("disabled")
            .arg(flag(false));
        self.cmd(cmd).await
    }

    pub(super) async fn end_user(
        &self,
        user_id: Uuid,
        forget_after: Option<Duration>,
    ) -> Result<(), Error> {
        let mut inv = END_USER.prepare_invoke();
        inv.key(self.key("user-state", user_id))
            .key(self.key("user-sessions", user_id))
            .key(self.key("user-tokens", user_id))
            .arg(self.ns("session"))
            .arg(self.ns("token"))
            .arg(forget_after.map_or(0, secs));
        self.script(inv).await
    }
}
