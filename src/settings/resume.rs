//! The command that resumes a run, built in one place from the resolved settings: what the
//! command is (a [`Verb`]: `run` with its passes, `delete`, `task`) and the options every
//! command that calls the API shares. A user pastes it after an interruption, a fatal error or
//! an unsettled end, and a script reads it from `--summary-file`, so it must run as printed.
//!
//! It is built from the settings, not echoed from the command line, because:
//! - options that came from the environment (`BULKFLOW_ENDPOINT`, `TENCENTCLOUD_REGION`,
//!   `TCCLI_PROFILE`) are not on the command line, and the hint must work in a shell without
//!   them (another terminal, a colleague's);
//! - some options must not be repeated: `--max-runtime` would cut the resumed run short,
//!   `--summary-file` and `--metrics-file` would overwrite a cron job's files, `--dry-run` would
//!   do nothing, `-q`, `--progress` and `--log-format` are matters of taste;
//! - the command line may hold a secret in an option added later; the settings hold none, and
//!   the only values the hint repeats are paths, names, numbers and an endpoint that
//!   `settings::resolve` has already refused to hold credentials;
//! - every word is quoted here for a POSIX shell, whatever the shell that started the run did.
//!
//! What it repeats: the manifest (and `--format`), `--state` unless it is the default,
//! `--emulator` or `--endpoint` unless it is the default, `--region` and `--profile` when they
//! were chosen (by a flag or the environment), `--allow-unknown-region`, the pacing and retry
//! options that differ from their defaults, and the verb's own flags.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use super::{default_concurrency, RegionChoice};

pub use super::commands::DEFAULT_WAIT_TIMEOUT;
pub use crate::shell_command::{shell_word, Resume};
/// `--max-attempts` when not given.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// `--settle` when not given.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(5);
/// `--rate` when not given.
pub const DEFAULT_RATE: f64 = 20.0;
/// `--request-timeout` when not given.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the command is: the subcommand and the flags that belong to it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `bulkflow run` and its passes.
    Run {
        retry_failed: bool,
        update: bool,
        rotate_keys: bool,
        /// `--wait`, with its timeout.
        wait: Option<Duration>,
        /// `--task TYPE`, in order.
        tasks: Vec<String>,
    },
    /// `bulkflow delete`. `yes` is kept as the user typed it: a pasted hint never deletes
    /// without asking when the first command asked.
    Delete { yes: bool, stop_tasks: bool },
    /// `bulkflow task`.
    Task(TaskVerb),
}

/// What `bulkflow task` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskVerb {
    /// `--type TYPE [--overwrite] [--again] [--wait [--wait-timeout D]]`.
    Start {
        kind: String,
        overwrite: bool,
        again: bool,
        retry_failed: bool,
        wait: Option<Duration>,
    },
    /// `--stop [--type TYPE] [--wait [--wait-timeout D]]`.
    Stop {
        kind: Option<String>,
        wait: Option<Duration>,
    },
}

/// Where the calls go, as the hint names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `--emulator`.
    Emulator,
    /// The default endpoint.
    Default,
    /// `--endpoint URL` (from the flag or `BULKFLOW_ENDPOINT`).
    Endpoint(String),
}

/// The options of the resolved settings that the hint repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin<'a> {
    /// The manifest as named on the command line (`-` for stdin).
    pub manifest: &'a Path,
    /// `--format`, as its flag value (`csv`, `jsonl`).
    pub format: Option<&'static str>,
    pub state: &'a Path,
    /// The state file without `--state` (empty for stdin: the hint then always names it).
    pub default_state: &'a Path,
    pub destination: Destination,
    pub region: &'a RegionChoice,
    /// The profile's name, when one was named (by `--profile` or `TCCLI_PROFILE`).
    pub profile: Option<&'a str>,
    pub allow_unknown_region: bool,
    pub rate: f64,
    pub concurrency: usize,
    pub request_timeout: Duration,
    /// `--max-attempts` and `--settle`, for the commands that take them.
    pub max_attempts: Option<u32>,
    pub settle: Option<Duration>,
}

/// A duration as `--wait-timeout` parses it: the largest unit that divides it.
pub fn duration_word(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Seconds as a number a flag of seconds takes: `30`, `0.5`.
fn seconds_word(d: Duration) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}", d.as_secs_f64());
    out
}

impl Resume {
    /// The command that resumes `verb` with the options `origin` holds.
    pub fn new(verb: &Verb, origin: &Origin<'_>) -> Resume {
        let mut r = Resume::default();
        r.push(match verb {
            Verb::Run { .. } => "bulkflow run",
            Verb::Delete { .. } => "bulkflow delete",
            Verb::Task(_) => "bulkflow task",
        });
        r.word(&origin.manifest.display().to_string());
        r.common(origin);
        match verb {
            Verb::Run {
                retry_failed,
                update,
                rotate_keys,
                wait,
                tasks,
            } => {
                r.flag(*retry_failed, "--retry-failed");
                r.flag(*update, "--update");
                r.flag(*rotate_keys, "--rotate-keys");
                r.wait(*wait);
                for kind in tasks {
                    r.option("--task", kind);
                }
            }
            Verb::Delete { yes, stop_tasks } => {
                r.flag(*yes, "--yes");
                r.flag(*stop_tasks, "--stop-tasks");
            }
            Verb::Task(TaskVerb::Start {
                kind,
                overwrite,
                again,
                retry_failed,
                wait,
            }) => {
                r.option("--type", kind);
                r.flag(*overwrite, "--overwrite");
                r.flag(*again, "--again");
                r.flag(*retry_failed, "--retry-failed");
                r.wait(*wait);
            }
            Verb::Task(TaskVerb::Stop { kind, wait }) => {
                r.push("--stop");
                if let Some(kind) = kind {
                    r.option("--type", kind);
                }
                r.wait(*wait);
            }
        }
        r
    }

    /// The options every command shares, when they differ from what the command would do
    /// without them.
    fn common(&mut self, o: &Origin<'_>) {
        if let Some(f) = o.format {
            self.option("--format", f);
        }
        if o.state != o.default_state {
            self.option("--state", &o.state.display().to_string());
        }
        match &o.destination {
            Destination::Emulator => self.push("--emulator"),
            Destination::Default => {}
            Destination::Endpoint(url) => self.option("--endpoint", url),
        }
        if let RegionChoice::Flag(r) | RegionChoice::Env(r) = o.region {
            self.option("--region", r);
        }
        if let Some(p) = o.profile {
            self.option("--profile", p);
        }
        self.flag(o.allow_unknown_region, "--allow-unknown-region");
        if o.rate != DEFAULT_RATE {
            self.option("--rate", &o.rate.to_string());
        }
        if o.concurrency != default_concurrency(o.rate) {
            self.option("--concurrency", &o.concurrency.to_string());
        }
        if o.request_timeout != DEFAULT_REQUEST_TIMEOUT {
            self.option("--request-timeout", &seconds_word(o.request_timeout));
        }
        if let Some(n) = o.max_attempts.filter(|&n| n != DEFAULT_MAX_ATTEMPTS) {
            self.option("--max-attempts", &n.to_string());
        }
        if let Some(s) = o.settle.filter(|&s| s != DEFAULT_SETTLE) {
            self.option("--settle", &seconds_word(s));
        }
    }

    fn option(&mut self, flag: &str, value: &str) {
        self.push(flag);
        self.word(value);
    }

    fn flag(&mut self, on: bool, flag: &str) {
        if on {
            self.push(flag);
        }
    }

    fn wait(&mut self, wait: Option<Duration>) {
        if let Some(t) = wait {
            self.push("--wait");
            if t != DEFAULT_WAIT_TIMEOUT {
                self.option("--wait-timeout", &duration_word(t));
            }
        }
    }
}

#[cfg(test)]
#[path = "resume_tests.rs"]
mod tests;
