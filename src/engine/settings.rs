//! What a run is asked to do: the manifest and the state file, where the calls go, how fast
//! ([`Pacing`]), and its goal.

use std::path::PathBuf;
use std::time::Duration;

use crate::api::tasks::TaskType;
use crate::api::{CredentialProvider, Endpoint};
use crate::manifest::ManifestOptions;

/// How fast and how hard a run calls the API: resolved once from the flags (`settings`), and
/// read as it is by the pacers, the client and the core.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Calls per second per host of each action that changes something (0: unpaced).
    pub rate: f64,
    /// Listings (DescribeDataFlow, DescribeLifecycleDataTask) per second per host: the rate, at
    /// most the API's 20/s.
    pub describe_rate: f64,
    /// Calls waiting for a slot or in flight, per host.
    pub concurrency: usize,
    /// Attempts per row for transient failures and throttling.
    pub max_attempts: u32,
    /// Timeout of one call.
    pub request_timeout: Duration,
    /// How long after a call of unknown outcome a listing may settle it.
    pub settle: Duration,
}

/// Everything a run needs, resolved from flags, environment and defaults.
pub struct RunSettings {
    pub manifest: PathBuf,
    pub state: PathBuf,
    pub endpoint: Endpoint,
    /// Shared with the caller, who can read its refresh count after the run.
    pub credentials: CredentialProvider,
    pub manifest_options: ManifestOptions,
    pub pacing: Pacing,
    /// Seed of the core's random draws (backoff jitter): a clock reading, or a test's number.
    pub seed: u64,
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
