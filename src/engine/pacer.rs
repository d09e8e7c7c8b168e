//! Pacing one host's calls of one action under the service's limit: at most `rate` calls over
//! any sliding second, counted at arrival, shared with every other client of the account.
//!
//! The pacer keeps a *budget*: how many of its calls may fall in one window (a second and a
//! margin). Calls leave evenly spaced at `window / budget`, and never so that a window would
//! hold more than the budget: the send times the shell reports back (a call can leave later
//! than its slot, when its mark took long to commit) are what is counted, not the slots.
//!
//! - It starts cautiously: 60% of the ceiling for half a second, then climbs to the ceiling
//!   within about two seconds, unless the service throttles a call first.
//! - A throttled call means the service's window was full: the calls of ours it had let in just
//!   before (our count) are, near enough, what is left to us; the budget becomes that count.
//! - Others' share is the ceiling less our count. When it has grown since the last throttle
//!   (another client arrived), the budget drops to an equal share among the clients we can
//!   infer, so that a newcomer gets room.
//! - Probes: after a quiet while, the budget goes up by one call. A probe that holds (no
//!   throttle) is followed by another soon; one that is throttled at the same level as the last
//!   doubles the wait before the next one, so that a steady neighbour costs few throttles.
//! - Peers: other bulkflow processes of this machine pacing the same calls
//!   ([`super::peers`]) are counted every [`PEER_EVERY`]; the budget never exceeds this
//!   process's whole-call share of the ceiling among them ([`Peering::share`]), drops to it when
//!   one arrives and rises to it when one leaves. A process that finds peers already there waits
//!   for them to make room.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::peers::{PeerCount, Peering};

/// The sliding second, with a margin for the jitter between sending and arriving.
pub const WINDOW: Duration = Duration::from_millis(1015);
/// How far ahead of its slot a call gets it: enough to record the call before it is due.
pub const LEAD: Duration = Duration::from_millis(100);
/// The share of the ceiling a pacer starts at.
const START: f64 = 0.6;
/// How long the cautious start holds before the climb.
const HOLD: Duration = Duration::from_millis(500);
/// After [`HOLD`], each call let in adds this share of the ceiling to the budget, until the first
/// throttle.
const CLIMB_PER_CALL: f64 = 0.025;
/// The waits between probes: the first, and the longest.
const PROBE_MIN: Duration = Duration::from_secs(5);
const PROBE_MAX: Duration = Duration::from_secs(15);
/// A probe that went this long without a throttle held.
const PROBE_JUDGED: Duration = Duration::from_millis(1500);
/// After a probe that held, the next one comes this soon.
const PROBE_AFTER_HELD: Duration = Duration::from_millis(500);
/// A throttle in the first window with fewer than this share of the budget counted is the
/// service's window being full of others' calls before ours had time to fill it.
const MATURE: f64 = 0.75;
/// A throttle there keeps this share of the budget.
const IMMATURE_KEEP: f64 = 0.8;
/// A throttle this soon after one taken for jitter while alone means another client is there.
const ALONE_STRIKE: Duration = Duration::from_secs(5);
/// How often the peers are counted.
pub const PEER_EVERY: Duration = Duration::from_millis(500);
/// A pacer with peers makes its first call this long after it registered, and counts them
/// first: processes started together find each other before any of them calls.
const PEER_SETTLE: Duration = Duration::from_millis(200);
/// Entries older than this are forgotten.
const LEDGER_SPAN: Duration = Duration::from_secs(3);
/// Budgets above this are not checked against the ledger (the even spacing is enough, and the
/// check would cost more than it saves).
const LEDGER_MAX: usize = 256;

/// A call given a slot: when it was due, and when it was sent (once reported).
#[derive(Debug, Clone, Copy)]
struct Entry {
    slot: Instant,
    sent: Option<Instant>,
}

impl Entry {
    fn at(&self) -> Instant {
        self.sent.unwrap_or(self.slot)
    }
}

#[derive(Debug)]
struct State {
    next: Instant,
    budget: f64,
    climbing: bool,
    first: Option<Instant>,
    ledger: VecDeque<Entry>,
    /// Throttles of calls sent before this are of the same burst.
    last_decrease: Option<Instant>,
    /// Others' share and ours at the last throttle.
    last_seen: Option<(f64, f64)>,
    /// Since when the budget is the ceiling (no one else seen).
    full_since: Option<Instant>,
    /// When a throttle came while we were alone, taken for jitter.
    alone_strike: Option<Instant>,
    probe_wait: Duration,
    next_probe: Option<Instant>,
    probing: Option<Instant>,
    /// Our count at the last throttle.
    level: Option<f64>,
    /// The most our budget may be: the ceiling, shared equally among the peers.
    share: f64,
    /// The peers counted last, and when to count them again.
    peers_seen: Peering,
    next_count: Option<Instant>,
}

/// The time between two slots at `budget` calls per window, at most an hour.
fn gap(budget: f64) -> Duration {
    Duration::from_secs_f64((WINDOW.as_secs_f64() / budget).clamp(0.0, 3600.0))
}

/// One host's pacer for one action.
#[derive(Debug)]
pub struct Pacer {
    /// The most calls per window (the user's `--rate`); 0 when unpaced.
    cap: f64,
    state: Mutex<State>,
    /// Other processes of this machine pacing the same calls.
    peers: Option<Box<dyn PeerCount>>,
}

impl Pacer {
    /// A pacer for at most `rate` calls per second; `rate <= 0` means no pacing.
    pub fn new(rate: f64) -> Pacer {
        Pacer::with_peers(rate, None)
    }

    /// A pacer that shares its ceiling evenly with `peers` (itself included).
    pub fn with_peers(rate: f64, peers: Option<Box<dyn PeerCount>>) -> Pacer {
        let cap = if rate > 0.0 { rate } else { 0.0 };
        let now = Instant::now();
        let peers = peers.filter(|_| cap > 0.0);
        let settle = if peers.is_some() {
            PEER_SETTLE
        } else {
            Duration::ZERO
        };
        Pacer {
            cap,
            peers,
            state: Mutex::new(State {
                next: now + settle,
                budget: cap * START,
                climbing: true,
                first: None,
                ledger: VecDeque::new(),
                last_decrease: None,
                last_seen: None,
                full_since: None,
                alone_strike: None,
                probe_wait: PROBE_MIN,
                next_probe: None,
                probing: None,
                level: None,
                share: cap,
                peers_seen: Peering::ALONE,
                next_count: Some(now + settle / 2),
            }),
        }
    }

    /// Counts the peers when due, and keeps the budget within an equal share among them.
    fn count_peers(&self, s: &mut State, now: Instant) {
        let Some(peers) = &self.peers else { return };
        if s.next_count.is_some_and(|t| now < t) {
            return;
        }
        s.next_count = Some(now + PEER_EVERY);
        let seen = peers.count();
        if seen == s.peers_seen {
            return;
        }
        let share = seen.share(self.cap);
        if seen.n > s.peers_seen.n {
            // A newcomer: make room at once.
            s.budget = s.budget.min(share);
            s.full_since = None;
        } else if share > s.share {
            // One left: its share is free (a client elsewhere will throttle us back if not).
            s.budget = s.budget.max(share);
        }
        s.share = share;
        s.peers_seen = seen;
        s.budget = s.budget.min(share).max(self.floor());
        if s.first.is_none() {
            // Peers were there before our first call: they make room within a count, and their
            // calls of the last window must age out of the service's window before ours join.
            s.next = s.next.max(now + PEER_EVERY + WINDOW);
        }
    }

    /// The current target rate (calls per second); 0 when unpaced.
    pub fn rate(&self) -> f64 {
        self.lock().budget / WINDOW.as_secs_f64()
    }

    /// The current budget: calls per window.
    pub fn budget(&self) -> f64 {
        self.lock().budget
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lowest budget: one call per window, or the ceiling when it is lower.
    fn floor(&self) -> f64 {
        self.cap.min(1.0)
    }

    /// Takes the next slot if it is due within [`LEAD`]; otherwise says when to ask again.
    fn try_take(&self) -> Result<Instant, Instant> {
        let mut s = self.lock();
        let now = Instant::now();
        if self.cap <= 0.0 {
            return Ok(now);
        }
        self.count_peers(&mut s, now);
        let mut slot = s.next.max(now);
        // Never more than the budget in one window of send times.
        let k = s.budget.floor() as usize;
        if (1..=LEDGER_MAX).contains(&k) && s.ledger.len() >= k {
            let mut recent: Vec<Instant> =
                s.ledger.iter().rev().take(k + 8).map(Entry::at).collect();
            recent.sort_unstable_by(|a, b| b.cmp(a));
            if let Some(kth) = recent.get(k - 1) {
                slot = slot.max(*kth + WINDOW);
            }
        }
        if slot > now + LEAD {
            s.next = slot;
            return Err(slot - LEAD);
        }
        s.next = slot + gap(s.budget);
        s.first.get_or_insert(slot);
        s.ledger.push_back(Entry { slot, sent: None });
        while s.ledger.front().is_some_and(|e| e.at() + LEDGER_SPAN < now) {
            s.ledger.pop_front();
        }
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

    /// The entry of the call sent at `sent`: the latest slot at or before it not yet reported.
    fn entry(s: &mut State, sent: Instant) -> Option<usize> {
        s.ledger
            .iter()
            .rposition(|e| e.sent.is_none() && e.slot <= sent)
    }

    /// A call sent at `sent` went through.
    pub fn succeeded(&self, sent: Instant) {
        if self.cap <= 0.0 {
            return;
        }
        let mut s = self.lock();
        let now = Instant::now();
        if let Some(i) = Self::entry(&mut s, sent) {
            s.ledger[i].sent = Some(sent);
        }
        if s.climbing {
            // Half a second at the cautious start, then a climb per call let in.
            if s.first.is_some_and(|f| sent >= f + HOLD) {
                s.budget = (s.budget + CLIMB_PER_CALL * self.cap).min(s.share);
            }
        } else {
            if s.probing.is_some_and(|p| now >= p + PROBE_JUDGED) {
                s.probing = None;
                s.probe_wait = PROBE_MIN;
                s.next_probe = Some(now + PROBE_AFTER_HELD);
            }
            let due = s.next_probe.is_some_and(|t| now >= t);
            if s.probing.is_none() && due && s.budget < s.share {
                s.budget = (s.budget + 1.0).min(s.share);
                s.probing = Some(now);
                s.next_probe = None;
            }
        }
        if s.budget >= self.cap {
            s.full_since.get_or_insert(now);
        }
    }

    /// The service throttled a call sent at `sent`.
    pub fn throttled(&self, sent: Instant) {
        if self.cap <= 0.0 {
            return;
        }
        let mut s = self.lock();
        let now = Instant::now();
        // A refused call does not count in the service's window.
        if let Some(i) = Self::entry(&mut s, sent) {
            s.ledger.remove(i);
        }
        if s.last_decrease.is_some_and(|t| sent < t) {
            return;
        }
        s.last_decrease = Some(now);
        let window_start = sent.checked_sub(Duration::from_secs(1));
        let ours = s
            .ledger
            .iter()
            .filter(|e| window_start.is_none_or(|w| e.at() > w) && e.at() < sent)
            .count() as f64;
        let others = (self.cap - ours).max(0.0);
        s.climbing = false;
        let young = s.first.is_some_and(|f| sent < f + WINDOW);
        if young && ours < MATURE * s.budget {
            // Our own calls have not filled a window yet: the count measures nothing.
            s.budget = (s.budget * IMMATURE_KEEP).max(ours).max(self.floor());
        } else {
            // A client that had the whole ceiling to itself: another client has arrived when
            // the service says so twice in a row (once may be our own jitter); then it makes
            // room, half the window.
            let strike = s
                .alone_strike
                .take()
                .is_some_and(|t| now < t + ALONE_STRIKE);
            let alone = strike
                || s.full_since
                    .is_some_and(|f| now >= f + Duration::from_secs(1));
            let mut target = ours;
            if alone {
                if others >= 2.0 || (strike && others >= 1.0) {
                    target = (ours + others) / 2.0;
                } else {
                    s.alone_strike = Some(now);
                }
            } else if let Some((others_before, ours_before)) = s.last_seen {
                // Others' share grown since the last look: someone arrived; share equally
                // among the clients there were, if each held what we held, and the newcomer.
                if others >= others_before + 2.0 {
                    let clients = (others_before / ours_before.max(1.0)).round() + 1.0;
                    target = target.min((ours + others) / (clients + 1.0));
                }
            }
            let same_level = s.level.is_some_and(|l| (l - ours).abs() <= 1.0);
            s.probe_wait = if s.probing.is_some() && same_level {
                (s.probe_wait * 2).min(PROBE_MAX)
            } else {
                PROBE_MIN
            };
            s.level = Some(ours);
            s.last_seen = Some((others, ours));
            s.budget = target.min(s.share).max(self.floor());
        }
        s.probing = None;
        s.full_since = None;
        s.next_probe = Some(now + s.probe_wait);
        // Leave a gap at the new budget before the next call.
        s.next = s.next.max(now) + gap(s.budget);
    }
}

#[cfg(test)]
#[path = "pacer_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "pacer_sim.rs"]
mod sim;

#[cfg(test)]
#[path = "pacer_sim_tests.rs"]
mod sim_tests;
