//! Throttle counters in Redis: `throttle:<counter>` hashes {n, last (ms, Redis clock)}.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::RedisStore;
use crate::error::Error;
use crate::store::{Counter, Reservation};

/// KEYS: the counters. ARGV: window (ms), then per counter: free, max delay (ms), gate (1-based
/// index of the counter that must be > 0 for the delay to apply; 0: none). Same policy as
/// `throttle::delay_ms`. Returns 0 if reserved (all charged), else the ms to wait.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local n, last = {}, {}
          for i, key in ipairs(KEYS) do
            local v = redis.call('HMGET', key, 'n', 'last')
            n[i] = tonumber(v[1]) or 0
            last[i] = tonumber(v[2]) or 0
          end
          local wait = 0
          for i = 1, #KEYS do
            local base = 1 + (i - 1) * 3
            local free = tonumber(ARGV[base + 1])
            local cap = tonumber(ARGV[base + 2])
            local gate = tonumber(ARGV[base + 3])
            if n[i] >= free and (gate == 0 or n[gate] > 0) then
              local delay = math.min(1000 * 2 ^ math.min(n[i] - free, 40), cap)
              local left = delay - (now - last[i])
              if left > wait then wait = left end
            end
          end
          if wait > 0 then return math.ceil(wait) end
          for i, key in ipairs(KEYS) do
            redis.call('HSET', key, 'n', n[i] + 1, 'last', now)
            redis.call('PEXPIRE', key, ARGV[1])
          end
          return 0",
    )
});

/// KEYS: counters to clear, then counters to give one attempt back. ARGV: how many to clear.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local clear = tonumber(ARGV[1])
          for i, key in ipairs(KEYS) do
            if i <= clear then
              redis.call('DEL', key)
            else
              local n = tonumber(redis.call('HGET', key, 'n'))
              if n then
                if n <= 1 then redis.call('DEL', key) else redis.call('HSET', key, 'n', n - 1) end
              end
            end
          end
          return 0",
    )
});

impl RedisStore {
    pub(super) async fn reserve_attempt(
        &self,
        counters: &[Counter],
        window: Duration,
    ) -> Result<Reservation, Error> {
        let mut inv = RESERVE.prepare_invoke();
        inv.arg(u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1));
        for c in counters {
            inv.key(self.key("throttle", &c.key))
                .arg(c.free)
                .arg(c.max_delay_secs.saturating_mul(1000))
                .arg(c.gated_by.map_or(0, |g| g + 1));
        }
        let wait_ms: u64 = self.script(inv).await?;
        if wait_ms == 0 {
            return Ok(Reservation::Reserved);
        }
        Ok(Reservation::Refused {
            retry_after_secs: wait_ms.div_ceil(1000).max(1),
        })
    }

    pub(super) async fn release_attempt(
        &self,
        clear: &[String],
        give_back: &[String],
    ) -> Result<(), Error> {
        let mut inv = RELEASE.prepare_invoke();
        inv.arg(clear.len());
        for key in clear.iter().chain(give_back) {
            inv.key(self.key("throttle", key));
        }
        self.script(inv).await
    }
}
