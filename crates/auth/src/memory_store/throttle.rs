//! Throttle counters in memory (same policy as the Redis script).

use std::time::{Duration, Instant};

use super::Inner;
use crate::store::{Counter, Reservation};
use crate::throttle::delay_ms;

#[derive(Debug, Clone, Copy)]
pub(super) struct CounterState {
    pub n: u32,
    pub last: Instant,
    pub expires: Instant,
}

impl Inner {
    pub(super) fn reserve(
        &mut self,
        counters: &[Counter],
        window: Duration,
        now: Instant,
    ) -> Reservation {
        let states: Vec<Option<CounterState>> = counters
            .iter()
            .map(|c| {
                self.counters
                    .get(&c.key)
                    .copied()
                    .filter(|s| s.expires > now)
            })
            .collect();
        let count = |i: usize| states.get(i).copied().flatten().map_or(0, |s| s.n);
        let mut wait = Duration::ZERO;
        for (i, c) in counters.iter().enumerate() {
            let Some(state) = states[i] else { continue };
            if c.gated_by.is_some_and(|g| count(g) == 0) {
                continue;
            }
            let delay = Duration::from_millis(delay_ms(state.n, c.free, c.max_delay_secs));
            wait = wait.max(delay.saturating_sub(now.duration_since(state.last)));
        }
        if !wait.is_zero() {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Reservation::Refused {
                retry_after_secs: secs.max(1),
            };
        }
        for (i, c) in counters.iter().enumerate() {
            self.counters.insert(
                c.key.clone(),
                CounterState {
                    n: count(i).saturating_add(1),
                    last: now,
                    expires: now + window,
                },
            );
        }
        Reservation::Reserved
    }

    pub(super) fn release(&mut self, clear: &[String], give_back: &[String]) {
        for key in clear {
            self.counters.remove(key);
        }
        for key in give_back {
            if let Some(state) = self.counters.get_mut(key) {
                state.n = state.n.saturating_sub(1);
                if state.n == 0 {
                    self.counters.remove(key);
                }
            }
        }
    }
}
