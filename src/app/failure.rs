//! How a command fails: one type for every command, which knows what to say on stderr and SPEC's
//! exit code (as cargo-nextest's `ExpectedError` does). The library's errors map here, in
//! [`Failure::exit_code`]; a run's own outcome is decided by `RunSummary::exit_code` and only
//! carried ([`Failure::Outcome`]).

use crate::api::credentials::CredentialsError;
use crate::emulator::EmulatorError;
use crate::engine::RunError;
use crate::exit::ExitCode;
use crate::manifest::ManifestError;
use crate::plan::PlanError;
use crate::report::diag;
use crate::report::report_file::ReportFileError;
use crate::settings::UsageError;
use crate::store::StoreError;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// clap refused the command line; it words the message (or `--log-format json` a line).
    #[error("{}", .0.render())]
    CommandLine(clap::Error),
    /// A flag, or what it names, cannot be used: nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// The manifest cannot be used: its problems, or what stopped reading it.
    #[error(transparent)]
    Manifest(ManifestError),
    /// The manifest cannot be used, and the command's output on stdout already lists its
    /// problems (`--json`): nothing more is said.
    #[error("the manifest is not valid")]
    ManifestShown,
    /// No credentials: a service refused or failed (exit 3), or none were found (exit 2).
    #[error("{error}. {advice}")]
    Credentials {
        error: CredentialsError,
        /// What to do about it.
        advice: String,
    },
    /// The engine could not run, or not go on.
    #[error(transparent)]
    Run(RunError),
    /// `plan` could not make its plan.
    #[error(transparent)]
    Plan(PlanError),
    /// `report --output` wrote nothing.
    #[error(transparent)]
    ReportFile(ReportFileError),
    /// The state file is in use, or cannot be opened.
    #[error(transparent)]
    Store(StoreError),
    /// The state file cannot be read: the message names it.
    #[error("{0}")]
    State(String),
    /// stdout cannot be written (a closed pipe is no failure).
    #[error("stdout: {0}")]
    Stdout(std::io::Error),
    /// `bulkflow emulator` cannot serve.
    #[error("{0}")]
    Emulator(EmulatorError),
    /// A signal stopped a command that has nothing to resume (`plan`): the message says what.
    #[error("{0}")]
    Interrupted(String),
    /// The second stop signal: quit at once (the signal's handler said so).
    #[error("quit")]
    Quit,
    /// Something of bulkflow's own failed (a scratch database): the message says what.
    #[error("{0}")]
    Internal(String),
    /// The command ran to its end and said how it went on its own (a run's summary, a plan):
    /// the exit code that decided, never 0.
    #[error("exit {}", .0.code())]
    Outcome(ExitCode),
}

impl Failure {
    /// SPEC's exit code: each library error mapped here, and only here.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::CommandLine(_)
            | Failure::Usage(_)
            | Failure::Manifest(_)
            | Failure::ManifestShown
            | Failure::Stdout(_) => ExitCode::Usage,
            Failure::Credentials { error, .. } if error.is_service_failure() => ExitCode::Fatal,
            Failure::Credentials { .. } => ExitCode::Usage,
            Failure::Run(e) => match e {
                RunError::Manifest(_)
                | RunError::Client(_)
                | RunError::OtherService { .. }
                | RunError::Endpoint(_) => ExitCode::Usage,
                RunError::Store(_) => ExitCode::State,
                RunError::Internal(_) => ExitCode::Fatal,
            },
            Failure::Plan(e) => match e {
                PlanError::Manifest(_)
                | PlanError::OtherService { .. }
                | PlanError::Endpoint(_)
                | PlanError::Client(_)
                | PlanError::ManifestChanged(_) => ExitCode::Usage,
                PlanError::Store(_) => ExitCode::State,
                PlanError::Listing(_)
                | PlanError::Output(_)
                | PlanError::Scratch(_)
                | PlanError::Internal(_) => ExitCode::Fatal,
            },
            // The output file as when it cannot be created; the state file as any other.
            Failure::ReportFile(ReportFileError::Refused(_) | ReportFileError::Output { .. }) => {
                ExitCode::Usage
            }
            Failure::ReportFile(ReportFileError::State { .. })
            | Failure::Store(_)
            | Failure::State(_) => ExitCode::State,
            // Nothing was served: the flags or the file are wrong, or the address is taken.
            Failure::Emulator(EmulatorError::Serve(_)) => ExitCode::Fatal,
            Failure::Emulator(_) => ExitCode::Usage,
            Failure::Internal(_) => ExitCode::Fatal,
            Failure::Interrupted(_) | Failure::Quit => ExitCode::Interrupted,
            Failure::Outcome(code) => *code,
        }
    }

    /// Says the failure on stderr, in the format of every diagnostic; nothing for a failure
    /// that was said already.
    pub fn say(&self) {
        match self {
            Failure::CommandLine(e) if diag::format() == diag::LogFormat::Json => {
                let text = e.render().to_string();
                let text = text.trim();
                diag::error(text.strip_prefix("error: ").unwrap_or(text));
            }
            Failure::CommandLine(e) => {
                let _ = e.print();
            }
            Failure::Manifest(e) | Failure::Run(RunError::Manifest(e)) => {
                diag::print_manifest_error(e)
            }
            Failure::Plan(PlanError::Manifest(e)) => diag::print_manifest_error(e),
            Failure::Emulator(e) => eprintln!("bulkflow emulator: {e}"),
            Failure::ManifestShown | Failure::Quit | Failure::Outcome(_) => {}
            other => diag::error(other),
        }
    }

    /// The last line [`Failure::say`] writes, for the summary file of a run that ended before
    /// it had a summary; `None` when it says nothing.
    pub fn message(&self) -> Option<String> {
        match self {
            Failure::Manifest(e)
            | Failure::Run(RunError::Manifest(e))
            | Failure::Plan(PlanError::Manifest(e)) => {
                diag::manifest_error(e).pop().map(|d| d.message)
            }
            Failure::ManifestShown | Failure::Quit | Failure::Outcome(_) => None,
            other => Some(other.to_string()),
        }
    }
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Failure {
        Failure::Usage(e.to_string())
    }
}

impl From<ManifestError> for Failure {
    fn from(e: ManifestError) -> Failure {
        Failure::Manifest(e)
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Failure {
        Failure::Run(e)
    }
}

impl From<PlanError> for Failure {
    fn from(e: PlanError) -> Failure {
        Failure::Plan(e)
    }
}

impl From<ReportFileError> for Failure {
    fn from(e: ReportFileError) -> Failure {
        Failure::ReportFile(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e)
    }
}

impl From<EmulatorError> for Failure {
    fn from(e: EmulatorError) -> Failure {
        Failure::Emulator(e)
    }
}

/// A command's end: `Ok` for exit 0, else the failure.
pub type Outcome = Result<(), Failure>;

/// The outcome of a command that decided its own exit code (a run's summary, a plan).
pub fn decided(code: ExitCode) -> Outcome {
    match code {
        ExitCode::Ok => Ok(()),
        code => Err(Failure::Outcome(code)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Every kind of failure and its code, as SPEC's table says.
    #[test]
    fn every_failure_has_specs_code() {
        let io = || std::io::Error::other("x");
        let table: Vec<(Failure, i32)> = vec![
            (Failure::Usage("x".into()), 2),
            (Failure::ManifestShown, 2),
            (Failure::Stdout(io()), 2),
            (
                Failure::Credentials {
                    error: CredentialsError::Unavailable {
                        source_name: "STS".into(),
                        reason: "down".into(),
                    },
                    advice: String::new(),
                },
                3,
            ),
            (
                Failure::Credentials {
                    error: CredentialsError::BadSetting {
                        name: "X",
                        reason: "bad".into(),
                    },
                    advice: String::new(),
                },
                2,
            ),
            (Failure::Run(RunError::Client("x".into())), 2),
            (Failure::Run(RunError::Internal("x".into())), 3),
            (
                Failure::Run(RunError::Store(StoreError::Missing(PathBuf::new()))),
                5,
            ),
            (Failure::Plan(PlanError::Output(io())), 3),
            (Failure::Plan(PlanError::ManifestChanged(PathBuf::new())), 2),
            (
                Failure::Plan(PlanError::Store(StoreError::Missing(PathBuf::new()))),
                5,
            ),
            (Failure::ReportFile(ReportFileError::Refused("x".into())), 2),
            (Failure::State("x".into()), 5),
            (Failure::Store(StoreError::Missing(PathBuf::new())), 5),
            (Failure::Emulator(EmulatorError::Runtime(io())), 2),
            (Failure::Emulator(EmulatorError::Serve(io())), 3),
            (Failure::Interrupted("x".into()), 4),
            (Failure::Quit, 4),
            (Failure::Outcome(ExitCode::FailedRows), 1),
        ];
        for (failure, code) in table {
            assert_eq!(failure.exit_code().code(), code, "{failure:?}");
        }
        assert!(decided(ExitCode::Ok).is_ok());
        assert_eq!(
            decided(ExitCode::Interrupted).map_err(|f| f.exit_code()),
            Err(ExitCode::Interrupted)
        );
    }

    #[test]
    fn what_a_failure_leaves_for_the_summary_file() {
        let invalid = ManifestError::Invalid {
            problems: Vec::new(),
            total: 3,
        };
        assert_eq!(
            Failure::Manifest(invalid).message().as_deref(),
            Some("3 problem(s) in the manifest; nothing was sent")
        );
        assert_eq!(Failure::Outcome(ExitCode::Fatal).message(), None);
        assert_eq!(
            Failure::Usage("--rate x".into()).message().as_deref(),
            Some("--rate x")
        );
    }
}
