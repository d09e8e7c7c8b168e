//! `--metrics-file PATH`: the run's figures in the Prometheus text exposition format, for
//! node_exporter's textfile collector. Rewritten atomically (beside, then renamed, so the
//! collector never reads half a file) when the run has taken its state file, once a minute
//! during the run and once at its end. Every series carries the labels `manifest` and
//! `state_file` (absolute paths), so that two jobs writing into one textfile directory publish
//! series of their own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::output::write_atomically;
use super::tally::Tally;
use crate::store::RowState;

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
const STATES: [RowState; 6] = [
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
}

impl Snapshot {
    /// The figures of a run still going, from the progress tally.
    pub fn running(t: &Tally, started: i64, last_exit: Option<(i32, i64)>) -> Snapshot {
        Snapshot {
            rows: [
                t.pending(),
                t.retrying,
                t.unknown,
                t.created,
                t.failed,
                t.deleted,
            ],
            total: t.total,
            calls: t.calls,
            throttled: t.throttled,
            retries: t.retries,
            listings: t.listings,
            listing_failures: t.listing_failures,
            running: true,
            started,
            last_exit,
            labels: Vec::new(),
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

/// A label value as the text format writes it: backslash, double quote and line feed escaped.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `{a="x",b="y"}` of the series' own labels and the file's; empty when there are none.
fn label_set(own: &[(&str, &str)], common: &[(&'static str, String)]) -> String {
    let all: Vec<String> = own
        .iter()
        .map(|(k, v)| (*k, *v))
        .chain(common.iter().map(|(k, v)| (*k, v.as_str())))
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    if all.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", all.join(","))
    }
}

/// One metric: name, type, help, and its samples (label set, value).
fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for (labels, value) in samples {
        out.push_str(&format!("{name}{labels} {value}\n"));
    }
}

/// The file's text: `# HELP` and `# TYPE` lines, then the samples, every name `bulkflow_`.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let rows: Vec<(String, String)> = STATES
        .iter()
        .zip(s.rows)
        .map(|(st, n)| {
            (
                label_set(&[("state", st.as_str())], &s.labels),
                n.to_string(),
            )
        })
        .collect();
    metric(
        &mut out,
        "bulkflow_rows",
        "gauge",
        "Rows of the manifest per state (during a run: as its current pass has them).",
        &rows,
    );
    // Every other metric has one sample: (name, type, help, value).
    let mut single: Vec<(&str, &str, &str, String)> = vec![
        (
            "bulkflow_manifest_rows",
            "gauge",
            "Rows in the manifest.",
            s.total.to_string(),
        ),
        (
            "bulkflow_calls_total",
            "counter",
            "Calls sent by this run (creates, deletes, modifies; listings apart).",
            s.calls.to_string(),
        ),
        (
            "bulkflow_throttled_calls_total",
            "counter",
            "Calls of this run the API throttled.",
            s.throttled.to_string(),
        ),
        (
            "bulkflow_retries_total",
            "counter",
            "Times this run set a row to retrying (to be sent again after a transient failure).",
            s.retries.to_string(),
        ),
        (
            "bulkflow_listings_total",
            "counter",
            "DescribeDataFlow listings of a file system by this run.",
            s.listings.to_string(),
        ),
        (
            "bulkflow_listing_failures_total",
            "counter",
            "Listings of this run that failed.",
            s.listing_failures.to_string(),
        ),
        (
            "bulkflow_running",
            "gauge",
            "1 while the run is going, 0 once it has ended.",
            u8::from(s.running).to_string(),
        ),
        (
            "bulkflow_run_start_time_seconds",
            "gauge",
            "When the run started, in unix seconds.",
            s.started.to_string(),
        ),
    ];
    if let Some((code, end)) = s.last_exit {
        single.push(("bulkflow_last_exit_code", "gauge", "Exit code of the last run that ended (0 done, 1 rows failed, 2 usage, 3 fatal, 4 interrupted, 5 state file).", code.to_string()));
        single.push((
            "bulkflow_last_end_time_seconds",
            "gauge",
            "When the last run ended, in unix seconds.",
            end.to_string(),
        ));
    }
    for (name, kind, help, value) in single {
        metric(
            &mut out,
            name,
            kind,
            help,
            &[(label_set(&[], &s.labels), value)],
        );
    }
    out
}

/// The exit code and end time an earlier run left in `text` (a metrics file it wrote, with or
/// without labels).
pub fn previous_exit(text: &str) -> Option<(i32, i64)> {
    let value = |name: &str| {
        text.lines()
            .find(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([' ', '{']))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let code = i32::try_from(value("bulkflow_last_exit_code")?).ok()?;
    Some((code, value("bulkflow_last_end_time_seconds")?))
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
            written: false,
            warned: false,
        }
    }

    /// Rows per state as the state file holds them before the run (`count`), and their total.
    pub fn set_baseline(&mut self, count: impl Fn(RowState) -> u64, total: u64) {
        let mut rows = [0; 6];
        for (slot, state) in rows.iter_mut().zip(STATES) {
            *slot = count(state);
        }
        self.baseline = Some((rows, total));
    }

    /// The figures of the run so far.
    pub fn running(&self, t: &Tally) -> Snapshot {
        Snapshot {
            labels: self.labels.clone(),
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
