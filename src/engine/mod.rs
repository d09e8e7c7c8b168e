//! The run: validate, lock and open the state, feed the manifest's rows to the dispatcher, and
//! sum up. Pacing, retries, reconciliation and cancellation live in the files beside this one.

mod backoff;
pub mod core;
pub mod events;
pub mod feed;
pub mod listing;
pub mod op;
pub mod pacer;
pub mod pacers;
mod passes;
pub mod peers;
pub mod resume;
mod run;
mod settings;
mod shell;
pub mod task_name;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use backoff::Backoff;
pub use events::{Event, EventSink, Pass, RowEvent, StopReason, TaskFigures};
pub use op::create::CONFLICT;
pub use run::run;
pub use settings::{Goal, Pacing, RunSettings, TaskAction};

use crate::api::tasks::TaskType;
use crate::exit::ExitCode;
use crate::manifest::ManifestError;
use crate::store::task_read::TaskCounts;
use crate::store::{RowState, StoreError};

/// Why a run could not start or could not go on (each is an exit code: `app::Failure`).
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
    /// Whether the run's goal concerns the flows (`run`, `delete`), not only their data tasks.
    pub flows: bool,
    /// The data tasks of the run, by type, with what was asked of them.
    pub tasks: Vec<TaskSummary>,
    /// Rows left unsent by this run, by the code they were reported with (a data task of a row
    /// with no available flow; a delete's row whose recorded flow has another source).
    pub skipped: BTreeMap<String, u64>,
    /// Rows left unsettled with nothing recorded (a data task no longer listed).
    pub unsettled: u64,
    /// The passes of the run a stop cut short or kept from starting. For `--update` and
    /// `--rotate-keys` the row counts cannot show what is left (every row stays `created`):
    /// such a pass left is work left.
    pub passes_left: Vec<Pass>,
    /// Each pass of the run, in order, with its time and calls.
    pub passes: Vec<PassTime>,
}

/// One pass of a run: how long it took, its calls, the rows it brought to its goal.
#[derive(Debug, Clone, PartialEq)]
pub struct PassTime {
    pub pass: Pass,
    pub elapsed: Duration,
    pub calls: u64,
    pub throttled: u64,
    pub done: u64,
}

/// A run's data tasks of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    pub kind: TaskType,
    /// Whether they were started (else stopped).
    pub started: bool,
    /// Whether they were followed to their end.
    pub waited: bool,
    pub counts: TaskCounts,
}

impl TaskSummary {
    /// Rows whose task is not where the run was to bring it.
    fn unsettled(&self) -> u64 {
        if self.started {
            self.counts.not_started() + if self.waited { self.counts.live() } else { 0 }
        } else if self.waited {
            self.counts.live()
        } else {
            self.counts.status("init") + self.counts.status("running")
        }
    }

    /// Rows whose task failed: refused, ended `failed`, or with failed files.
    fn failed(&self) -> u64 {
        if !self.started {
            return 0;
        }
        let ended_badly = if self.waited {
            self.counts.status("failed")
                + self.counts.status("stopped")
                + self.counts.with_failed_files
        } else {
            0
        };
        self.counts.refused() + ended_badly
    }
}

impl RunSummary {
    /// The exit code, decided here and only here (SPEC "Exit codes"), from what the state file
    /// recorded and why the run stopped.
    pub fn exit_code(&self) -> ExitCode {
        let n = |s| self.counts.get(&s).copied().unwrap_or(0);
        let counted: u64 = self.counts.values().sum();
        // `bulkflow task` concerns the rows' tasks only: a row without a flow is reported (and
        // counted as skipped) rather than unsettled.
        let skipped: u64 = self.skipped.values().sum();
        let (flows_unsettled, flows_failed) = if self.flows {
            // A delete leaves rows whose recorded flow is another source's as they are
            // (skipped): reported, as settled as a failed row.
            let left_alone = if self.goal == RowState::Deleted {
                skipped
            } else {
                0
            };
            let done = n(self.goal) + n(RowState::Failed) + left_alone;
            (counted.saturating_sub(done), n(RowState::Failed))
        } else {
            (0, 0)
        };
        let tasks_unsettled: u64 = self.tasks.iter().map(TaskSummary::unsettled).sum();
        let modify_left = self
            .passes_left
            .iter()
            .filter(|p| matches!(p, Pass::Update | Pass::Rotate))
            .count() as u64;
        let unsettled =
            flows_unsettled + self.waiting + tasks_unsettled + self.unsettled + modify_left;
        let failed =
            flows_failed + self.tasks.iter().map(TaskSummary::failed).sum::<u64>() + skipped;
        match self.stop.as_ref().map(|(r, _)| *r) {
            Some(StopReason::Store) => return ExitCode::State,
            // Calls may have been made: not 2 ("nothing was sent"). The rows of the manifest as
            // it now is were not all brought to the goal: run again to validate and resume.
            Some(StopReason::Manifest) => return ExitCode::Interrupted,
            // A stop that came when every row was already settled changed nothing.
            Some(StopReason::Fatal) if unsettled > 0 => return ExitCode::Fatal,
            Some(StopReason::Interrupted | StopReason::MaxRuntime) if unsettled > 0 => {
                return ExitCode::Interrupted
            }
            _ => {}
        }
        if unsettled > 0 {
            ExitCode::Interrupted
        } else if failed > 0 {
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
            flows: true,
            tasks: Vec::new(),
            skipped: BTreeMap::new(),
            unsettled: 0,
            passes_left: Vec::new(),
            passes: Vec::new(),
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
            (&done, Some(Manifest), 4),
            (&left, Some(Manifest), 4),
        ];
        for (counts, stop, code) in table {
            assert_eq!(
                summary(counts, *stop).exit_code().code(),
                *code,
                "{counts:?} {stop:?}"
            );
        }
    }

    /// A delete's rows whose recorded flow is another source's are left alone and reported:
    /// exit 1, not 4 (issue 21, 1).
    #[test]
    fn a_delete_that_left_rows_alone_exits_1() {
        use RowState::*;
        let mut s = summary(&[(Deleted, 8), (Created, 2)], None);
        s.goal = Deleted;
        assert_eq!(s.exit_code().code(), 4, "two rows still to delete");
        s.skipped.insert("DataFlowNotOurs".into(), 2);
        assert_eq!(s.exit_code().code(), 1);
        // A create run's skipped rows never count as settled flows.
        s.goal = Created;
        assert_eq!(s.exit_code().code(), 4);
    }

    /// Every row stays `created` through `--update` and `--rotate-keys`: a stop that cut one
    /// short (or kept it from starting) leaves work, whatever the counts say (issue 21, 3).
    #[test]
    fn an_update_or_a_rotation_cut_short_exits_4() {
        use RowState::*;
        use StopReason::*;
        let done = [(Created, 3)];
        let table: &[(&[Pass], Option<StopReason>, i32)] = &[
            (&[Pass::Rotate], Some(Interrupted), 4),
            (&[Pass::Rotate], Some(MaxRuntime), 4),
            (&[Pass::Update, Pass::Rotate], Some(Interrupted), 4),
            (&[Pass::Rotate, Pass::Wait], Some(Fatal), 3),
            // A wait's and a create's work shows in the counts.
            (&[Pass::Wait], Some(Interrupted), 0),
            (&[Pass::Create], Some(Interrupted), 0),
            (&[], Some(Interrupted), 0),
        ];
        for (left, stop, code) in table {
            let mut s = summary(&done, *stop);
            s.passes_left = left.to_vec();
            assert_eq!(s.exit_code().code(), *code, "{left:?} {stop:?}");
        }
    }
}
