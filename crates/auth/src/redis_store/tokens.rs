//! API tokens in Redis: `token:<id>` hashes and the `user-tokens:<uid>` set.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use uuid::Uuid;

use super::users::decode_state;
use super::{RedisStore, secs};
use crate::error::Error;
use crate::scope::Scope;
use crate::session::UserState;
use crate::store::StoredToken;

/// KEYS: token, user-tokens. ARGV: token namespace, max, now, seconds to keep (0: until
/// revoked), id, field/value pairs… Counts the user's unexpired tokens (dropping ids of deleted
/// ones from the set); 0 if the limit is reached, else stores the token and returns 1.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local live = 0
          local now = tonumber(ARGV[3])
          for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
            local t = redis.call('HMGET', ARGV[1] .. id, 'user_id', 'expires_at')
            if not t[1] then
              redis.call('SREM', KEYS[2], id)
            elseif not t[2] or tonumber(t[2]) > now then
              live = live + 1
            end
          end
          if live >= tonumber(ARGV[2]) then return 0 end
          local fields = {}
          for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
          redis.call('HSET', KEYS[1], unpack(fields))
          if tonumber(ARGV[4]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
          redis.call('SADD', KEYS[2], ARGV[5])
          return 1",
    )
});

/// KEYS: token. ARGV: user-state namespace. Returns {token fields, state fields}.
static GET_WITH_STATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local t = redis.call('HGETALL', KEYS[1])
          local uid = redis.call('HGET', KEYS[1], 'user_id')
          local st = {}
          if uid then st = redis.call('HGETALL', ARGV[1] .. uid) end
          return {t, st}",
    )
});

static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then
            redis.call('HSET', KEYS[1], 'last_used', ARGV[1])
          end
          return 0",
    )
});

/// KEYS: token, user-tokens. ARGV: user id, token id. 1 if deleted, 0 if not the user's.
static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return 0 end
          redis.call('DEL', KEYS[1])
          redis.call('SREM', KEYS[2], ARGV[2])
          return 1",
    )
});

fn encode(t: &StoredToken) -> Vec<(&'static str, String)> {
    let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
    let mut fields = vec![
        ("user_id", t.user_id.to_string()),
        ("name", t.name.clone()),
        ("scopes", scopes.join(",")),
        ("secret_hash", t.secret_hash.clone()),
        ("created_at", t.created_at.to_string()),
    ];
    if let Some(used) = t.last_used {
        fields.push(("last_used", used.to_string()));
    }
    if let Some(exp) = t.expires_at {
        fields.push(("expires_at", exp.to_string()));
    }
    fields
}

/// `None` when the hash is empty or malformed: such a token is not accepted.
fn decode(id: &str, f: &HashMap<String, String>) -> Option<StoredToken> {
    let scopes = f
        .get("scopes")?
        .split(',')
        .map(|s| s.parse::<Scope>().ok())
        .collect::<Option<Vec<_>>>()?;
    let number = |key: &str| f.get(key).map(|v| v.parse::<i64>().ok());
    Some(StoredToken {
        id: id.to_owned(),
        user_id: f.get("user_id")?.parse().ok()?,
        name: f.get("name")?.clone(),
        scopes,
        secret_hash: f.get("secret_hash")?.clone(),
        created_at: number("created_at")??,
        last_used: number("last_used").map_or(Some(None), |v| v.map(Some))?,
        expires_at: number("expires_at").map_or(Some(None), |v| v.map(Some))?,
    })
}

impl RedisStore {
    pub(super) async fn put_token(
        &self,
        token: &StoredToken,
        max: u32,
        now: i64,
        keep_for: Option<Duration>,
    ) -> Result<bool, Error> {
        let mut inv = CREATE.prepare_invoke();
        inv.key(self.key("token", &token.id))
            .key(self.key("user-tokens", token.user_id))
            .arg(self.ns("token"))
            .arg(max)
            .arg(now)
            .arg(keep_for.map_or(0, secs))
            .arg(&token.id);
        for (field, value) in encode(token) {
            inv.arg(field).arg(value);
        }
        let stored: u32 = self.script(inv).await?;
        Ok(stored == 1)
    }

    pub(super) async fn get_token_with_state(
        &self,
        id: &str,
    ) -> Result<(Option<StoredToken>, Option<UserState>), Error> {
        let mut inv = GET_WITH_STATE.prepare_invoke();
        inv.key(self.key("token", id)).arg(self.ns("user-state"));
        let (token, state): (HashMap<String, String>, HashMap<String, String>) =
            self.script(inv).await?;
        Ok((decode(id, &token), decode_state(&state)))
    }

    pub(super) async fn touch_token_used(&self, id: &str, now: i64) -> Result<(), Error> {
        let mut inv = TOUCH.prepare_invoke();
        inv.key(self.key("token", id)).arg(now);
        self.script(inv).await
    }

    pub(super) async fn tokens_of(&self, user_id: Uuid) -> Result<Vec<StoredToken>, Error> {
        let set = self.key("user-tokens", user_id);
        let mut members = redis::cmd("SMEMBERS");
        members.arg(&set);
        let ids: Vec<String> = self.cmd(members).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HGETALL").arg(self.key("token", id));
        }
        let maps: Vec<HashMap<String, String>> = self.pipe(pipe).await?;
        let mut tokens = Vec::new();
        let mut gone = Vec::new();
        for (id, fields) in ids.into_iter().zip(maps) {
            match decode(&id, &fields) {
                Some(t) if t.user_id == user_id => tokens.push(t),
                _ => gone.push(id),
            }
        }
        if !gone.is_empty() {
            let mut srem = redis::cmd("SREM");
            srem.arg(set).arg(gone);
            self.cmd::<()>(srem).await?;
        }
        Ok(tokens)
    }

    pub(super) async fn remove_token(&self, user_id: Uuid, id: &str) -> Result<bool, Error> {
        let mut inv = DELETE.prepare_invoke();
        inv.key(self.key("token", id))
            .key(self.key("user-tokens", user_id))
            .arg(user_id.to_string())
            .arg(id);
        let deleted: u32 = self.script(inv).await?;
        Ok(deleted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_survives_encoding_and_decoding() {
        for (last_used, expires_at) in [(None, None), (Some(5), Some(9))] {
            let t = StoredToken {
                id: "ab".into(),
                user_id: Uuid::new_v4(),
                name: "ci, deploy".into(),
                scopes: vec![Scope::Read, Scope::Upload],
                secret_hash: "ff".into(),
                created_at: 1,
                last_used,
                expires_at,
            };
            let map = encode(&t)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            assert_eq!(decode("ab", &map), Some(t));
        }
        assert_eq!(decode("ab", &HashMap::new()), None);
    }
}
