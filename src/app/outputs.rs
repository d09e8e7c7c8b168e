//! What a run leaves besides its exit code: the closing summary on stderr (a paragraph, or one
//! JSON object with `--log-format json`), `--summary-file` and `--metrics-file`. The files are
//! checked before the run (never the state file or the manifest; a directory that exists) and
//! written at its end on every way out that has settings, early errors included, with the
//! state file's counts when the run had none of its own; but never by a run refused the state
//! file (exit 5 before it started: another run holds it, or it cannot be read), whose files
//! belong to the run that holds it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::engine::{Goal, RunSummary};
use crate::exit::ExitCode;
use crate::report::diag::{self, Diag, Level, LogFormat};
use crate::report::metrics::MetricsFile;
use crate::report::output::{check_output_path, state_files, write_atomically};
use crate::report::progress::Consumed;
use crate::report::summary;
use crate::report::summary_json::SummaryJson;
use crate::report::tally::Tally;
use crate::settings::{Resume, Settings};
use crate::store::RowState;

use super::failure::{Failure, Outcome};
use super::state_file::{recorded, Recorded};

/// The outputs of one run, from its settings to its end.
#[derive(Debug)]
pub(super) struct RunOutputs {
    /// The manifest as the user named it (`-` for stdin).
    manifest: String,
    state: PathBuf,
    goal: RowState,
    /// The command that resumes the run.
    pub(super) resume: Resume,
    summary_file: Option<PathBuf>,
    metrics: Option<MetricsFile>,
    summary: Option<SummaryJson>,
    end: Option<RunSummary>,
    tally: Tally,
    /// What the state file held before the run.
    recorded: Option<Recorded>,
    /// The run took its state file (the engine planned a pass).
    started: bool,
}

/// The labels of every metric: the manifest and the state file, as absolute paths (`-` for a
/// manifest read from stdin), so that two jobs' series differ.
fn metric_labels(s: &Settings) -> Vec<(&'static str, String)> {
    let absolute = |p: &Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_owned())
            .display()
            .to_string()
    };
    let manifest = if s.input.stdin {
        "-".to_owned()
    } else {
        absolute(&s.input.manifest)
    };
    vec![("manifest", manifest), ("state_file", absolute(&s.state))]
}

/// Refuses an output file that is a file bulkflow needs, or whose directory does not exist:
/// better said before the run than found at its end.
fn check(flag: &str, out: &Path, protected: &[&Path]) -> Result<(), Failure> {
    if let Err(msg) = check_output_path(out, protected) {
        return Err(Failure::Usage(format!("{flag} {msg}")));
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "{flag} {}: the directory {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    Ok(())
}

impl RunOutputs {
    /// The outputs of the run `s` describes, its files checked.
    pub(super) fn new(s: &Settings) -> Result<RunOutputs, Failure> {
        let mut protected = state_files(&s.state);
        if !s.input.stdin {
            protected.push(s.input.manifest.clone());
        }
        let protected: Vec<&Path> = protected.iter().map(PathBuf::as_path).collect();
        for (flag, file) in [
            ("--summary-file", &s.summary_file),
            ("--metrics-file", &s.metrics_file),
        ] {
            if let Some(out) = file {
                check(flag, out, &protected)?;
            }
        }
        let recorded = recorded(&s.state);
        let metrics = s.metrics_file.as_deref().map(|path| {
            let mut m = MetricsFile::new(path, metric_labels(s));
            if let Some(r) = &recorded {
                let count = |st| r.counts.get(&st).copied().unwrap_or(0);
                m.set_baseline(count, r.total, &r.tasks);
            }
            m
        });
        Ok(RunOutputs {
            manifest: s.input.shown(),
            state: s.state.clone(),
            goal: match s.goal {
                Goal::Delete => RowState::Deleted,
                Goal::Create { .. } | Goal::Task { .. } => RowState::Created,
            },
            resume: s.resume.clone(),
            summary_file: s.summary_file.clone(),
            metrics,
            summary: None,
            end: None,
            tally: Tally::default(),
            recorded,
            started: false,
        })
    }

    /// The metrics file, for the progress consumer to rewrite during the run.
    pub(super) fn take_metrics(&mut self) -> Option<MetricsFile> {
        self.metrics.take()
    }

    /// What the progress consumer left: the figures and the metrics file.
    pub(super) fn consumed(&mut self, c: Consumed) {
        self.tally = c.tally;
        self.metrics = c.metrics;
        self.started = c.started;
    }

    /// The run ended with `end`: prints the summary on stderr.
    pub(super) fn ended(&mut self, end: &RunSummary) {
        let mut end = end.clone();
        if self.manifest == "-" {
            end.manifest = PathBuf::from("-");
        }
        let text = summary::render(&end, &self.resume);
        let json = SummaryJson::of(&end, &self.manifest, &self.resume.to_string());
        match diag::format() {
            LogFormat::Json => {
                let message = text.strip_prefix("bulkflow: ").unwrap_or(&text);
                let mut line = json.to_log_line(crate::store::now_ms(), message);
                line.push('\n');
                crate::report::logging::write_stderr(line.as_bytes());
            }
            LogFormat::Text => diag::emit(&Diag {
                level: Level::Info,
                text,
                message: String::new(),
                fields: Vec::new(),
            }),
        }
        self.summary = Some(json);
        self.end = Some(end);
    }

    /// Writes the summary file and the last metrics for a run that ends with `outcome`, and
    /// returns it.
    pub(super) fn finish(mut self, outcome: Outcome) -> Outcome {
        self.write(outcome.as_ref().err());
        outcome
    }

    /// Writes the summary file and the last metrics for a run that ends with `failure` (or
    /// succeeds); a file that cannot be written is an error on stderr, the exit code stays the
    /// run's. A run refused its state file writes neither.
    pub(super) fn write(&mut self, failure: Option<&Failure>) {
        let code = failure.map_or(ExitCode::Ok, Failure::exit_code);
        if code == ExitCode::State && !self.started && self.end.is_none() {
            return;
        }
        if let Some(path) = &self.summary_file {
            let json = self.summary.take().unwrap_or_else(|| {
                let mut json = SummaryJson::failed(
                    &self.manifest,
                    &self.state.display().to_string(),
                    self.goal,
                    code,
                    failure.and_then(Failure::message).unwrap_or_default(),
                    &self.resume.to_string(),
                );
                if let Some(r) = &self.recorded {
                    json = json.with_counts(|st| r.counts.get(&st).copied().unwrap_or(0), r.total);
                }
                json
            });
            let mut line = json.to_line();
            line.push('\n');
            if let Err(e) = write_atomically(path, |f| f.write_all(line.as_bytes())) {
                diag::error(format!("--summary-file: cannot write it: {e}"));
            }
        }
        if let Some(mut m) = self.metrics.take() {
            let snapshot = match &self.end {
                Some(end) => m.ended_run(&self.tally, end, code.code()),
                None if self.started => m.ended(&self.tally, code.code()),
                None => m.ended_early(code.code()),
            };
            m.write(&snapshot);
        }
    }
}
