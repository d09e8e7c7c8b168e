//! Pacing on an absolute schedule: call `i` of a host leaves at `start + i / rate`, never in a
//! burst. The rate adapts: it drops when the service throttles (someone else is using the budget)
//! and climbs back while calls succeed.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The share of the ceiling the schedule aims at, so that timer jitter never puts 21 calls into
/// one sliding second of a 20/s limit.
const HEADROOM: f64 = 0.985;
/// The lowest rate adaptation goes down to.
const FLOOR: f64 = 0.5;
/// Multiplicative decrease on a throttled call.
const DECREASE: f64 = 0.85;
/// Additive increase per successful call, as a share of the ceiling.
const INCREASE: f64 = 0.005;
/// How long after a decrease another throttle is taken as a consequence of the same burst.
const DECREASE_QUIET: Duration = Duration::from_millis(1000);

struct State {
    next: Instant,
    rate: f64,
    last_decrease: Option<Instant>,
}

/// One host's pacer for one action.
pub struct Pacer {
    ceiling: f64,
    state: Mutex<State>,
}

impl Pacer {
    /// A pacer for at most `rate` calls per second; `rate <= 0` means no pacing.
    pub fn new(rate: f64) -> Pacer {
        let ceiling = if rate > 0.0 { rate * HEADROOM } else { 0.0 };
        Pacer {
            ceiling,
            state: Mutex::new(State {
                next: Instant::now(),
                rate: ceiling,
                last_decrease: None,
            }),
        }
    }

    /// The current target rate (calls per second); 0 when unpaced.
    pub fn rate(&self) -> f64 {
        self.lock().rate
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the next slot on the schedule and returns when it is due.
    pub fn reserve(&self) -> Instant {
        let mut s = self.lock();
        let now = Instant::now();
        if self.ceiling <= 0.0 {
            return now;
        }
        let slot = s.next.max(now);
        s.next = slot + Duration::from_secs_f64(1.0 / s.rate);
        slot
    }

    /// Waits for the next slot.
    pub async fn wait(&self) {
        let slot = self.reserve();
        tokio::time::sleep_until(slot).await;
    }

    /// The service throttled a call: slow down, once per burst.
    pub fn throttled(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut s = self.lock();
        let now = Instant::now();
        if s.last_decrease.is_some_and(|t| now - t < DECREASE_QUIET) {
            return;
        }
        s.last_decrease = Some(now);
        s.rate = (s.rate * DECREASE).max(FLOOR);
        // Leave a gap at the new rate before the next call.
        s.next = s.next.max(now) + Duration::from_secs_f64(1.0 / s.rate);
    }

    /// A call went through: probe back towards the ceiling by a small step (additive increase).
    pub fn succeeded(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut s = self.lock();
        s.rate = (s.rate + self.ceiling * INCREASE).min(self.ceiling);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced_and_never_a_burst() {
        let p = Pacer::new(20.0);
        let start = Instant::now();
        let slots: Vec<Duration> = (0..41).map(|_| p.reserve() - start).collect();
        let gap = Duration::from_secs_f64(1.0 / (20.0 * HEADROOM));
        for w in slots.windows(2) {
            assert_eq!(w[1] - w[0], gap);
        }
        // Any second holds at most 20 slots.
        for (i, s) in slots.iter().enumerate() {
            let in_window = slots[i..]
                .iter()
                .filter(|t| **t < *s + Duration::from_secs(1))
                .count();
            assert!(in_window <= 20, "{in_window} slots in one second");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_slows_once_per_burst_and_success_recovers() {
        let p = Pacer::new(20.0);
        let full = p.rate();
        p.throttled();
        p.throttled();
        let slowed = p.rate();
        assert!((slowed - full * DECREASE).abs() < 1e-9);
        tokio::time::advance(Duration::from_millis(1500)).await;
        p.throttled();
        assert!(p.rate() < slowed);
        for _ in 0..200 {
            p.succeeded();
        }
        assert!((p.rate() - full).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_means_unpaced() {
        let p = Pacer::new(0.0);
        let now = Instant::now();
        assert_eq!(p.reserve(), now);
        assert_eq!(p.reserve(), now);
    }
}
