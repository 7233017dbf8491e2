//! The queue in Redis (see the parent module for the keys).
//!
//! Leases: every instance has an id (a UUID). [`RedisQueue::claim`] runs one script over all
//! the lease keys: a lease that is this instance's is extended (`PEXPIRE`), a free one is taken
//! (`SET NX PX`); the lease task calls it every third of the lease. Locally a lease counts as
//! held until a sixth of the lease before it would lapse, counted from when the claim was
//! sent. Acknowledging and dead-lettering are scripts that do nothing unless the lease is
//! still this instance's, so an instance that lost its queue can never remove what the new
//! holder is working on. Replaying a dead letter is one script (delete the letter, append the
//! entry). Keys derived inside scripts assume a single Redis (no cluster).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use auth::LazyConnection;
use redis::{FromRedisValue, Script, ScriptInvocation};

use super::{AppendError, Pos, Slot, redis_unavailable};
use crate::entry::QueueEntry;
use crate::{DeadLetter, Error};

/// KEYS: the lease keys. ARGV: instance id, lease (ms). Returns 1/0 per key: held or not.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local out = {}
          for i, k in ipairs(KEYS) do
            local v = redis.call('GET', k)
            if v == ARGV[1] then
              redis.call('PEXPIRE', k, ARGV[2])
              out[i] = 1
            elseif redis.call('SET', k, ARGV[1], 'NX', 'PX', ARGV[2]) then
              out[i] = 1
            else
              out[i] = 0
            end
          end
          return out",
    )
});

/// KEYS: the lease keys. ARGV: instance id. Deletes those that are this instance's.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"for _, k in ipairs(KEYS) do
            if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end
          end
          return 0",
    )
});

/// KEYS: lease, queue. ARGV: instance id, entry id. 1: removed (or already gone); 0: the
/// lease is not ours.
static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
          redis.call('XDEL', KEYS[2], ARGV[2])
          return 1",
    )
});

/// KEYS: lease, queue, dead. ARGV: instance id, entry id, dead letter JSON. As ACK, and the
/// letter is added when the entry was still there.
static BURY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
          if redis.call('XDEL', KEYS[2], ARGV[2]) == 1 then
            redis.call('XADD', KEYS[3], '*', 'm', ARGV[3])
          end
          return 1",
    )
});

/// KEYS: dead, queue. ARGV: dead letter id, entry JSON. 1: moved; 0: no such letter.
static RESURRECT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
          redis.call('XADD', KEYS[2], '*', 'm', ARGV[2])
          return 1",
    )
});

/// Stream entries as XRANGE answers them: id and flat field/value list.
type StreamEntries = Vec<(String, Vec<String>)>;

pub(crate) struct RedisQueue {
    conn: Arc<LazyConnection>,
    prefix: String,
    instance: String,
    lease: Duration,
    /// Every (target, shard) this instance works on, with its lease key.
    leases: Vec<(String, u16, String)>,
    /// (target, shard) → until when this instance may deliver it.
    held: Mutex<HashMap<(String, u16), Instant>>,
}

impl RedisQueue {
    pub(crate) fn new(
        conn: Arc<LazyConnection>,
        prefix: String,
        instance: String,
        lease: Duration,
        targets: &[String],
        shards: u16,
    ) -> Self {
        let mut queue = Self {
            conn,
            prefix,
            instance,
            lease,
            leases: Vec::new(),
            held: Mutex::new(HashMap::new()),
        };
        for target in targets {
            for shard in 0..shards {
                let key = queue.key("lease", target, shard);
                queue.leases.push((target.clone(), shard, key));
            }
        }
        queue
    }

    fn key(&self, kind: &str, target: &str, shard: u16) -> String {
        format!("{}notify:{kind}:{target}:{shard}", self.prefix)
    }

    fn dead_key(&self) -> String {
        format!("{}notify:dead", self.prefix)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u16), Instant>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn script<T: FromRedisValue + Send>(
        &self,
        invocation: ScriptInvocation<'static>,
    ) -> Result<T, Error> {
        self.conn
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await
            .map_err(redis_unavailable)
    }

    async fn cmd<T: FromRedisValue + Send>(&self, cmd: redis::Cmd) -> Result<T, Error> {
        self.conn
            .call(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
            .map_err(redis_unavailable)
    }

    pub(crate) async fn append(&self, entries: &[QueueEntry]) -> Result<(), AppendError> {
        let mut pipe = redis::pipe();
        for entry in entries {
            let json = entry
                .to_json()
                .map_err(|source| AppendError { written: 0, source })?;
            pipe.cmd("XADD")
                .arg(self.key("q", &entry.target, entry.shard))
                .arg("*")
                .arg("m")
                .arg(json)
                .ignore();
        }
        self.conn
            .call(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await
            .map_err(|e| AppendError {
                written: 0,
                source: redis_unavailable(e),
            })
    }

    /// Takes or extends every lease it can. Answers the (target, shard)s that were not held
    /// before and are now. On an error the leases keep their local expiry.
    pub(crate) async fn claim(&self) -> Result<Vec<(String, u16)>, Error> {
        if self.leases.is_empty() {
            return Ok(Vec::new());
        }
        let sent = Instant::now();
        let mut inv = CLAIM.prepare_invoke();
        for (_, _, key) in &self.leases {
            inv.key(key);
        }
        inv.arg(&self.instance).arg(millis(self.lease));
        let held: Vec<i64> = self.script(inv).await?;
        let until = sent + self.lease - self.lease / 6;
        let mut map = self.lock();
        let mut gained = Vec::new();
        for ((target, shard, _), held) in self.leases.iter().zip(held) {
            let id = (target.clone(), *shard);
            if held == 1 {
                let was = map.insert(id.clone(), until);
                if was.is_none_or(|t| t <= sent) {
                    gained.push(id);
                }
            } else {
                map.remove(&id);
            }
        }
        Ok(gained)
    }

    /// Gives up every lease this instance holds.
    pub(crate) async fn release(&self) -> Result<(), Error> {
        self.lock().clear();
        if self.leases.is_empty() {
            return Ok(());
        }
        let mut inv = RELEASE.prepare_invoke();
        for (_, _, key) in &self.leases {
            inv.key(key);
        }
        inv.arg(&self.instance);
        self.script::<i64>(inv).await.map(drop)
    }

    pub(crate) fn holds(&self, target: &str, shard: u16) -> bool {
        self.lock()
            .get(&(target.to_owned(), shard))
            .is_some_and(|until| Instant::now() < *until)
    }

    /// Forgets a lease locally (a script found it is not ours any more).
    fn lost(&self, target: &str, shard: u16) {
        self.lock().remove(&(target.to_owned(), shard));
    }

    pub(crate) async fn head(
        &self,
        target: &str,
        shard: u16,
        count: usize,
    ) -> Result<Vec<Slot>, Error> {
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(self.key("q", target, shard))
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count);
        let entries: StreamEntries = self.cmd(cmd).await?;
        Ok(entries
            .into_iter()
            .map(|(id, fields)| Slot {
                entry: field_m(&fields).and_then(|m| serde_json::from_str(m).ok()),
                pos: Pos::Stream(id),
            })
            .collect())
    }

    pub(crate) async fn ack(&self, target: &str, shard: u16, pos: &Pos) -> Result<bool, Error> {
        let mut inv = ACK.prepare_invoke();
        inv.key(self.key("lease", target, shard))
            .key(self.key("q", target, shard))
            .arg(&self.instance)
            .arg(stream_id(pos));
        let done: i64 = self.script(inv).await?;
        if done == 0 {
            self.lost(target, shard);
        }
        Ok(done == 1)
    }

    pub(crate) async fn bury(
        &self,
        target: &str,
        shard: u16,
        pos: &Pos,
        dead: &DeadLetter,
    ) -> Result<bool, Error> {
        let json = serde_json::to_string(dead).map_err(|e| Error::Internal(e.into()))?;
        let mut inv = BURY.prepare_invoke();
        inv.key(self.key("lease", target, shard))
            .key(self.key("q", target, shard))
            .key(self.dead_key())
            .arg(&self.instance)
            .arg(stream_id(pos))
            .arg(json);
        let done: i64 = self.script(inv).await?;
        if done == 0 {
            self.lost(target, shard);
        }
        Ok(done == 1)
    }

    pub(crate) async fn depth(&self, target: &str) -> Result<u64, Error> {
        let mut pipe = redis::pipe();
        for (t, shard, _) in &self.leases {
            if t == target {
                pipe.cmd("XLEN").arg(self.key("q", t, *shard));
            }
        }
        let lengths: Vec<u64> = self
            .conn
            .call(|mut conn| async move { pipe.query_async(&mut conn).await })
            .await
            .map_err(redis_unavailable)?;
        Ok(lengths.into_iter().sum())
    }

    pub(crate) async fn dead_batch(
        &self,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<(String, Option<DeadLetter>)>, Error> {
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(self.dead_key())
            .arg(after.map_or_else(|| "-".to_owned(), |a| format!("({a}")))
            .arg("+")
            .arg("COUNT")
            .arg(count);
        let entries: StreamEntries = self.cmd(cmd).await?;
        Ok(entries.into_iter().map(dead_letter).collect())
    }

    pub(crate) async fn dead_last(&self) -> Result<Option<String>, Error> {
        let mut cmd = redis::cmd("XREVRANGE");
        cmd.arg(self.dead_key())
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        let entries: StreamEntries = self.cmd(cmd).await?;
        Ok(entries.into_iter().next().map(|(id, _)| id))
    }

    pub(crate) async fn dead_get(&self, id: &str) -> Result<Option<DeadLetter>, Error> {
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(self.dead_key()).arg(id).arg(id);
        let entries: StreamEntries = self.cmd(cmd).await?;
        match entries.into_iter().next().map(dead_letter) {
            Some((_, Some(letter))) => Ok(Some(letter)),
            Some((id, None)) => {
                tracing::warn!(dead_letter = %id, "notify: a dead letter does not parse; left as it is");
                Ok(None)
            }
            None => Ok(None),
        }
    }

    pub(crate) async fn resurrect(&self, id: &str, entry: &QueueEntry) -> Result<bool, Error> {
        let mut inv = RESURRECT.prepare_invoke();
        inv.key(self.dead_key())
            .key(self.key("q", &entry.target, entry.shard))
            .arg(id)
            .arg(entry.to_json()?);
        let done: i64 = self.script(inv).await?;
        Ok(done == 1)
    }
}

/// The value of field `m` of a stream entry.
fn field_m(fields: &[String]) -> Option<&str> {
    fields
        .chunks(2)
        .find(|pair| pair.first().is_some_and(|f| f == "m"))
        .and_then(|pair| pair.get(1))
        .map(String::as_str)
}

/// A dead-letter stream entry: its id and the letter (with that id), `None` if it does not
/// parse.
fn dead_letter((id, fields): (String, Vec<String>)) -> (String, Option<DeadLetter>) {
    let letter = field_m(&fields)
        .and_then(|m| serde_json::from_str::<DeadLetter>(m).ok())
        .map(|mut letter| {
            letter.id.clone_from(&id);
            letter
        });
    (id, letter)
}

fn stream_id(pos: &Pos) -> &str {
    match pos {
        Pos::Stream(id) => id,
        Pos::File { .. } => "",
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
