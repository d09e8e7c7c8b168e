//! Retry delays: exponential with full jitter (delay drawn from zero to the exponential bound).

use std::time::Duration;

use rand::{Rng, RngExt};

/// The retry policy as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// None: send again as soon as the budget allows (a lost answer to a call that is safe to
    /// repeat).
    pub const NONE: Backoff = Backoff {
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };
    /// For transient failures.
    pub const TRANSIENT: Backoff = Backoff {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(20),
    };
    /// For throttled calls; the pacer slows down as well.
    pub const THROTTLED: Backoff = Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(20),
    };
    /// Between listings that look for a flow the service says exists.
    pub const LISTING: Backoff = Backoff {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(30),
    };

    /// The upper bound before the `attempt`-th retry (1-based).
    pub fn bound(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        self.base.saturating_mul(1u32 << exp).min(self.cap)
    }

    /// A delay drawn uniformly from zero to the bound ("full jitter"), so that rows that failed
    /// together do not come back together.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        self.bound(attempt).mul_f64(rng.random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn bounds_double_up_to_the_cap() {
        let table = [
            (1, 500),
            (2, 1000),
            (3, 2000),
            (4, 4000),
            (6, 16000),
            (7, 20000),
            (40, 20000),
        ];
        for (attempt, ms) in table {
            assert_eq!(
                Backoff::TRANSIENT.bound(attempt),
                Duration::from_millis(ms),
                "{attempt}"
            );
        }
        assert_eq!(Backoff::THROTTLED.bound(1), Duration::from_secs(1));
        assert_eq!(Backoff::LISTING.bound(5), Duration::from_secs(30));
    }

    #[test]
    fn delays_stay_within_the_bound() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 1..10 {
            for _ in 0..100 {
                let d = Backoff::TRANSIENT.delay(attempt, &mut rng);
                let b = Backoff::TRANSIENT.bound(attempt);
                assert!(d <= b, "{d:?} {b:?}");
            }
        }
    }
}
