//! Pacing one host's calls of one action under the service's limit: at most `rate` calls over
//! any sliding second, counted at arrival, shared with every other client of the account.
//!
//! The pacer keeps a *budget*: how many of its calls may fall in one window (a second and a
//! margin). Calls leave evenly spaced at `window / budget`, and never so that a window would
//! hold more than the budget: the send times the shell reports back (a call can leave later
//! than its slot, when its mark took long to commit) are what is counted, not the slots.
//!
//! How the budget follows the service is [`super::pacer_adapt`]'s:
//! - It starts cautiously: 60% of the ceiling for half a second, then climbs to the ceiling
//!   within about two seconds, unless the service throttles a call first.
//! - A throttle while climbing is a *fill*: the service's window has just filled, and our calls
//!   in it (our count) are what is left to us: the budget and our *share* become that count.
//!   Clients started together fill the window in lockstep, one call of each in turn, and learn
//!   equal shares from the same fill. A fill with almost none of ours is a newcomer's: it asks
//!   for room, about once a second, its calls spread, until it has room and fills it.
//! - At its share a client holds on: one throttle while steady is someone's probe (it took one
//!   call of ours, once); two within ten seconds are a newcomer: make room as if one more client
//!   had come to equal shares, then a while later ask the room back one call at a time, and keep
//!   it if nobody took it (a client that does not adapt). Soon after a fill a throttle means the
//!   fill's count was one too many: the share is corrected down.
//! - Above its share a probe is one call more for one window, seldom (the smaller the share, the
//!   rarer: all the clients together probe about as often as one), at random moments; a refused
//!   probe doubles the wait; three that go through in a row mean room (a client left):
//!   climb into it at the start's pace up to the next fill.
//! - Throttles of calls given their slot before a decrease are of its burst: they lower the
//!   budget to what the service counted, and are not taken for more decreases.
//! - Peers: other bulkflow processes of this machine pacing the same calls
//!   ([`super::peers`]) are counted every [`PEER_EVERY`]; the budget never exceeds this
//!   process's whole-call share of the ceiling among them ([`Peering::share`]), drops to it when
//!   one arrives and rises to it when one leaves. A process that finds peers already there waits
//!   for them to make room.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::pacer_adapt::Adapt;
pub use super::pacer_adapt::WINDOW;
use super::peers::{PeerCount, Peering};

/// How far ahead of its slot a call gets it: enough to record the call before it is due.
pub const LEAD: Duration = Duration::from_millis(100);
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
    /// The decreases made before its slot was taken.
    epoch: u32,
}

impl Entry {
    fn at(&self) -> Instant {
        self.sent.unwrap_or(self.slot)
    }
}

#[derive(Debug)]
struct State {
    next: Instant,
    adapt: Adapt,
    first: Option<Instant>,
    ledger: VecDeque<Entry>,
    /// Decreases so far: a throttle of a call whose slot was taken before the last one is of
    /// the same burst.
    epoch: u32,
    /// The send time of the refused call that opened the last burst, and when it was answered.
    burst: Option<Instant>,
    last_decrease: Option<Instant>,
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
        Pacer::seeded(rate, peers, rand::random())
    }

    /// The same, its probes spread by a generator seeded with `seed` (deterministic tests).
    pub(crate) fn seeded(rate: f64, peers: Option<Box<dyn PeerCount>>, seed: u64) -> Pacer {
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
                adapt: Adapt::new(cap, seed),
                first: None,
                ledger: VecDeque::new(),
                epoch: 0,
                burst: None,
                last_decrease: None,
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
        if share > s.share && seen.n < s.peers_seen.n {
            // One left: its share is free (a client elsewhere will throttle us back if not).
            s.adapt.budget = s.adapt.budget.max(share);
        }
        // A newcomer: make room at once.
        s.adapt.limit(share);
        s.share = share;
        s.peers_seen = seen;
        if s.first.is_none() {
            // Peers were there before our first call: they make room within a count, and their
            // calls of the last window must age out of the service's window before ours join.
            s.next = s.next.max(now + PEER_EVERY + WINDOW);
        }
    }

    /// The user's ceiling (calls per second); 0 when unpaced.
    pub fn ceiling(&self) -> f64 {
        self.cap
    }

    /// The current target rate (calls per second); 0 when unpaced.
    pub fn rate(&self) -> f64 {
        self.lock().adapt.budget / WINDOW.as_secs_f64()
    }

    /// The current budget: calls per window.
    pub fn budget(&self) -> f64 {
        self.lock().adapt.budget
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
        let k = s.adapt.budget.floor() as usize;
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
        let spacing = s.adapt.spacing(now);
        s.next = slot + gap(s.adapt.budget).mul_f64(spacing);
        s.first.get_or_insert(slot);
        let epoch = s.epoch;
        s.ledger.push_back(Entry {
            slot,
            sent: None,
            epoch,
        });
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

    /// Our calls sent in the second before `at`: what the service counted of ours when it
    /// refused a call arriving then.
    fn ours(s: &State, at: Instant) -> f64 {
        let from = at.checked_sub(Duration::from_secs(1));
        s.ledger
            .iter()
            .filter(|e| from.is_none_or(|w| e.at() > w) && e.at() < at)
            .count() as f64
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
        let (first, share) = (s.first, s.share);
        s.adapt.succeeded(now, sent, first, share);
    }

    /// The service throttled a call sent at `sent`.
    pub fn throttled(&self, sent: Instant) {
        if self.cap <= 0.0 {
            return;
        }
        let mut s = self.lock();
        let now = Instant::now();
        // A refused call does not count in the service's window.
        let entry = Self::entry(&mut s, sent).and_then(|i| s.ledger.remove(i));
        let same_burst = match entry {
            Some(e) => e.epoch < s.epoch,
            // A call we did not give a slot to: of the burst if sent before the decrease.
            None => s.last_decrease.is_some_and(|t| sent < t),
        };
        if same_burst {
            // The same burst: with this call out of our count, what was left may be less.
            if let Some(at) = s.burst {
                let ours = Self::ours(&s, at).min(Self::ours(&s, sent));
                s.adapt.limit(ours);
            }
            return;
        }
        let ours = Self::ours(&s, sent);
        let share = s.share;
        if s.adapt.throttled(now, ours, share) {
            s.epoch += 1;
            s.burst = Some(sent);
            s.last_decrease = Some(now);
            // Leave a gap at the new budget before the next call.
            s.next = s.next.max(now) + gap(s.adapt.budget);
        }
    }
}

#[cfg(test)]
#[path = "pacer_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "pacer_adapt_tests.rs"]
mod adapt_tests;

#[cfg(test)]
#[path = "pacer_sim.rs"]
mod sim;

#[cfg(test)]
#[path = "pacer_sim_tests.rs"]
mod sim_tests;
