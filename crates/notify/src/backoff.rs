//! Retry delays: exponential with equal jitter.

use std::time::Duration;

use rand::Rng as _;

/// Delays of `initial`, doubling per failure, at most `max`; each drawn from its upper half
/// (equal jitter: `d/2 + rand(0..=d/2)`), so retries of many events spread out and still grow.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after the `failures`-th failed attempt (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let ceiling = self.ceiling(failures).as_nanos();
        let half = ceiling / 2;
        // `half + rand(0..=ceiling - half)`: never above the ceiling, even when it is odd.
        let nanos = half + rand::rng().random_range(0..=ceiling - half);
        from_nanos(nanos)
    }

    /// The delay before jitter: `initial * 2^(failures - 1)`, at most `max` (`failures` 0 is
    /// taken as 1).
    fn ceiling(&self, failures: u32) -> Duration {
        let mut delay = self.initial.min(self.max);
        // Doubling stops at `max`, so large `failures` cost no more than the ~64 doublings
        // any duration can take and never overflow.
        for _ in 1..failures {
            if delay >= self.max || delay.is_zero() {
                break;
            }
            delay = delay.saturating_mul(2);
        }
        delay.min(self.max)
    }
}

/// A `Duration` of `nanos` nanoseconds (saturating; `nanos` comes from a `Duration`, so it
/// fits).
fn from_nanos(nanos: u128) -> Duration {
    const PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / PER_SEC).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % PER_SEC).unwrap_or(0);
    Duration::new(secs, subsec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard() -> Backoff {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }

    #[test]
    fn ceilings_double_up_to_max() {
        let backoff = standard();
        let secs: Vec<u64> = (1..=11).map(|n| backoff.ceiling(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff.ceiling(0), backoff.ceiling(1));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn delays_stay_in_the_upper_half() {
        let backoff = standard();
        for failures in [0, 1, 2, 3, 5, 8, 9, 10, 20, 100, u32::MAX] {
            let ceiling = backoff.ceiling(failures);
            for _ in 0..200 {
                let delay = backoff.delay(failures);
                assert!(
                    delay >= ceiling / 2,
                    "{failures}: {delay:?} < {ceiling:?}/2"
                );
                assert!(delay <= ceiling, "{failures}: {delay:?} > {ceiling:?}");
                assert!(delay <= backoff.max);
            }
        }
    }

    #[test]
    fn first_delay_is_between_half_and_initial() {
        let backoff = standard();
        for _ in 0..200 {
            let delay = backoff.delay(1);
            assert!(delay >= Duration::from_millis(500) && delay <= Duration::from_secs(1));
            let delay = backoff.delay(0);
            assert!(delay >= Duration::from_millis(500) && delay <= Duration::from_secs(1));
        }
    }

    #[test]
    fn delays_grow() {
        let backoff = standard();
        // Each ceiling's lower half bound is at least the previous ceiling until max.
        for failures in 1..9 {
            let min_next = backoff.ceiling(failures + 1) / 2;
            assert!(min_next >= backoff.ceiling(failures));
            assert!(backoff.delay(failures + 1) >= backoff.delay(failures) / 2);
        }
        assert!(backoff.delay(9) > backoff.delay(1));
    }

    #[test]
    fn delays_spread() {
        let backoff = standard();
        let delays: std::collections::HashSet<_> = (0..50).map(|_| backoff.delay(6)).collect();
        assert!(delays.len() > 1, "equal jitter draws different delays");
    }

    #[test]
    fn odd_and_degenerate_settings() {
        let zero = Backoff {
            initial: Duration::ZERO,
            max: Duration::from_secs(5),
        };
        assert_eq!(zero.delay(1), Duration::ZERO);
        assert_eq!(zero.delay(u32::MAX), Duration::ZERO);

        let nothing = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::ZERO,
        };
        assert_eq!(nothing.delay(3), Duration::ZERO);

        // max below initial: max wins.
        let capped = Backoff {
            initial: Duration::from_secs(10),
            max: Duration::from_secs(3),
        };
        for _ in 0..50 {
            let delay = capped.delay(1);
            assert!(delay >= Duration::from_millis(1500) && delay <= Duration::from_secs(3));
        }

        // One nanosecond: the odd ceiling is never exceeded.
        let tiny = Backoff {
            initial: Duration::from_nanos(1),
            max: Duration::from_nanos(1),
        };
        for _ in 0..50 {
            assert!(tiny.delay(1) <= Duration::from_nanos(1));
        }

        // Huge durations neither overflow nor panic.
        let huge = Backoff {
            initial: Duration::from_secs(u64::MAX / 4),
            max: Duration::MAX,
        };
        for failures in [1, 2, 3, 64, u32::MAX] {
            let delay = huge.delay(failures);
            assert!(delay >= huge.ceiling(failures) / 2);
        }
        assert_eq!(huge.ceiling(u32::MAX), Duration::MAX);
    }

    #[test]
    fn from_nanos_matches_duration() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::new(5, 999_999_999),
            Duration::MAX,
        ] {
            assert_eq!(from_nanos(d.as_nanos()), d);
        }
    }
}
