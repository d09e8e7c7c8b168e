//! The run's figures as its events tell them: what the bar, the plain lines and the metrics file
//! show. One tally, fed by the progress consumer, so that every display agrees.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::api::OutcomeClass;
use crate::engine::{Event, Pass, RowEvent};
use crate::store::RowState;

pub use super::human::human_secs;
use super::task_tally::TaskTally;

/// The rate shown is over this long.
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// Finishes are counted in buckets this long.
const BUCKET: Duration = Duration::from_millis(100);

/// The numbers every display shows. Row counts follow the current pass (each pass of a run goes
/// over every row again); calls, retries and listings add up over the whole run.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub total: u64,
    /// The pass going on: its goal's word names the rows done.
    pub pass: Pass,
    pub created: u64,
    pub failed: u64,
    pub retrying: u64,
    pub unknown: u64,
    pub deleted: u64,
    /// Calls sent (creates, deletes, modifies; listings apart).
    pub calls: u64,
    /// Of which throttled.
    pub throttled: u64,
    /// Times a row was set to `retrying` by this run: each will be sent again.
    pub retries: u64,
    /// DescribeDataFlow listings of a file system.
    pub listings: u64,
    /// Of which failed.
    pub listing_failures: u64,
    /// Current non-final state of rows in play, by line.
    in_play: HashMap<u64, RowState>,
    /// Rows finished lately, counted per tenth of a second (start of the tenth, rows): the
    /// tally's memory does not grow with the rows.
    recent: VecDeque<(Instant, u64)>,
    /// The data tasks the pass follows, as the engine sums them.
    pub tasks: TaskTally,
}

impl Tally {
    /// Rows that reached the current pass's goal.
    pub fn reached(&self) -> u64 {
        match self.pass {
            Pass::Delete => self.deleted,
            _ => self.created,
        }
    }

    /// Rows with a final state.
    pub fn done(&self) -> u64 {
        self.created + self.failed + self.deleted
    }

    /// Rows not yet attempted in this pass: neither final nor in play.
    pub fn pending(&self) -> u64 {
        self.total
            .saturating_sub(self.done() + self.retrying + self.unknown)
    }

    /// Takes one event into account.
    pub fn apply(&mut self, e: &Event, now: Instant) {
        match e {
            Event::Planned { total, pass } => {
                self.total = *total;
                self.pass = *pass;
                self.created = 0;
                self.failed = 0;
                self.retrying = 0;
                self.unknown = 0;
                self.deleted = 0;
                self.in_play.clear();
                self.tasks.reset();
            }
            Event::Tasks(f) => self.tasks.apply(f, now),
            Event::Call { class, .. } => {
                self.calls += 1;
                if *class == OutcomeClass::Throttled {
                    self.throttled += 1;
                }
            }
            Event::Row(r) => self.row(r, now),
            Event::Earlier { state, rows } => {
                let rows = i64::try_from(*rows).unwrap_or(i64::MAX);
                self.count(*state, rows);
            }
            Event::Listing { error, .. } => {
                self.listings += 1;
                if error.is_some() {
                    self.listing_failures += 1;
                }
            }
            Event::Stopping { .. } => {}
        }
    }

    fn row(&mut self, r: &RowEvent, now: Instant) {
        if let Some(old) = self.in_play.remove(&r.line) {
            self.count(old, -1);
        }
        match r.state {
            RowState::Created | RowState::Failed | RowState::Deleted => {
                self.count(r.state, 1);
                if !r.earlier {
                    // Kept for the rate over the last seconds only: a run without a display never
                    // asks for the rate, and would otherwise keep 16 bytes per row to the end.
                    self.forget_before(now);
                    match self.recent.back_mut() {
                        Some((start, n)) if now.saturating_duration_since(*start) < BUCKET => {
                            *n += 1
                        }
                        _ => self.recent.push_back((now, 1)),
                    }
                }
            }
            RowState::Retrying | RowState::Unknown => {
                self.count(r.state, 1);
                self.in_play.insert(r.line, r.state);
                if r.state == RowState::Retrying && !r.earlier {
                    self.retries += 1;
                }
            }
            RowState::Pending => {}
        }
    }

    fn count(&mut self, s: RowState, d: i64) {
        let c = match s {
            RowState::Created => &mut self.created,
            RowState::Failed => &mut self.failed,
            RowState::Retrying => &mut self.retrying,
            RowState::Unknown => &mut self.unknown,
            RowState::Deleted => &mut self.deleted,
            RowState::Pending => return,
        };
        *c = c.saturating_add_signed(d);
    }

    /// Forgets the finishes older than the rate's window.
    fn forget_before(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > RATE_WINDOW)
        {
            self.recent.pop_front();
        }
    }

    /// Rows finished per second over the last 10 seconds.
    pub fn rate(&mut self, now: Instant) -> f64 {
        self.forget_before(now);
        let Some((first, _)) = self.recent.front() else {
            return 0.0;
        };
        let span = (now - *first).as_secs_f64().max(1.0);
        self.recent.iter().map(|(_, n)| *n).sum::<u64>() as f64 / span
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

    /// The numbers as one line, without escape codes.
    pub fn line(&mut self, now: Instant) -> String {
        let rate = self.rate(now);
        let eta = self
            .eta(rate)
            .map(|e| format!(", ETA {e}"))
            .unwrap_or_default();
        format!(
            "{}/{} done: {} {}, failed {}, retrying {}, unknown {}; {rate:.1} rows/s{eta}",
            self.done(),
            self.total,
            self.pass.word(),
            self.reached(),
            self.failed,
            self.retrying,
            self.unknown
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, state: RowState, earlier: bool) -> Event {
        Event::Row(RowEvent {
            line,
            file_system_id: "cfs-1".into(),
            target_path: "/cfs/a".into(),
            state,
            data_flow_id: None,
            error_code: None,
            error_message: None,
            request_id: None,
            attempt: 1,
            earlier,
            via: "call",
        })
    }

    #[test]
    fn the_tally_follows_rows_through_their_states() {
        let now = Instant::now();
        let mut t = Tally::default();
        for e in [
            Event::Planned {
                total: 5,
                pass: Pass::Create,
            },
            row(1, RowState::Created, true),
            row(2, RowState::Retrying, false),
            row(3, RowState::Unknown, false),
            row(2, RowState::Created, false),
            row(3, RowState::Failed, false),
        ] {
            t.apply(&e, now);
        }
        assert_eq!(
            (t.created, t.failed, t.retrying, t.unknown, t.done()),
            (2, 1, 0, 0, 3)
        );
        assert_eq!((t.pending(), t.retries), (2, 1));
        let line = t.line(now);
        assert!(
            line.starts_with("3/5 done: created 2, failed 1, retrying 0, unknown 0;"),
            "{line}"
        );
        assert!(!line.contains('\x1b'));
    }

    #[test]
    fn calls_and_listings_add_up_over_passes() {
        let now = Instant::now();
        let mut t = Tally::default();
        let call = |class| Event::Call {
            class,
            latency: Duration::ZERO,
        };
        let listing = |error: Option<crate::api::CallError>| Event::Listing {
            file_system_id: "cfs-1".into(),
            flows: 0,
            error,
        };
        for e in [
            Event::Planned {
                total: 1,
                pass: Pass::Create,
            },
            call(OutcomeClass::Throttled),
            call(OutcomeClass::Success),
            listing(None),
            listing(Some(crate::api::CallError {
                class: OutcomeClass::Transient,
                code: "InternalError".into(),
                message: "m".into(),
                request_id: None,
            })),
            Event::Planned {
                total: 1,
                pass: Pass::Create,
            },
            call(OutcomeClass::Success),
        ] {
            t.apply(&e, now);
        }
        assert_eq!((t.calls, t.throttled, t.listings), (3, 1, 2));
        assert_eq!(t.listing_failures, 1);
    }

    #[test]
    fn finishes_older_than_the_rate_window_are_not_kept() {
        // A run without a display never asks for the rate: the tally must not keep every row.
        let start = Instant::now();
        let mut t = Tally::default();
        for i in 0..10_000u64 {
            let now = start + Duration::from_millis(10 * i);
            t.apply(&row(i, RowState::Created, false), now);
        }
        assert!(t.recent.len() <= 102, "{}", t.recent.len());
        let rate = t.rate(start + Duration::from_millis(10 * 9_999));
        assert!((rate - 100.0).abs() < 5.0, "{rate}");
    }

    #[test]
    fn rows_final_before_the_run_are_counted_in_bulk() {
        let now = Instant::now();
        let mut t = Tally::default();
        t.apply(
            &Event::Planned {
                total: 10,
                pass: Pass::Create,
            },
            now,
        );
        t.apply(
            &Event::Earlier {
                state: RowState::Created,
                rows: 7,
            },
            now,
        );
        assert_eq!((t.created, t.done(), t.pending()), (7, 7, 3));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_secs(12.2), "12s");
        assert_eq!(human_secs(185.0), "3m05s");
        assert_eq!(human_secs(3720.0), "1h02m");
    }
}
