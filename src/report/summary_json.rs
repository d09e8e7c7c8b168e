//! The closing summary as one JSON object, for scripts: on stderr with `--log-format json`, and
//! in the file `--summary-file` names. The keys are stable (README, "The summary for scripts"):
//! new ones may be added, none renamed or removed.

use serde::Serialize;

use super::json_log;
use crate::engine::{RunSummary, StopReason};
use crate::exit::ExitCode;
use crate::store::RowState;

/// Rows per state, every state always present.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub failed: u64,
    pub unknown: u64,
    pub retrying: u64,
    pub pending: u64,
    pub deleted: u64,
}

/// Why the run stopped early.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Stopped {
    /// `max_runtime`, `interrupted`, `fatal`, `store` or `manifest`.
    pub reason: &'static str,
    pub detail: String,
}

/// Failed rows of one error code.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub count: u64,
}

/// The summary object, keys in this order. The figures are `null` when the run ended before it
/// had any (`error` then says why).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SummaryJson {
    pub manifest: String,
    pub state_file: String,
    /// What the run's goal is: `created` (`run`), `deleted` (`delete`), `started` or
    /// `stopped` (`bulkflow task`).
    pub goal: &'static str,
    pub total: Option<u64>,
    pub counts: Option<Counts>,
    /// Rows the run's goal pass brought to its goal (flows created or adopted, deleted, tasks
    /// started or stopped, as `goal` says).
    pub created_now: Option<u64>,
    pub calls: Option<u64>,
    pub throttled: Option<u64>,
    pub elapsed_s: Option<f64>,
    /// Calls per second.
    pub rate: Option<f64>,
    pub exit_code: i32,
    pub stopped: Option<Stopped>,
    pub failures: Vec<Failure>,
    /// Created rows whose flow was not yet available when `--wait` gave up.
    pub waiting: Option<u64>,
    /// Each pass of the run, in order, with its time and calls.
    pub passes: Vec<PassJson>,
    /// The data tasks of the run, per type.
    pub tasks: Option<serde_json::Value>,
    /// Rows left unsent (a task of a row with no available flow), per code.
    pub skipped: Option<std::collections::BTreeMap<String, u64>>,
    /// The command that resumes the run.
    pub resume: String,
    /// Why the run ended without a summary (a manifest, state or credentials problem).
    pub error: Option<String>,
    /// Of `created_now`, the flows adopted: they existed with the row's source, and no create
    /// was sent.
    pub adopted_now: Option<u64>,
    /// `run`, `delete`, `task` or `task --stop`.
    pub command: Option<&'static str>,
}

/// One pass of a run, for the summary file (and `status --json`'s last run).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PassJson {
    /// `create`, `wait`, `start metaload`, `follow metaload`, ...
    pub pass: String,
    pub elapsed_s: f64,
    pub calls: u64,
    pub throttled: u64,
    /// Rows the pass brought to its goal: `called + adopted + found`.
    pub done: u64,
    /// What those rows are: `created`, `updated`, `available`, `deleted`, `started`, ...
    pub word: String,
    /// Rows brought to the goal by the pass's calls.
    pub called: u64,
    /// Rows brought to the goal by adopting what existed with their source, with no call.
    pub adopted: u64,
    /// Rows a listing found at the goal, with no call of the pass.
    pub found: u64,
    /// Rows with nothing to do, left as they were.
    pub unchanged: u64,
    pub failed: u64,
    /// Rows left unsent, reported with a code.
    pub skipped: u64,
    /// Rows left for a later run (unknown, pending again, set aside).
    pub left: u64,
    /// Rows settled before the pass began.
    pub earlier: u64,
}

impl PassJson {
    /// A pass as the state file records it.
    pub fn of(p: &crate::store::PassRecord) -> PassJson {
        PassJson {
            pass: p.pass.clone(),
            elapsed_s: round3(p.elapsed_ms as f64 / 1000.0),
            calls: p.calls,
            throttled: p.throttled,
            done: p.reached(),
            word: p.word.clone(),
            called: p.called,
            adopted: p.adopted,
            found: p.found,
            unchanged: p.unchanged,
            failed: p.failed,
            skipped: p.skipped,
            left: p.left,
            earlier: p.earlier,
        }
    }
}

fn reason(r: StopReason) -> &'static str {
    match r {
        StopReason::MaxRuntime => "max_runtime",
        StopReason::Interrupted => "interrupted",
        StopReason::Fatal => "fatal",
        StopReason::Store => "store",
        StopReason::Manifest => "manifest",
    }
}

/// Three decimals: enough for seconds and rates, and stable in a snapshot.
fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

impl SummaryJson {
    /// The summary of a run that ended; `manifest` is its name as the user gave it.
    pub fn of(s: &RunSummary, manifest: &str, resume: &str) -> SummaryJson {
        let n = |st| s.counts.get(&st).copied().unwrap_or(0);
        let secs = s.elapsed.as_secs_f64();
        SummaryJson {
            manifest: manifest.to_owned(),
            state_file: s.state_file.display().to_string(),
            goal: s.goal_word(),
            total: Some(s.total),
            counts: Some(Counts {
                created: n(RowState::Created),
                failed: n(RowState::Failed),
                unknown: n(RowState::Unknown),
                retrying: n(RowState::Retrying),
                pending: n(RowState::Pending),
                deleted: n(RowState::Deleted),
            }),
            created_now: Some(s.created_now),
            calls: Some(s.calls),
            throttled: Some(s.throttled),
            elapsed_s: Some(round3(secs)),
            rate: Some(if secs > 0.0 {
                round3(s.calls as f64 / secs)
            } else {
                0.0
            }),
            exit_code: s.exit_code().code(),
            stopped: s.stop.as_ref().map(|(r, detail)| Stopped {
                reason: reason(*r),
                detail: detail.clone(),
            }),
            failures: s
                .failures
                .iter()
                .map(|(code, count)| Failure {
                    code: code.clone(),
                    count: *count,
                })
                .collect(),
            waiting: Some(s.waiting),
            passes: s.passes.iter().map(|p| PassJson::of(&p.record())).collect(),
            tasks: (!s.tasks.is_empty()).then(|| {
                let tasks: Vec<_> = s.tasks.iter().map(|t| (t.kind, t.counts.clone())).collect();
                super::task_status::json(&tasks)
            }),
            skipped: (!s.skipped.is_empty()).then(|| s.skipped.clone()),
            resume: resume.to_owned(),
            error: None,
            adopted_now: Some(s.adopted_now),
            command: Some(s.command),
        }
    }

    /// The summary of a run that ended with `code` before it had figures, because of `error`.
    pub fn failed(
        manifest: &str,
        state_file: &str,
        goal: RowState,
        code: ExitCode,
        error: String,
        resume: &str,
    ) -> SummaryJson {
        SummaryJson {
            manifest: manifest.to_owned(),
            state_file: state_file.to_owned(),
            goal: goal.as_str(),
            total: None,
            counts: None,
            created_now: None,
            calls: None,
            throttled: None,
            elapsed_s: None,
            rate: None,
            exit_code: code.code(),
            stopped: None,
            failures: Vec::new(),
            waiting: None,
            passes: Vec::new(),
            tasks: None,
            skipped: None,
            resume: resume.to_owned(),
            error: Some(error),
            adopted_now: None,
            command: None,
        }
    }

    /// The same summary of a run that had no figures, with the rows per state (`count`) and
    /// their total as the state file holds them.
    pub fn with_counts(mut self, count: impl Fn(RowState) -> u64, total: u64) -> SummaryJson {
        self.total = Some(total);
        self.counts = Some(Counts {
            created: count(RowState::Created),
            failed: count(RowState::Failed),
            unknown: count(RowState::Unknown),
            retrying: count(RowState::Retrying),
            pending: count(RowState::Pending),
            deleted: count(RowState::Deleted),
        });
        self
    }

    /// The object on one line, as `--summary-file` holds it.
    pub fn to_line(&self) -> String {
        json_log::separators_escaped(
            serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned()),
        )
    }

    /// The object as a log line: `time`, `level` and `message` (the text summary) first, then
    /// the summary's own keys. The level says how the run ended: `INFO` for exit 0, `WARN` for 1
    /// and 4, `ERROR` otherwise.
    pub fn to_log_line(&self, now_ms: i64, message: &str) -> String {
        let level = match self.exit_code {
            0 => "INFO",
            1 | 4 => "WARN",
            _ => "ERROR",
        };
        let head = json_log::line(now_ms, level, message, &[]);
        let body = self.to_line();
        match (head.strip_suffix('}'), body.strip_prefix('{')) {
            (Some(head), Some(body)) if body != "}" => format!("{head},{body}"),
            _ => head,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_is_one_object_with_the_log_keys_first() {
        let s = SummaryJson::failed(
            "-",
            "s.db",
            RowState::Created,
            ExitCode::State,
            "s.db: in use by another run".into(),
            "bulkflow run -",
        );
        let line = s.to_log_line(0, "bulkflow stopped");
        assert!(line.starts_with(r#"{"time":"1970-01-01T00:00:00.000Z","level":"ERROR","message":"bulkflow stopped","manifest":"-""#), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(v["exit_code"], 5);
        assert!(v["counts"].is_null() && v["total"].is_null());
        assert_eq!(v["error"], "s.db: in use by another run");
    }

    #[test]
    fn a_line_separator_never_ends_the_line() {
        let mut s = SummaryJson::failed(
            "m\u{2028}x.csv",
            "s.db",
            RowState::Created,
            ExitCode::Usage,
            "e\u{2029}".into(),
            "r",
        );
        s.resume = "r\nX".into();
        for line in [s.to_line(), s.to_log_line(0, "m")] {
            assert!(!line.contains(['\u{2028}', '\u{2029}', '\n']), "{line}");
            let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
            assert_eq!(v["manifest"], "m\u{2028}x.csv");
        }
    }
}
