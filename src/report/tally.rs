//! The run's figures as the engine counts them: what the bar, the plain lines and the metrics
//! file show. The core hands out its pass's counts whole ([`Event::Counts`]); the tally keeps
//! the latest, each finished pass's, and the rate at which rows are finished, and never counts
//! rows or calls itself.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::{Event, Pass, Totals};
use crate::store::RowState;

pub use super::human::human_secs;
use super::task_tally::TaskTally;

/// The rate shown is over this long.
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// Samples of rows finished are kept at most this often.
const BUCKET: Duration = Duration::from_millis(100);

/// The figures every display shows: the current pass's counts (each pass of a run goes over
/// every row again), the passes before it, and the data tasks it follows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Rows in the manifest.
    pub total: u64,
    /// The pass going on: its goal's word names the rows it brought there.
    pub pass: Pass,
    /// The pass's counts, as the engine last told them.
    pub counts: Totals,
    /// The counts of the run's passes before it, summed by the engine.
    pub before: Totals,
    /// Each finished pass with its last counts, in order.
    pub passes: Vec<(Pass, Totals)>,
    /// (when, rows the pass had finished), oldest first, within [`RATE_WINDOW`] of the newest.
    recent: VecDeque<(Instant, u64)>,
    /// The data tasks the pass follows, as the engine sums them.
    pub tasks: TaskTally,
}

impl Tally {
    /// Rows the pass brought to its goal (by its calls, adopted, found so).
    pub fn reached(&self) -> u64 {
        self.counts.reached()
    }

    /// Rows the pass is done with (settled before it, or ended by it).
    pub fn done(&self) -> u64 {
        self.counts.done()
    }

    /// Rows neither done nor told to be retrying or unknown.
    pub fn pending(&self) -> u64 {
        self.total
            .saturating_sub(self.done() + self.counts.retrying + self.counts.unknown)
    }

    /// The run's counts so far: the passes before and this one.
    pub fn run(&self) -> Totals {
        let mut t = self.before.clone();
        t.add(&self.counts);
        t
    }

    /// Rows per state as the current pass has them, in `RowState::ALL` order's sense: the rows
    /// it reached in its goal's state, those settled before it in theirs, the rest `pending`.
    pub fn rows(&self, state: RowState) -> u64 {
        let c = &self.counts;
        let goal = match self.pass {
            Pass::Delete => RowState::Deleted,
            _ => RowState::Created,
        };
        let earlier = c.earlier.get(&state).copied().unwrap_or(0);
        match state {
            s if s == goal => earlier + c.reached() + c.unchanged + c.skipped_rows(),
            RowState::Failed => earlier + c.failed,
            RowState::Unknown => earlier + c.left_unknown + c.unknown,
            RowState::Retrying => earlier + c.retrying,
            RowState::Pending => {
                let others: u64 = RowState::ALL
                    .iter()
                    .filter(|s| **s != RowState::Pending)
                    .map(|s| self.rows(*s))
                    .sum();
                self.total.saturating_sub(others)
            }
            _ => earlier,
        }
    }

    /// Takes one event into account.
    pub fn apply(&mut self, e: &Event, now: Instant) {
        match e {
            Event::Planned {
                total,
                pass,
                before,
            } => {
                if self.total > 0 || self.counts != Totals::default() {
                    let last = std::mem::take(&mut self.counts);
                    self.passes.push((self.pass, last));
                }
                self.total = *total;
                self.pass = *pass;
                self.before = (**before).clone();
                self.counts = Totals::default();
                self.recent.clear();
                self.tasks.reset();
            }
            Event::Tasks(f) => self.tasks.apply(f, now),
            Event::Counts(c) => {
                self.counts = (**c).clone();
                self.sample(now);
            }
            Event::Row(_) | Event::Listing { .. } | Event::Stopping { .. } => {}
        }
    }

    /// Keeps how many rows the pass had finished by now (not those settled before it), at
    /// most one sample per tenth of a second: the tally's memory does not grow with the rows.
    fn sample(&mut self, now: Instant) {
        let ended = self
            .counts
            .done()
            .saturating_sub(self.counts.earlier_rows());
        self.forget_before(now);
        match self.recent.back_mut() {
            Some((t, n)) if now.saturating_duration_since(*t) < BUCKET => *n = ended,
            _ => self.recent.push_back((now, ended)),
        }
    }

    /// Forgets the samples older than the rate's window, keeping one to measure from.
    fn forget_before(&mut self, now: Instant) {
        while self.recent.len() > 1
            && self
                .recent
                .get(1)
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) > RATE_WINDOW)
        {
            self.recent.pop_front();
        }
    }

    /// Rows finished per second over the last 10 seconds.
    pub fn rate(&mut self, now: Instant) -> f64 {
        self.forget_before(now);
        let (Some((t0, n0)), Some((_, n1))) = (self.recent.front(), self.recent.back()) else {
            return 0.0;
        };
        let span = now.saturating_duration_since(*t0).as_secs_f64().max(1.0);
        n1.saturating_sub(*n0) as f64 / span
    }

    /// The time left at `rate` rows per second, when there is a rate and something left.
    pub fn eta(&self, rate: f64) -> Option<String> {
        self.eta_secs(rate).map(|s| human_secs(s as f64))
    }

    /// [`Tally::eta`] in whole seconds, for scripts.
    pub fn eta_secs(&self, rate: f64) -> Option<u64> {
        let left = self.total.saturating_sub(self.done());
        // `as` saturates: a rate of almost nothing is a very long time, not a panic.
        (rate > 0.0 && left > 0).then(|| (left as f64 / rate).round() as u64)
    }

    /// The numbers as one line, without escape codes: `480/1200 done: created 470, failed
    /// 10, retrying 2, unknown 0; 19.8 rows/s, ETA 36s`, with the rows adopted, left
    /// unchanged and settled before the pass when there are any.
    pub fn line(&mut self, now: Instant) -> String {
        let rate = self.rate(now);
        let eta = self
            .eta(rate)
            .map(|e| format!(", ETA {e}"))
            .unwrap_or_default();
        let c = &self.counts;
        let mut how = String::new();
        for (n, what) in [
            (c.adopted, "adopted"),
            (c.unchanged, "unchanged"),
            (c.earlier_rows(), "earlier"),
        ] {
            if n > 0 {
                how.push_str(&format!(", {what} {n}"));
            }
        }
        format!(
            "{}/{} done: {} {}{how}, failed {}, retrying {}, unknown {}; {rate:.1} rows/s{eta}",
            self.done(),
            self.total,
            self.pass.word(),
            c.called + c.found,
            c.failed,
            c.retrying,
            c.unknown
        )
    }
}

#[cfg(test)]
#[path = "tally_tests.rs"]
mod tests;
