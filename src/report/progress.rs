//! The progress consumer: counts events, draws the bar or prints a plain line every 10 seconds,
//! and logs what a person should know about (failures, stops).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::logging;
use super::mode::Display;
use crate::api::OutcomeClass;
use crate::engine::{Event, RowEvent};
use crate::store::RowState;

/// How often plain mode prints a line.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// For tests only, and deliberately undocumented in `--help`: `BULKFLOW_PLAIN_INTERVAL_MS`
/// shortens the plain-line interval so that a test sees lines printed mid-run without waiting
/// ten seconds. Anything that is not a positive number of milliseconds means [`PLAIN_EVERY`].
pub const PLAIN_INTERVAL_ENV: &str = "BULKFLOW_PLAIN_INTERVAL_MS";

/// The plain-line interval: [`PLAIN_EVERY`] unless a test set [`PLAIN_INTERVAL_ENV`].
pub fn plain_every() -> Duration {
    std::env::var(PLAIN_INTERVAL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map_or(PLAIN_EVERY, Duration::from_millis)
}

/// The rate shown is over this long.
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// Finishes are counted in buckets this long: the tally's memory does not grow with the rate.
const BUCKET: Duration = Duration::from_millis(100);

/// The numbers every display shows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub total: u64,
    pub created: u64,
    pub failed: u64,
    pub retrying: u64,
    pub unknown: u64,
    pub deleted: u64,
    pub calls: u64,
    pub throttled: u64,
    /// Current non-final state of rows in play, by line.
    in_play: HashMap<u64, RowState>,
    /// Completion instants of the last few seconds, for the rate.
    /// Rows finished lately, counted per tenth of a second (start of the tenth, rows).
    recent: VecDeque<(Instant, u64)>,
}

impl Tally {
    /// Rows with a final state.
    pub fn done(&self) -> u64 {
        self.created + self.failed + self.deleted
    }

    /// Takes one event into account.
    pub fn apply(&mut self, e: &Event, now: Instant) {
        match e {
            // Each pass of a run (create, update, rotate, wait) goes over every row again.
            Event::Planned { total } => {
                self.total = *total;
                self.created = 0;
                self.failed = 0;
                self.retrying = 0;
                self.unknown = 0;
                self.deleted = 0;
                self.in_play.clear();
            }
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
            Event::Listing { .. } | Event::Stopping { .. } => {}
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
        let left = self.total.saturating_sub(self.done());
        (rate > 0.0 && left > 0).then(|| human_secs(left as f64 / rate))
    }

    /// The numbers as one line, without escape codes.
    pub fn line(&mut self, now: Instant) -> String {
        let rate = self.rate(now);
        let eta = self
            .eta(rate)
            .map(|e| format!(", ETA {e}"))
            .unwrap_or_default();
        format!(
            "{}/{} done: created {}, failed {}, retrying {}, unknown {}; {rate:.1} rows/s{eta}",
            self.done(),
            self.total,
            self.created,
            self.failed,
            self.retrying,
            self.unknown
        )
    }
}

/// `1h02m`, `3m05s`, `12s`.
pub fn human_secs(secs: f64) -> String {
    let s = secs.round().max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// Consumes events until the engine drops its sink.
pub async fn consume(mut rx: UnboundedReceiver<Event>, display: Display) {
    let mut tally = Tally::default();
    let bar = (display == Display::Bar).then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner:.green} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        logging::set_bar(Some(bar.clone()));
        bar
    });
    let mut tick = tokio::time::interval(if bar.is_some() {
        Duration::from_millis(500)
    } else {
        plain_every()
    });
    tick.tick().await;
    loop {
        tokio::select! {
            e = rx.recv() => {
                let Some(e) = e else { break };
                let now = Instant::now();
                tally.apply(&e, now);
                log_event(&e);
                if let Some(bar) = &bar {
                    if let Event::Planned { total } = e {
                        bar.set_length(total);
                    }
                    bar.set_position(tally.done());
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                match (&bar, display) {
                    (Some(bar), _) => {
                        let rate = tally.rate(now);
                        bar.set_message(format!(
                            "created {} · failed {} · retrying {} · unknown {} · {rate:.1}/s{}",
                            tally.created, tally.failed, tally.retrying, tally.unknown,
                            tally.eta(rate).map(|e| format!(" · ETA {e}")).unwrap_or_default(),
                        ));
                    }
                    (None, Display::Plain) => eprintln!("bulkflow: {}", tally.line(now)),
                    _ => {}
                }
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
        logging::set_bar(None);
    } else if display == Display::Plain && tally.total > 0 {
        eprintln!("bulkflow: {}", tally.line(Instant::now()));
    }
}

fn log_event(e: &Event) {
    match e {
        Event::Row(r) if r.state == RowState::Failed && !r.earlier => tracing::warn!(
            line = r.line,
            file_system_id = %r.file_system_id,
            target_path = %r.target_path,
            error_code = r.error_code.as_deref(),
            request_id = r.request_id.as_deref(),
            attempt = r.attempt,
            "row failed: {}",
            r.error_message.as_deref().unwrap_or("")
        ),
        Event::Row(r) if !r.earlier => tracing::debug!(
            line = r.line,
            file_system_id = %r.file_system_id,
            target_path = %r.target_path,
            error_code = r.error_code.as_deref(),
            request_id = r.request_id.as_deref(),
            attempt = r.attempt,
            data_flow_id = r.data_flow_id.as_deref(),
            "row {} (via {})",
            r.state,
            r.via
        ),
        Event::Listing {
            file_system_id,
            flows,
            error,
        } => match error {
            Some(err) => {
                tracing::info!(file_system_id = %file_system_id, error_code = %err.code, "listing failed: {}", err.message)
            }
            None => {
                tracing::debug!(file_system_id = %file_system_id, "listed {flows} flows to resolve unknown outcomes")
            }
        },
        Event::Stopping { detail, .. } => tracing::warn!("stopping: {detail}"),
        _ => {}
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
            Event::Planned { total: 4 },
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
        let line = t.line(now);
        assert!(
            line.starts_with("3/4 done: created 2, failed 1, retrying 0, unknown 0;"),
            "{line}"
        );
        assert!(!line.contains('\x1b'));
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
    fn durations_read_well() {
        assert_eq!(human_secs(12.2), "12s");
        assert_eq!(human_secs(185.0), "3m05s");
        assert_eq!(human_secs(3720.0), "1h02m");
    }
}
