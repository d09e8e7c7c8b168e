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

/// `--wait-timeout` when not given.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
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
    },
    /// `bulkflow delete`. `yes` is kept as the user typed it: a pasted hint never deletes
    /// without asking when the first command asked.
    Delete { yes: bool },
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
        wait: Option<Duration>,
    },
    /// `--stop [--wait [--wait-timeout D]]`.
    Stop { wait: Option<Duration> },
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

/// A command that resumes a run: each word already quoted for a POSIX shell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resume {
    words: Vec<String>,
}

impl std::fmt::Display for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}

/// `s` as one word for a POSIX shell: as it is when it is plain, else in single quotes.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
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
            } => {
                r.flag(*retry_failed, "--retry-failed");
                r.flag(*update, "--update");
                r.flag(*rotate_keys, "--rotate-keys");
                r.wait(*wait);
            }
            Verb::Delete { yes } => r.flag(*yes, "--yes"),
            Verb::Task(TaskVerb::Start {
                kind,
                overwrite,
                again,
                wait,
            }) => {
                r.option("--type", kind);
                r.flag(*overwrite, "--overwrite");
                r.flag(*again, "--again");
                r.wait(*wait);
            }
            Verb::Task(TaskVerb::Stop { wait }) => {
                r.push("--stop");
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

    fn push(&mut self, plain: &str) {
        self.words.push(plain.to_owned());
    }

    fn word(&mut self, value: &str) {
        self.words.push(shell_word(value));
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

    /// The command with `flag` added, unless it has it already (clap refuses a flag twice).
    pub fn with(&self, flag: &str) -> String {
        if self.words.iter().any(|w| w == flag) {
            self.to_string()
        } else {
            format!("{self} {flag}")
        }
    }

    /// Whether there is a command at all (a dry run has none).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn origin<'a>(manifest: &'a Path, state: &'a Path, default: &'a Path) -> Origin<'a> {
        Origin {
            manifest,
            format: None,
            state,
            default_state: default,
            destination: Destination::Default,
            region: &RegionChoice::Nowhere,
            profile: None,
            allow_unknown_region: false,
            rate: DEFAULT_RATE,
            concurrency: default_concurrency(DEFAULT_RATE),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_attempts: Some(DEFAULT_MAX_ATTEMPTS),
            settle: Some(DEFAULT_SETTLE),
        }
    }

    const RUN: Verb = Verb::Run {
        retry_failed: false,
        update: false,
        rotate_keys: false,
        wait: None,
    };

    #[test]
    fn defaults_are_left_out_and_everything_else_is_repeated_quoted() {
        let (m, st) = (
            PathBuf::from("flows.csv"),
            PathBuf::from("flows.csv.bulkflow.db"),
        );
        let o = origin(&m, &st, &st);
        assert_eq!(Resume::new(&RUN, &o).to_string(), "bulkflow run flows.csv");

        let (m, st) = (PathBuf::from("my flows.csv"), PathBuf::from("it's.db"));
        let region = RegionChoice::Env("ap-shanghai".into());
        let o = Origin {
            format: Some("csv"),
            destination: Destination::Endpoint("http://127.0.0.1:8080".into()),
            region: &region,
            profile: Some("prod"),
            allow_unknown_region: true,
            rate: 5.0,
            concurrency: 3,
            request_timeout: Duration::from_millis(2500),
            max_attempts: Some(3),
            settle: Some(Duration::ZERO),
            ..origin(&m, &st, Path::new("my flows.csv.bulkflow.db"))
        };
        let verb = Verb::Run {
            retry_failed: true,
            update: true,
            rotate_keys: true,
            wait: Some(Duration::from_secs(5400)),
        };
        assert_eq!(
            Resume::new(&verb, &o).to_string(),
            "bulkflow run 'my flows.csv' --format csv --state 'it'\\''s.db' --endpoint \
             http://127.0.0.1:8080 --region ap-shanghai --profile prod --allow-unknown-region \
             --rate 5 --concurrency 3 --request-timeout 2.5 --max-attempts 3 --settle 0 \
             --retry-failed --update --rotate-keys --wait --wait-timeout 90m"
        );
    }

    #[test]
    fn a_region_from_the_profile_file_is_left_to_the_file_and_the_emulator_is_named() {
        let (m, st) = (PathBuf::from("m.csv"), PathBuf::from("m.csv.bulkflow.db"));
        let region = RegionChoice::Profile(PathBuf::from("/home/u/.tccli/default.configure"));
        let o = Origin {
            destination: Destination::Emulator,
            region: &region,
            ..origin(&m, &st, &st)
        };
        let verb = Verb::Run {
            retry_failed: false,
            update: false,
            rotate_keys: false,
            wait: Some(DEFAULT_WAIT_TIMEOUT),
        };
        assert_eq!(
            Resume::new(&verb, &o).to_string(),
            "bulkflow run m.csv --emulator --wait"
        );
    }

    #[test]
    fn delete_keeps_yes_as_typed_and_task_names_its_type() {
        let (m, st) = (PathBuf::from("m.csv"), PathBuf::from("m.csv.bulkflow.db"));
        let o = origin(&m, &st, &st);
        let asks = Resume::new(&Verb::Delete { yes: false }, &o);
        assert_eq!(asks.to_string(), "bulkflow delete m.csv");
        let yes = Resume::new(&Verb::Delete { yes: true }, &o);
        assert_eq!(yes.to_string(), "bulkflow delete m.csv --yes");
        let task = Verb::Task(TaskVerb::Start {
            kind: "restore".into(),
            overwrite: true,
            again: false,
            wait: Some(Duration::from_secs(7200)),
        });
        assert_eq!(
            Resume::new(&task, &o).to_string(),
            "bulkflow task m.csv --type restore --overwrite --wait --wait-timeout 2h"
        );
        let stop = Verb::Task(TaskVerb::Stop { wait: None });
        assert_eq!(
            Resume::new(&stop, &o).to_string(),
            "bulkflow task m.csv --stop"
        );
    }

    #[test]
    fn a_flag_is_added_once() {
        let (m, st) = (PathBuf::from("m.csv"), PathBuf::from("m.csv.bulkflow.db"));
        let o = origin(&m, &st, &st);
        let verb = Verb::Run {
            retry_failed: false,
            update: false,
            rotate_keys: false,
            wait: Some(DEFAULT_WAIT_TIMEOUT),
        };
        let r = Resume::new(&verb, &o);
        assert_eq!(r.with("--wait"), "bulkflow run m.csv --wait");
        assert_eq!(
            r.with("--retry-failed"),
            "bulkflow run m.csv --wait --retry-failed"
        );
    }

    #[test]
    fn durations_round_trip_through_the_flag_parser() {
        for secs in [1, 59, 60, 90, 3600, 5400, 86_400, 90_061, 365 * 86_400] {
            let d = Duration::from_secs(secs);
            let back = super::super::bounds::wait_timeout_arg(&duration_word(d));
            assert_eq!(back, Ok(d), "{secs}");
        }
    }

    #[test]
    fn words_survive_a_posix_shell() {
        for s in [
            "plain.csv",
            "a b",
            "it's",
            "'",
            "$HOME",
            "a\"b",
            "",
            "x;rm -rf /",
            "é",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_word(s)))
                .output()
                .expect("sh");
            assert_eq!(String::from_utf8_lossy(&out.stdout), s, "{s:?}");
        }
    }
}
