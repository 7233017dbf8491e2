//! Invitations in Redis: `invitation:<code>` (JSON, expiring with the invitation) and the
//! `invitations` sorted set of codes by creation time.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::RedisStore;
use crate::error::Error;
use crate::invitation::Invitation;

#[derive(Serialize, Deserialize)]
struct Stored {
    created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

fn decode(code: &str, json: &str) -> Option<Invitation> {
    let s: Stored = serde_json::from_str(json).ok()?;
    (s.expires_at > OffsetDateTime::now_utc()).then(|| Invitation {
        code: code.to_owned(),
        created_by: s.created_by,
        created_at: s.created_at,
        expires_at: s.expires_at,
    })
}

impl RedisStore {
    fn index_key(&self) -> String {
        format!("{}invitations", self.prefix)
    }

    pub(super) async fn store_invitation(&self, i: &Invitation) -> Result<(), Error> {
        let left = (i.expires_at - OffsetDateTime::now_utc()).whole_milliseconds();
        let Ok(left_ms) = u64::try_from(left) else {
            return Ok(()); // already expired: nothing to keep
        };
        let json = serde_json::to_string(&Stored {
            created_by: i.created_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
        })
        .map_err(Error::internal)?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(self.key("invitation", &i.code))
            .arg(json)
            .arg("PX")
            .arg(left_ms.max(1))
            .ignore()
            .cmd("ZADD")
            .arg(self.index_key())
            .arg(i.created_at.unix_timestamp())
            .arg(&i.code)
            .ignore();
        self.pipe(pipe).await
    }

    pub(super) async fn get_invitation(&self, code: &str) -> Result<Option<Invitation>, Error> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key("invitation", code));
        let json: Option<String> = self.cmd(cmd).await?;
        Ok(json.and_then(|j| decode(code, &j)))
    }

    pub(super) async fn consume_invitation(&self, code: &str) -> Result<Option<Invitation>, Error> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("GETDEL")
            .arg(self.key("invitation", code))
            .cmd("ZREM")
            .arg(self.index_key())
            .arg(code)
            .ignore();
        let (json,): (Option<String>,) = self.pipe(pipe).await?;
        Ok(json.and_then(|j| decode(code, &j)))
    }

    /// Every live invitation; codes whose key is gone are dropped from the index.
    pub(super) async fn live_invitations(&self) -> Result<Vec<Invitation>, Error> {
        let mut range = redis::cmd("ZRANGE");
        range.arg(self.index_key()).arg(0).arg(-1);
        let codes: Vec<String> = self.cmd(range).await?;
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut mget = redis::cmd("MGET");
        for code in &codes {
            mget.arg(self.key("invitation", code));
        }
        let values: Vec<Option<String>> = self.cmd(mget).await?;
        let mut live = Vec::new();
        let mut gone = Vec::new();
        for (code, json) in codes.into_iter().zip(values) {
            match json.and_then(|j| decode(&code, &j)) {
                Some(i) => live.push(i),
                None => gone.push(code),
            }
        }
        if !gone.is_empty() {
            let mut zrem = redis::cmd("ZREM");
            zrem.arg(self.index_key()).arg(gone);
            self.cmd::<()>(zrem).await?;
        }
        Ok(live)
    }

    pub(super) async fn remove_invitation(&self, code: &str) -> Result<bool, Error> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("DEL")
            .arg(self.key("invitation", code))
            .cmd("ZREM")
            .arg(self.index_key())
            .arg(code)
            .ignore();
        let (deleted,): (u32,) = self.pipe(pipe).await?;
        Ok(deleted > 0)
    }
}
