//! Pacing on an absolute schedule: call `i` of a host leaves at `start + i / rate`, never in a
//! burst. Slots are handed out just in time (at most [`LEAD`] ahead), so that a change of rate
//! applies to the very next call rather than to a queue of slots taken at the old rate.
//!
//! The rate adapts to a budget shared with other clients. A throttled call means the service's
//! window is full: the calls of ours it let in during the second before are, near enough, the
//! budget left to us (the plateau). The rate drops below it at once; below the plateau it climbs
//! back quickly, near it slowly, and once well above it without a throttle the plateau is
//! forgotten.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The share of the ceiling the schedule aims at, so that timer jitter never puts 21 calls into
/// one sliding second of a 20/s limit.
const HEADROOM: f64 = 0.985;
/// The lowest rate adaptation goes down to.
const FLOOR: f64 = 0.5;
/// Multiplicative decrease on a throttled call, at least.
const DECREASE: f64 = 0.9;
/// The share of the measured budget the rate drops to on a throttled call, at most.
const BELOW_BUDGET: f64 = 0.95;
/// Climb per second below the plateau, as a share of the ceiling.
const FAST_CLIMB: f64 = 0.05;
/// Climb per second near and above the plateau, as a share of the ceiling.
const SLOW_CLIMB: f64 = 0.0025;
/// Below `plateau * NEAR` the climb is fast.
const NEAR: f64 = 0.97;
/// Above `plateau * FORGET` with no throttle, the other client has gone: forget the plateau.
const FORGET: f64 = 1.04;
/// Calls sent within this long after a decrease that are throttled are taken as a consequence
/// of the same burst (the service's window still holds it).
const DECREASE_QUIET: Duration = Duration::from_millis(1000);
/// How far ahead of its slot a call gets it: enough to record the call before it is due.
pub const LEAD: Duration = Duration::from_millis(100);

struct State {
    next: Instant,
    rate: f64,
    plateau: Option<f64>,
    last_decrease: Option<Instant>,
    /// When the calls that succeeded lately were sent (the last two seconds).
    accepted: VecDeque<Instant>,
}

/// The time between two slots at `rate`, at most an hour (whatever the rate, a slot is never so
/// far away that an `Instant` overflows).
fn gap(rate: f64) -> Duration {
    Duration::from_secs_f64((1.0 / rate).clamp(0.0, 3600.0))
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
                plateau: None,
                last_decrease: None,
                accepted: VecDeque::new(),
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

    /// Takes the next slot if it is due within [`LEAD`]; otherwise says when to ask again.
    fn try_take(&self) -> Result<Instant, Instant> {
        let mut s = self.lock();
        let now = Instant::now();
        if self.ceiling <= 0.0 {
            return Ok(now);
        }
        if s.next > now + LEAD {
            return Err(s.next - LEAD);
        }
        let slot = s.next.max(now);
        s.next = slot + gap(s.rate);
        Ok(slot)
    }

    /// Waits for a turn and returns the slot: an instant at most [`LEAD`] away, when the call
    /// may leave.
    pub async fn turn(&self) -> Instant {
        loop {
            match self.try_take() {
                Ok(slot) => return slot,
                Err(ask_again) => tokio::time::sleep_until(ask_again).await,
            }
        }
    }

    /// Waits until the call may leave.
    pub async fn wait(&self) {
        let slot = self.turn().await;
        tokio::time::sleep_until(slot).await;
    }

    /// The service throttled a call sent at `sent`: drop below the budget it let us have in the
    /// second before, once per burst, and remember that budget.
    pub fn throttled(&self, sent: Instant) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut s = self.lock();
        if s.last_decrease.is_some_and(|t| sent < t + DECREASE_QUIET) {
            return;
        }
        let now = Instant::now();
        let window_start = sent.checked_sub(Duration::from_secs(1));
        let budget = s
            .accepted
            .iter()
            .filter(|t| window_start.is_none_or(|w| **t > w) && **t <= sent)
            .count() as f64;
        s.last_decrease = Some(now);
        let mut rate = s.rate * DECREASE;
        // With none of ours let in lately there is nothing to measure: only slow down.
        if budget >= 1.0 {
            s.plateau = Some(budget);
            rate = rate.min(budget * BELOW_BUDGET);
        }
        // Never below the floor, and never lifted above the user's own ceiling by it.
        s.rate = rate.max(FLOOR.min(self.ceiling));
        // Leave a gap at the new rate before the next call.
        s.next = s.next.max(now) + gap(s.rate);
    }

    /// A call sent at `sent` went through: climb back (additive increase). About `rate` calls
    /// succeed per second, so each adds `climb * ceiling / rate`.
    pub fn succeeded(&self, sent: Instant) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut s = self.lock();
        let horizon = Instant::now().checked_sub(Duration::from_secs(2));
        while s
            .accepted
            .front()
            .is_some_and(|t| horizon.is_some_and(|h| *t < h))
        {
            s.accepted.pop_front();
        }
        s.accepted.push_back(sent);
        let climb = match s.plateau {
            Some(p) if s.rate > p * FORGET => {
                s.plateau = None;
                FAST_CLIMB
            }
            Some(p) if s.rate >= p * NEAR => SLOW_CLIMB,
            _ => FAST_CLIMB,
        };
        let step = climb * self.ceiling / s.rate.max(FLOOR.min(self.ceiling));
        s.rate = (s.rate + step).min(self.ceiling);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced_and_never_a_burst() {
        let p = Pacer::new(20.0);
        let start = Instant::now();
        let mut slots = Vec::new();
        for _ in 0..41 {
            p.wait().await;
            slots.push(Instant::now() - start);
        }
        let gap = Duration::from_secs_f64(1.0 / (20.0 * HEADROOM));
        for w in slots.windows(2) {
            let d = w[1] - w[0];
            assert!(d + Duration::from_millis(1) >= gap, "{d:?} < {gap:?}");
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
    async fn a_ceiling_below_the_floor_is_never_lifted_by_a_throttle() {
        let p = Pacer::new(0.1);
        let ceiling = p.rate();
        p.throttled(Instant::now());
        assert!(p.rate() <= ceiling, "{} > {ceiling}", p.rate());
        p.succeeded(Instant::now());
        assert!(p.rate() <= ceiling);
        // A rate so low its gap would overflow an Instant still hands out slots.
        let tiny = Pacer::new(1e-30);
        tiny.turn().await;
    }

    #[tokio::test(start_paused = true)]
    async fn slots_are_handed_out_just_in_time() {
        let p = Pacer::new(20.0);
        p.turn().await;
        // The next slot is 50 ms away: within the lead, so it is given at once.
        let now = Instant::now();
        let second = p.turn().await;
        assert_eq!(Instant::now(), now);
        // The one after is 100 ms away: given only when it is within the lead.
        let third = p.turn().await;
        assert!(
            Instant::now() > now,
            "a slot beyond the lead was given early"
        );
        assert!(third > second);
        // A throttle now changes the spacing of the very next slot.
        p.throttled(Instant::now());
        let fourth = p.turn().await;
        assert!(fourth - third > Duration::from_secs_f64(1.0 / (20.0 * HEADROOM)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_drops_below_the_measured_budget_once_per_burst() {
        let p = Pacer::new(20.0);
        // 12 calls of ours got in during the last second, then one was throttled.
        for _ in 0..12 {
            p.succeeded(Instant::now());
            tokio::time::advance(Duration::from_millis(80)).await;
        }
        p.throttled(Instant::now());
        assert!(
            (p.rate() - 12.0 * BELOW_BUDGET).abs() < 1e-9,
            "{}",
            p.rate()
        );
        // Calls sent within the quiet second after are the same burst.
        let slowed = p.rate();
        tokio::time::advance(Duration::from_millis(500)).await;
        p.throttled(Instant::now());
        assert_eq!(p.rate(), slowed);
        // Later, a throttle with no measured budget still cuts by DECREASE at least.
        tokio::time::advance(Duration::from_secs(3)).await;
        p.throttled(Instant::now());
        assert!(p.rate() <= slowed * DECREASE + 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn the_climb_is_fast_below_the_plateau_slow_near_it_and_free_above_it() {
        let p = Pacer::new(20.0);
        let full = p.rate();
        for _ in 0..12 {
            p.succeeded(Instant::now());
            tokio::time::advance(Duration::from_millis(80)).await;
        }
        p.throttled(Instant::now());
        let plateau = 12.0;
        let succeed_for_a_second = |p: &Pacer| {
            for _ in 0..(p.rate() as usize) {
                p.succeeded(Instant::now());
            }
        };
        // Drop well below the plateau to see the fast climb.
        tokio::time::advance(Duration::from_secs(2)).await;
        p.throttled(Instant::now());
        let low = p.rate();
        assert!(low < plateau * NEAR - FAST_CLIMB * full);
        succeed_for_a_second(&p);
        assert!(p.rate() - low > 0.9 * FAST_CLIMB * full);
        while p.rate() < 11.7 {
            p.succeeded(Instant::now());
        }
        let near = p.rate();
        succeed_for_a_second(&p);
        assert!(p.rate() - near < 1.1 * SLOW_CLIMB * full);
        for _ in 0..100_000 {
            p.succeeded(Instant::now());
        }
        assert!((p.rate() - full).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_means_unpaced() {
        let p = Pacer::new(0.0);
        let now = Instant::now();
        assert_eq!(p.turn().await, now);
        assert_eq!(p.turn().await, now);
        assert_eq!(Instant::now(), now);
    }
}
