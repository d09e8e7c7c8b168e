//! The run: validate, lock and open the state, feed the manifest's rows to the dispatcher, and
//! sum up. Pacing, retries, reconciliation and cancellation live in the files beside this one.

mod backoff;
pub mod core;
pub mod events;
pub mod feed;
pub mod listing;
pub mod op;
pub mod pacer;
mod pacer_adapt;
pub mod peers;
pub mod resume;
mod run;
mod shell;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use backoff::Backoff;
pub use events::{Event, EventSink, Pass, RowEvent, StopReason};
pub use op::create::CONFLICT;
pub use run::run;

use crate::api::{CredentialProvider, Endpoint};
use crate::exit::ExitCode;
use crate::manifest::{ManifestError, ManifestOptions};
use crate::store::{RowState, StoreError};

/// What the engine's pacing, concurrency and retries need, resolved from the flags.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Calls per second per host for the operation's action (0: unpaced).
    pub rate: f64,
    /// DescribeDataFlow calls per second per host.
    pub describe_rate: f64,
    /// Calls waiting for a slot or in flight, per host.
    pub concurrency: usize,
    pub max_attempts: u32,
    pub request_timeout: Duration,
    pub settle: Duration,
    pub seed: u64,
}

/// Everything a run needs, resolved from flags, environment and defaults.
pub struct RunSettings {
    pub manifest: PathBuf,
    pub state: PathBuf,
    pub endpoint: Endpoint,
    /// Shared with the caller, who can read its refresh count after the run.
    pub credentials: CredentialProvider,
    pub manifest_options: ManifestOptions,
    pub dispatch: DispatchSettings,
    pub retry_failed: bool,
    pub max_runtime: Option<Duration>,
    /// What the run does to the manifest's flows.
    pub goal: Goal,
}

/// What a run does to the manifest's flows: one or more operations, each a pass over the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    /// Create every row's flow (adopting flows that already exist), then optionally bring
    /// their mutable fields to the manifest's (`update`), set their source keys (`rotate`), and
    /// wait until every flow is available (`wait`, with its timeout).
    Create {
        update: bool,
        rotate: bool,
        wait: Option<Duration>,
    },
    /// Delete every row's flow.
    Delete,
}

impl Default for Goal {
    fn default() -> Self {
        Goal::Create {
            update: false,
            rotate: false,
            wait: None,
        }
    }
}

/// Why a run could not start or could not go on; each is an exit code (see [`RunError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{}: this state file records runs against a {recorded} service and this run goes to a {now} one; a rehearsal against the emulator and the real service need separate state files: pass --state", .state.display())]
    OtherService {
        state: PathBuf,
        recorded: String,
        now: &'static str,
    },
    #[error(transparent)]
    Endpoint(#[from] crate::api::endpoint::EndpointError),
}

impl RunError {
    /// SPEC's exit code for the error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            RunError::Manifest(_) => ExitCode::Usage,
            RunError::Store(_) => ExitCode::State,
            RunError::Client(_) | RunError::OtherService { .. } | RunError::Endpoint(_) => {
                ExitCode::Usage
            }
            RunError::Internal(_) => ExitCode::Fatal,
        }
    }
}

/// The end of a run, for the summary and the exit code.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Rows of this manifest per state.
    pub counts: BTreeMap<RowState, u64>,
    /// Rows in the manifest.
    pub total: u64,
    /// Calls sent by this run (creates, deletes, modifies; listings apart).
    pub calls: u64,
    /// Of which throttled.
    pub throttled: u64,
    /// Rows this run brought to its goal.
    pub created_now: u64,
    pub elapsed: Duration,
    /// Failed rows of the manifest per error code, most first.
    pub failures: Vec<(String, u64)>,
    /// Why the run stopped early, with the detail.
    pub stop: Option<(StopReason, String)>,
    pub state_file: PathBuf,
    pub manifest: PathBuf,
    /// The state every row should end in: `created`, or `deleted` for a delete.
    pub goal: RowState,
    /// Created rows whose flow had not become available when `--wait` gave up.
    pub waiting: u64,
}

impl RunSummary {
    /// The exit code, decided here and only here (SPEC "Exit codes"), from what the state file
    /// recorded and why the run stopped.
    pub fn exit_code(&self) -> ExitCode {
        let n = |s| self.counts.get(&s).copied().unwrap_or(0);
        let counted: u64 = self.counts.values().sum();
        let unsettled = counted.saturating_sub(n(self.goal) + n(RowState::Failed)) + self.waiting;
        match self.stop.as_ref().map(|(r, _)| *r) {
            Some(StopReason::Store) => return ExitCode::State,
            Some(StopReason::Manifest) => return ExitCode::Usage,
            // A stop that came when every row was already settled changed nothing.
            Some(StopReason::Fatal) if unsettled > 0 => return ExitCode::Fatal,
            Some(StopReason::Interrupted | StopReason::MaxRuntime) if unsettled > 0 => {
                return ExitCode::Interrupted
            }
            _ => {}
        }
        if unsettled > 0 {
            ExitCode::Interrupted
        } else if n(RowState::Failed) > 0 {
            ExitCode::FailedRows
        } else {
            ExitCode::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(counts: &[(RowState, u64)], stop: Option<StopReason>) -> RunSummary {
        RunSummary {
            counts: counts.iter().copied().collect(),
            total: counts.iter().map(|(_, n)| n).sum(),
            calls: 0,
            throttled: 0,
            created_now: 0,
            elapsed: Duration::ZERO,
            failures: Vec::new(),
            stop: stop.map(|r| (r, String::new())),
            state_file: PathBuf::new(),
            manifest: PathBuf::new(),
            goal: RowState::Created,
            waiting: 0,
        }
    }

    #[test]
    fn exit_codes() {
        use RowState::*;
        use StopReason::*;
        let done = [(Created, 3)];
        let failed = [(Created, 2), (Failed, 1)];
        let left = [(Created, 2), (Pending, 1)];
        let unknown = [(Created, 2), (Unknown, 1)];
        type Counts<'a> = &'a [(RowState, u64)];
        let table: &[(Counts<'_>, Option<StopReason>, i32)] = &[
            (&done, None, 0),
            (&failed, None, 1),
            (&unknown, None, 4),
            (&left, Some(Fatal), 3),
            (&left, Some(Interrupted), 4),
            (&left, Some(MaxRuntime), 4),
            (&done, Some(Interrupted), 0),
            (&failed, Some(MaxRuntime), 1),
            (&done, Some(Store), 5),
            (&done, Some(Manifest), 2),
        ];
        for (counts, stop, code) in table {
            assert_eq!(
                summary(counts, *stop).exit_code().code(),
                *code,
                "{counts:?} {stop:?}"
            );
        }
    }
}
