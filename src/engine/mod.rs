//! The run: validate, lock and open the state, feed the manifest's rows to the dispatcher, and
//! sum up. Pacing, retries, reconciliation and cancellation live in the files beside this one.

mod backoff;
pub mod core;
pub mod events;
pub mod feed;
mod kept;
mod kept_store;
pub mod listing;
pub mod op;
pub mod pacer;
mod pacer_adapt;
pub mod pacers;
mod passes;
pub mod peers;
pub mod resume;
mod run;
mod shell;
mod summary;
pub mod task_name;
pub mod totals;

use std::path::PathBuf;
use std::time::Duration;

pub use backoff::Backoff;
pub use events::{Event, EventSink, Pass, RowEvent, StopReason, TaskFigures};
pub use op::create::CONFLICT;
pub use run::run;
pub use summary::{PassTime, RunSummary, TaskSummary};
pub use totals::Totals;

use crate::api::tasks::TaskType;
use crate::api::{CredentialProvider, Endpoint};
use crate::exit::ExitCode;
use crate::manifest::{ManifestError, ManifestOptions};
use crate::store::StoreError;

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
    /// Data tasks started and followed, in order, after a create run's passes (`run --task`).
    pub tasks: Vec<TaskType>,
    /// A delete stops every task on the rows' flows first, whoever started it
    /// (`delete --stop-tasks`); without it, a flow busy with another's task is left alone.
    pub stop_tasks: bool,
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
    /// Delete every row's flow (stopping the row's own running data tasks first).
    Delete,
    /// Start, or stop, the rows' data tasks (`bulkflow task`); with `wait`, follow them to
    /// their end within that long.
    Task {
        action: TaskAction,
        wait: Option<Duration>,
    },
}

/// What `bulkflow task` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskAction {
    /// Start one task of the type per row (`--overwrite` sets IsOverwrite; `--again` starts a
    /// new one for rows whose last task of the type has ended).
    Start {
        kind: TaskType,
        overwrite: bool,
        again: bool,
    },
    /// Stop the rows' queued or running tasks of these types (all when empty).
    Stop { kinds: Vec<TaskType> },
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
