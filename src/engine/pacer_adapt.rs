//! How a pacer's budget follows what the service says: a cautious start and its climb, the share
//! it learns at its first throttle, making room for a newcomer, and probes for room.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

/// The share of the ceiling a pacer starts at.
pub(super) const START: f64 = 0.6;
/// How long the cautious start holds before the climb.
pub(super) const HOLD: Duration = Duration::from_millis(500);
/// After [`HOLD`], each call let in adds this share of the ceiling to the budget, until the first
/// throttle.
const CLIMB_PER_CALL: f64 = 0.025;
/// The waits between probes while alone: the first, and the longest.
pub(super) const PROBE_MIN: Duration = Duration::from_secs(5);
pub(super) const PROBE_MAX: Duration = Duration::from_secs(15);
/// Below our share, a probe this often.
const ASK_EVERY: Duration = Duration::from_millis(1000);
/// Throttles of ours while steady within [`HIT_SPAN`] that mean one more client shares: the
/// first may be someone's probe, which that client takes back when the service refuses it.
const HITS: usize = 2;
const HIT_SPAN: Duration = Duration::from_secs(10);
/// At or above our share, a probe this seldom (for the room of a client that left).
const ABOVE_EVERY: Duration = Duration::from_secs(30);
/// A probe that went this long without a throttle held.
const PROBE_JUDGED: Duration = Duration::from_millis(1500);
/// After a probe that held, the next one comes this soon.
const PROBE_AFTER_HELD: Duration = Duration::from_millis(500);
/// A first throttle with fewer of ours than this share of the ceiling in the window: the window
/// was full of others' calls before ours came.
const STARVED: f64 = 0.15;
/// How long a client that came into a full window asks for more before it takes what it holds
/// for its share.
const EAGER: Duration = Duration::from_secs(10);
/// A throttle this soon after one taken for jitter while alone means another client is there.
const ALONE_STRIKE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// The start: each call let in adds to the budget.
    Climbing,
    Steady,
    /// One call more per window since then.
    Probing(Instant),
}

/// The budget and what it was learned from.
#[derive(Debug)]
pub(super) struct Adapt {
    /// The most calls per window.
    cap: f64,
    /// Calls per window now.
    pub budget: f64,
    mode: Mode,
    /// Our equal share as last learned: probes below it come often, above it seldom.
    fair: Option<f64>,
    /// Came into a full window: asks for more until then.
    eager_until: Option<Instant>,
    /// Our recent throttles while steady.
    hits: Vec<Instant>,
    /// The budget we had before making room: we ask for it back, and keep it if nobody took
    /// the room (a client that does not adapt).
    regain: Option<f64>,
    probe_wait: Duration,
    next_probe: Option<Instant>,
    /// Our count at the last throttle.
    level: Option<f64>,
    /// When a throttle came while we were alone, taken for jitter.
    alone_strike: Option<Instant>,
    /// Spreads the probes of clients that learned their share at the same moment.
    rng: StdRng,
}

impl Adapt {
    pub(super) fn new(cap: f64, seed: u64) -> Adapt {
        Adapt {
            cap,
            budget: cap * START,
            mode: Mode::Climbing,
            fair: None,
            eager_until: None,
            hits: Vec::new(),
            regain: None,
            probe_wait: PROBE_MIN,
            next_probe: None,
            level: None,
            alone_strike: None,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    fn floor(&self) -> f64 {
        self.cap.min(1.0)
    }

    fn eager(&self, now: Instant) -> bool {
        self.eager_until.is_some_and(|t| now < t)
    }

    fn below_fair(&self, now: Instant) -> bool {
        self.eager(now)
            || self.fair.is_some_and(|f| self.budget < f - 0.5)
            || self.regain.is_some_and(|r| self.budget < r - 0.5)
    }

    /// When to probe next, from where the budget stands.
    fn schedule(&mut self, now: Instant) {
        let wait = if self.below_fair(now) {
            ASK_EVERY
        } else if self.fair.is_some() {
            ABOVE_EVERY
        } else {
            self.probe_wait
        };
        // Between half and one and a half times the wait.
        let wait = wait.mul_f64(self.rng.gen_range(0.5..1.5));
        self.next_probe = Some(now + wait);
    }

    /// A call sent at `sent` went through; `first` is when our first call left; `share` the most
    /// the budget may be.
    pub(super) fn succeeded(
        &mut self,
        now: Instant,
        sent: Instant,
        first: Option<Instant>,
        share: f64,
    ) {
        if self.eager_until.is_some_and(|t| now >= t) {
            self.eager_until = None;
            self.fair = Some(self.budget);
        }
        match self.mode {
            Mode::Climbing => {
                if first.is_some_and(|f| sent >= f + HOLD) {
                    self.budget = (self.budget + CLIMB_PER_CALL * self.cap).min(share);
                    if let Some(r) = self.regain.filter(|r| self.budget >= *r) {
                        // All of it back: nobody wanted it.
                        self.budget = r;
                        self.fair = Some(r);
                        self.regain = None;
                        self.mode = Mode::Steady;
                        self.schedule(now);
                    } else if self.budget >= share {
                        // The whole ceiling, alone.
                        self.mode = Mode::Steady;
                    }
                }
            }
            Mode::Probing(since) => {
                if now >= since + PROBE_JUDGED && self.below_fair(now) {
                    // Room below our share: take it at the pace of the start.
                    self.mode = Mode::Climbing;
                } else if now >= since + PROBE_JUDGED {
                    self.mode = Mode::Steady;
                    self.probe_wait = PROBE_MIN;
                    self.schedule(now);
                    if self.fair.is_none() && !self.eager(now) {
                        self.next_probe = Some(now + PROBE_AFTER_HELD);
                    }
                }
            }
            Mode::Steady => {
                let due = self.next_probe.is_some_and(|t| now >= t);
                if due && self.budget < share {
                    self.budget = (self.budget + 1.0).min(share);
                    self.mode = Mode::Probing(now);
                    self.next_probe = None;
                }
            }
        }
    }

    /// The service refused a call; `ours` of our calls were in its window.
    pub(super) fn throttled(&mut self, now: Instant, ours: f64, share: f64) {
        let others = (self.cap - ours).max(0.0);
        let was = self.mode;
        self.mode = Mode::Steady;
        let target = match was {
            Mode::Climbing => {
                self.regain = None;
                if self.fair.is_none() && self.eager_until.is_none() && ours < STARVED * self.cap
                {
                    self.eager_until = Some(now + EAGER);
                } else {
                    self.eager_until = None;
                    self.fair = Some(self.fair.unwrap_or(0.0).max(ours));
                }
                ours
            }
            Mode::Probing(_) => {
                // Refused below what we had: someone took the room we made.
                self.regain = None;
                match self.fair {
                    // No room above our share: back to it.
                    Some(f) if self.budget > f + 0.5 => ours.min(f),
                    _ => ours,
                }
            }
            Mode::Steady => {
                let strike = self
                    .alone_strike
                    .take()
                    .is_some_and(|t| now < t + ALONE_STRIKE);
                if others < 1.5 && !strike {
                    // Nobody else in the window: our own jitter, once.
                    self.alone_strike = Some(now);
                    return;
                }
                self.hits.retain(|t| now < *t + HIT_SPAN);
                self.hits.push(now);
                if self.hits.len() < HITS && self.fair.is_some() {
                    // Someone's probe, maybe: they take it back when refused; we hold on.
                    return;
                }
                // One more client shares: make room as if it had come to equal shares.
                self.hits.clear();
                self.regain = Some(self.budget);
                let f = self.fair.unwrap_or(self.cap);
                let f = self.cap * f / (self.cap + f);
                self.fair = Some(f);
                ours.min(f)
            }
        };
        self.set(now, ours, target, share, was);
    }

    fn set(&mut self, now: Instant, ours: f64, target: f64, share: f64, was: Mode) {
        let same_level = self.level.is_some_and(|l| (l - ours).abs() <= 1.0);
        self.probe_wait = if matches!(was, Mode::Probing(_)) && same_level {
            (self.probe_wait * 2).min(PROBE_MAX)
        } else {
            PROBE_MIN
        };
        self.level = Some(ours);
        self.budget = target.min(share).max(self.floor());
        self.schedule(now);
    }

    /// A budget set from outside (peers, or a lower count): never above `most`.
    pub(super) fn limit(&mut self, most: f64) {
        self.budget = self.budget.min(most).max(self.floor());
    }
}
