//! How a pacer's budget follows what the service says: a cautious start and its climb, the share
//! it learns at its first throttle, making room for a newcomer, and probes for room.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::time::Instant;

/// The sliding second, with a margin for the jitter between sending and arriving.
pub const WINDOW: Duration = Duration::from_millis(1015);

/// The share of the ceiling a pacer starts at.
pub(super) const START: f64 = 0.6;
/// How long the cautious start holds before the climb.
pub(super) const HOLD: Duration = Duration::from_millis(500);
/// After [`HOLD`], each call let in adds this share of the ceiling to the budget, until the first
/// throttle.
const CLIMB_PER_CALL: f64 = 0.025;
/// Below our share, a probe about this often.
const ASK_EVERY: Duration = Duration::from_millis(1000);
/// At our share, a probe about this often at first, then less often up to the most (times the
/// clients we share with).
pub(super) const PROBE_MIN: Duration = Duration::from_secs(25);
pub(super) const PROBE_MAX: Duration = Duration::from_secs(120);
/// A probe that went this long without a throttle held.
const PROBE_JUDGED: Duration = Duration::from_millis(1500);
/// After a probe that held, the next one comes this soon.
const PROBE_AFTER_HELD: Duration = Duration::from_millis(500);
/// After a probe above our share that held, the next one comes about this soon: far enough
/// apart that a client whose call each took is not hit twice within [`HIT_SPAN`].
const AGAIN_ABOVE: Duration = Duration::from_secs(6);
/// Probes above our share that must hold in a row before we take it that there is room.
const HELD_ABOVE: u32 = 3;
/// A first throttle with fewer of ours than this share of the ceiling in the window: the window
/// was full of others' calls before ours came.
const STARVED: f64 = 0.15;
/// How long at most a client that came into a full window asks for more before it takes what it
/// holds for its share (it stops sooner, at the first throttle after room it found).
const EAGER: Duration = Duration::from_secs(60);
/// Throttles of ours while steady within [`HIT_SPAN`] that mean one more client shares: the
/// first may be someone's probe, which takes a call of ours once.
const HITS: usize = 2;
const HIT_SPAN: Duration = Duration::from_secs(10);
/// After making room, we ask for it back this much later.
const REGAIN_AFTER: Duration = Duration::from_secs(5);
/// Asks below our share refused in a row after which what we hold is our share.
const ASKS_REFUSED: u32 = 2;
/// A throttle this soon after one taken for jitter while alone means another client is there.
const ALONE_STRIKE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// The start, or room below our share: each call let in adds to the budget.
    Climbing,
    Steady,
    /// One call more per window since `since`; `once`: for one window only (above our share,
    /// where a call that goes through may be one taken from someone else).
    Probing {
        since: Instant,
        once: bool,
    },
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
    /// Asks below our share refused in a row.
    refused_asks: u32,
    /// The budget we had before making room: we ask for it back, and keep it if nobody took
    /// the room (a client that does not adapt).
    regain: Option<f64>,
    /// Probes above our share that held in a row.
    held_above: u32,
    probe_wait: Duration,
    next_probe: Option<Instant>,
    /// When a throttle came while we were alone, taken for jitter.
    alone_strike: Option<Instant>,
    /// When we last learned our share from a fill.
    filled: Option<Instant>,
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
            refused_asks: 0,
            regain: None,
            held_above: 0,
            probe_wait: PROBE_MIN,
            next_probe: None,
            alone_strike: None,
            filled: None,
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
            || self.regain.is_some_and(|r| self.budget < r)
    }

    /// The spacing of the next call, as a share of the even one: a client asking its way into a
    /// full window spreads its calls, so that they do not meet the others' at the same moment of
    /// every window.
    pub(super) fn spacing(&mut self, now: Instant) -> f64 {
        if self.eager(now) {
            self.rng.random_range(0.6..1.4)
        } else {
            1.0
        }
    }

    /// When to probe next, from where the budget stands.
    fn schedule(&mut self, now: Instant, soon: bool) {
        let wait = if soon && self.held_above > 0 {
            AGAIN_ABOVE
        } else if soon {
            PROBE_AFTER_HELD
        } else if self.below_fair(now) {
            ASK_EVERY
        } else {
            // Above our share, a client with a smaller share probes less often: all the clients
            // together probe about as often as one alone would.
            let shares = (self.cap / self.budget.max(self.floor())).clamp(1.0, 100.0);
            self.probe_wait.mul_f64(shares)
        };
        // Between half and one and a half times the wait.
        let wait = wait.mul_f64(self.rng.random_range(0.5..1.5));
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
                    self.climb(now, share);
                }
            }
            Mode::Probing { since, once } => self.judge(now, since, once),
            Mode::Steady => {
                let due = self.next_probe.is_some_and(|t| now >= t);
                if due && self.budget < share {
                    let once = !self.below_fair(now) && self.fair.is_some();
                    // One call more; asking back the room we made, no more than we had.
                    let most = self.regain.filter(|r| self.budget < *r).unwrap_or(share);
                    self.budget = (self.budget + 1.0).min(most).min(share);
                    self.mode = Mode::Probing { since: now, once };
                    self.next_probe = None;
                }
            }
        }
    }

    fn climb(&mut self, now: Instant, share: f64) {
        // A newcomer that found room climbs twice as steeply: from a call or two, the start's
        // pace would take seconds to reach what was made for it.
        let step = if self.eager(now) { 2.0 } else { 1.0 } * CLIMB_PER_CALL * self.cap;
        self.budget = (self.budget + step).min(share);
        if let Some(r) = self.regain.filter(|r| self.budget >= *r) {
            // All of it back: nobody wanted the room we made.
            self.budget = r;
            self.fair = Some(r);
            self.regain = None;
            self.mode = Mode::Steady;
            self.schedule(now, false);
        } else if self.budget >= share {
            // The whole ceiling, alone.
            self.mode = Mode::Steady;
        }
    }

    /// A probe that has not been refused.
    fn judge(&mut self, now: Instant, since: Instant, once: bool) {
        if once && now >= since + WINDOW && self.fair.is_some_and(|f| self.budget > f + 0.5) {
            // One window of one call more is all a probe above our share takes.
            self.budget -= 1.0;
        }
        if now < since + PROBE_JUDGED {
            return;
        }
        self.mode = Mode::Steady;
        if once {
            self.held_above += 1;
            if self.held_above >= HELD_ABOVE {
                // Room above our share, again and again: a client left. Take it at the pace of
                // the start, up to the next fill.
                self.held_above = 0;
                self.probe_wait = PROBE_MIN;
                self.mode = Mode::Climbing;
                return;
            }
            self.schedule(now, true);
        } else if self.eager(now) {
            // A newcomer that found room: take it at the pace of the start.
            self.mode = Mode::Climbing;
        } else if self.regain.is_some_and(|r| self.budget >= r) {
            // All of it back: nobody wanted the room we made.
            self.fair = self.regain.take();
            self.schedule(now, false);
        } else {
            self.refused_asks = 0;
            self.schedule(now, self.fair.is_none());
        }
    }

    /// The service refused a call; `ours` of our calls were in its window. Says whether the
    /// budget came down (the throttles of calls given a slot before are then of the same burst);
    /// not when we hold on.
    pub(super) fn throttled(&mut self, now: Instant, ours: f64, share: f64) -> bool {
        let others = (self.cap - ours).max(0.0);
        let target = match self.mode {
            Mode::Climbing => {
                self.regain = None;
                if self.fair.is_none() && self.eager_until.is_none() && ours < STARVED * self.cap {
                    self.eager_until = Some(now + EAGER);
                } else {
                    self.eager_until = None;
                    self.fair = Some(self.fair.unwrap_or(0.0).max(ours));
                    self.filled = Some(now);
                }
                ours
            }
            Mode::Probing { once: true, .. } => {
                // No room above our share: back to it.
                self.held_above = 0;
                self.probe_wait = (self.probe_wait * 2).min(PROBE_MAX);
                self.fair.unwrap_or(ours)
            }
            Mode::Probing { once: false, .. } => {
                // Refused below what we had: someone took the room (twice in a row: it is
                // theirs now, and what we hold is our share).
                self.regain = None;
                self.refused_asks += 1;
                if self.refused_asks >= ASKS_REFUSED {
                    self.refused_asks = 0;
                    self.fair = self.fair.map(|_| ours);
                }
                ours
            }
            Mode::Steady => {
                let strike = self
                    .alone_strike
                    .take()
                    .is_some_and(|t| now < t + ALONE_STRIKE);
                if others < 1.5 && !strike {
                    // Nobody else in the window: our own jitter, once.
                    self.alone_strike = Some(now);
                    return false;
                }
                if self.filled.is_some_and(|t| now < t + HIT_SPAN) {
                    // Soon after our fill: its count may have been one too many (a call of
                    // someone else's refused in our place), or a call of ours arrived late. We
                    // hold what the service counted now, and ask the rest back.
                    self.set(now, ours.min(self.budget), share);
                    return true;
                }
                self.hits.retain(|t| now < *t + HIT_SPAN);
                self.hits.push(now);
                if self.hits.len() < HITS && self.fair.is_some() {
                    // Someone's probe, maybe: it takes one call of ours, once; we hold on.
                    return false;
                }
                // One more client shares: make room as if it had come to equal shares, and
                // ask for it back in case nobody takes it.
                self.hits.clear();
                self.regain = Some(self.budget);
                let f = self.fair.unwrap_or(self.cap);
                let f = self.cap * f / (self.cap + f);
                self.fair = Some(f);
                self.mode = Mode::Steady;
                self.budget = ours.min(f).min(share).max(self.floor());
                // The newcomer first: we ask for ours back one call at a time, a while later.
                self.next_probe = Some(now + REGAIN_AFTER);
                return true;
            }
        };
        self.set(now, target, share);
        true
    }

    /// Steady at `target`, the next probe scheduled.
    fn set(&mut self, now: Instant, target: f64, share: f64) {
        self.mode = Mode::Steady;
        self.budget = target.min(share).max(self.floor());
        self.schedule(now, false);
    }

    /// Whether a probe of ours is under way (for tests that must not meet one).
    #[cfg(test)]
    pub(super) fn probing(&self) -> bool {
        matches!(self.mode, Mode::Probing { .. })
    }

    /// Whether we are climbing into room (for tests that want a steady pacer).
    #[cfg(test)]
    pub(super) fn climbing(&self) -> bool {
        self.mode == Mode::Climbing
    }

    /// A budget set from outside (peers, or a lower count): never above `most`.
    pub(super) fn limit(&mut self, most: f64) {
        self.budget = self.budget.min(most).max(self.floor());
    }
}
