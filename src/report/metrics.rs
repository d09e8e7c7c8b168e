//! `--metrics-file PATH`: the run's figures in the Prometheus text exposition format, for
//! node_exporter's textfile collector. Rewritten atomically (beside, then renamed, so the
//! collector never reads half a file) when the run has taken its state file, once a minute
//! during the run and once at its end. Every series carries the labels `manifest` and
//! `state_file` (absolute paths), so that two jobs writing into one textfile directory publish
//! series of their own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use super::metrics_text::{escape_label, previous_exit, render};
use super::output::write_atomically;
use super::tally::Tally;
use crate::api::tasks::TaskType;
use crate::engine::{Pass, TaskFigures};
use crate::store::task_read::{TaskCounts, Volume};
use crate::store::{PassRecord, RowState};

/// How often the file is rewritten during a run.
pub const METRICS_EVERY: Duration = Duration::from_secs(60);

/// For tests only, and deliberately undocumented in `--help`: `BULKFLOW_METRICS_INTERVAL_MS`
/// shortens [`METRICS_EVERY`] so that a test sees a write mid-run. Anything that is not a
/// positive number of milliseconds means [`METRICS_EVERY`].
pub const METRICS_INTERVAL_ENV: &str = "BULKFLOW_METRICS_INTERVAL_MS";

/// The rewrite interval: [`METRICS_EVERY`] unless a test set [`METRICS_INTERVAL_ENV`].
pub fn metrics_every() -> Duration {
    std::env::var(METRICS_INTERVAL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map_or(METRICS_EVERY, Duration::from_millis)
}

/// The states, in the order the file lists them.
pub(super) const STATES: [RowState; 6] = [
    RowState::Pending,
    RowState::Retrying,
    RowState::Unknown,
    RowState::Created,
    RowState::Failed,
    RowState::Deleted,
];

/// Everything the file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Rows of the manifest per state, in [`STATES`] order.
    pub rows: [u64; 6],
    /// Rows in the manifest.
    pub total: u64,
    pub calls: u64,
    pub throttled: u64,
    pub retries: u64,
    pub listings: u64,
    pub listing_failures: u64,
    /// Whether the run is still going.
    pub running: bool,
    /// When the run started, unix seconds.
    pub started: i64,
    /// The exit code of the last run that ended, and when it ended (unix seconds): this run's
    /// at its end, the previous run's (as the file said) during it.
    pub last_exit: Option<(i32, i64)>,
    /// The labels of every series, in order: name and value (escaped when rendered).
    pub labels: Vec<(&'static str, String)>,
    /// Each pass of the run so far, as the engine counted it.
    pub passes: Vec<PassRecord>,
    /// The manifest's rows' latest data tasks, per type.
    pub tasks: Vec<TaskGauges>,
}

/// The data tasks of one type, for the task gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskGauges {
    /// `metaload`, `restore`, `release`, `archive`.
    pub kind: String,
    /// Tasks per status, in order.
    pub by_status: Vec<(String, u64)>,
    pub volume: Volume,
}

impl TaskGauges {
    /// The tasks of `kind` as the state file holds them (what `status` shows).
    pub fn recorded(kind: TaskType, c: &TaskCounts) -> TaskGauges {
        let mut by_status: Vec<(String, u64)> =
            c.by_status.iter().map(|(s, n)| (s.clone(), *n)).collect();
        for (what, n) in [("not_started", c.not_started()), ("refused", c.refused())] {
            if n > 0 {
                by_status.push((what.to_owned(), n));
            }
        }
        TaskGauges {
            kind: kind.as_str().to_owned(),
            by_status,
            volume: c.volume,
        }
    }

    /// The tasks of `kind` a pass follows, as the engine sums them.
    pub fn followed(kind: TaskType, f: &TaskFigures) -> TaskGauges {
        TaskGauges {
            kind: kind.as_str().to_owned(),
            by_status: f.by_status.clone(),
            volume: f.volume,
        }
    }
}

impl Snapshot {
    /// The figures of a run still going, from the progress tally (the engine's counts).
    pub fn running(t: &Tally, started: i64, last_exit: Option<(i32, i64)>) -> Snapshot {
        let run = t.run();
        let mut passes: Vec<PassRecord> = t
            .passes
            .iter()
            .map(|(p, c)| c.record(p.name(), p.word(), 0))
            .collect();
        if t.total > 0 {
            passes.push(t.counts.record(t.pass.name(), t.pass.word(), 0));
        }
        Snapshot {
            rows: STATES.map(|s| t.rows(s)),
            total: t.total,
            calls: run.calls,
            throttled: run.throttled,
            retries: run.retries,
            listings: run.listings,
            listing_failures: run.listing_failures,
            running: true,
            started,
            last_exit,
            labels: Vec::new(),
            passes,
            tasks: Vec::new(),
        }
    }

    /// Sets the rows per state from `count` (the state file's counts at the end of a run).
    pub fn with_rows(mut self, count: impl Fn(RowState) -> u64) -> Snapshot {
        for (slot, state) in self.rows.iter_mut().zip(STATES) {
            *slot = count(state);
        }
        self
    }
}

/// The metrics file of one run: where, since when, its labels, what the state file held when
/// the run started, and what the last finished run left there.
#[derive(Debug)]
pub struct MetricsFile {
    path: PathBuf,
    started: i64,
    last_exit: Option<(i32, i64)>,
    labels: Vec<(&'static str, String)>,
    /// Rows per state (in [`STATES`] order) and their total, as the state file held them
    /// before the run: the figures of the first write, and of a run that ends without any.
    baseline: Option<([u64; 6], u64)>,
    /// The data tasks as the state file held them before the run.
    tasks: Vec<TaskGauges>,
    /// Whether the file was written during this run yet.
    written: bool,
    /// A failed write is reported once, not every minute.
    warned: bool,
}

impl MetricsFile {
    /// The file at `path` for a run that starts now, its series labelled `labels`; the previous
    /// run's exit code is read back from it (the first 64 KiB), so that it stays in the file
    /// while this run goes.
    pub fn new(path: &Path, labels: Vec<(&'static str, String)>) -> MetricsFile {
        let mut text = String::new();
        if let Ok(f) = std::fs::File::open(path) {
            use std::io::Read;
            let _ = f.take(64 * 1024).read_to_string(&mut text);
        }
        MetricsFile {
            path: path.to_owned(),
            started: crate::store::now_ms().div_euclid(1000),
            last_exit: previous_exit(&text),
            labels,
            baseline: None,
            tasks: Vec::new(),
            written: false,
            warned: false,
        }
    }

    /// Rows per state as the state file holds them before the run (`count`), their total, and
    /// its data tasks per type.
    pub fn set_baseline(
        &mut self,
        count: impl Fn(RowState) -> u64,
        total: u64,
        tasks: &[(TaskType, TaskCounts)],
    ) {
        let mut rows = [0; 6];
        for (slot, state) in rows.iter_mut().zip(STATES) {
            *slot = count(state);
        }
        self.baseline = Some((rows, total));
        self.tasks = tasks
            .iter()
            .map(|(k, c)| TaskGauges::recorded(*k, c))
            .collect();
    }

    /// The figures of the run so far: the data tasks as the state file held them, but those
    /// of the type a pass follows as the engine sums them now.
    pub fn running(&self, t: &Tally) -> Snapshot {
        let mut tasks = self.tasks.clone();
        if let (Pass::TaskWait(kind), Some(f)) = (t.pass, &t.tasks.figures) {
            let live = TaskGauges::followed(kind, f);
            match tasks.iter_mut().find(|g| g.kind == live.kind) {
                Some(g) => *g = live,
                None => tasks.push(live),
            }
        }
        Snapshot {
            labels: self.labels.clone(),
            tasks,
            ..Snapshot::running(t, self.started, self.last_exit)
        }
    }

    /// The figures of a run that has just taken its state file: the rows as the state file
    /// held them, no call yet.
    pub fn starting(&self) -> Snapshot {
        let mut s = self.running(&Tally::default());
        if let Some((rows, total)) = self.baseline {
            s.rows = rows;
            s.total = total;
        }
        s
    }

    /// Whether the file was written during this run yet.
    pub fn written(&self) -> bool {
        self.written
    }

    /// The figures at the end of the run, which ended now with `code`.
    pub fn ended(&self, t: &Tally, code: i32) -> Snapshot {
        let end = crate::store::now_ms().div_euclid(1000);
        Snapshot {
            running: false,
            last_exit: Some((code, end)),
            ..self.running(t)
        }
    }

    /// The figures of a run that ended with `code` and summed up as `end`: its rows, calls and
    /// passes as the engine counted them, and the data tasks as the state file now holds them
    /// (what `status` shows).
    pub fn ended_run(&self, t: &Tally, end: &crate::engine::RunSummary, code: i32) -> Snapshot {
        let mut s = self.ended(t, code);
        s.rows = STATES.map(|st| end.counts.get(&st).copied().unwrap_or(0));
        s.total = end.total;
        s.calls = end.calls;
        s.throttled = end.throttled;
        s.passes = end
            .passes
            .iter()
            .map(crate::engine::PassTime::record)
            .collect();
        s.tasks = end
            .all_tasks
            .iter()
            .map(|(k, c)| TaskGauges::recorded(*k, c))
            .collect();
        s
    }

    /// The figures of a run that ended with `code` before it had any: the state file's.
    pub fn ended_early(&self, code: i32) -> Snapshot {
        let end = crate::store::now_ms().div_euclid(1000);
        Snapshot {
            running: false,
            last_exit: Some((code, end)),
            ..self.starting()
        }
    }

    /// Writes `s`; a failure is a warning (once), never the end of the run.
    pub fn write(&mut self, s: &Snapshot) {
        let text = render(s);
        let result = write_atomically(&self.path, |f| f.write_all(text.as_bytes()));
        self.written = true;
        tracing::debug!(
            running = s.running,
            ok = result.is_ok(),
            "metrics file written"
        );
        if let Err(e) = result {
            if !std::mem::replace(&mut self.warned, true) {
                super::diag::warn(format!("--metrics-file: cannot write it: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_of_the_last_run_is_read_back() {
        let s = Snapshot {
            last_exit: Some((4, 1_714_566_896)),
            ..Snapshot::default()
        };
        assert_eq!(previous_exit(&render(&s)), Some((4, 1_714_566_896)));
        assert_eq!(previous_exit(&render(&Snapshot::default())), None);
        assert_eq!(previous_exit("bulkflow_last_exit_code x\n"), None);
        assert_eq!(previous_exit("\u{0}\u{ff}garbage"), None);
        let labelled = Snapshot {
            last_exit: Some((3, 17)),
            labels: vec![("manifest", "/srv/my flows.csv".into())],
            ..Snapshot::default()
        };
        assert_eq!(previous_exit(&render(&labelled)), Some((3, 17)));
    }

    #[test]
    fn label_values_are_escaped_as_the_text_format_says() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        let s = Snapshot {
            labels: vec![("manifest", "q\"\n".into()), ("state_file", "s".into())],
            ..Snapshot::default()
        };
        let text = render(&s);
        assert!(
            text.contains(
                "bulkflow_rows{state=\"pending\",manifest=\"q\\\"\\n\",state_file=\"s\"} 0\n"
            ),
            "{text}"
        );
        assert!(text.contains("bulkflow_calls_total{manifest="), "{text}");
    }
}
