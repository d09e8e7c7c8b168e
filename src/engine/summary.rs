//! The end of a run: its figures as the engine counted them and the state file holds them,
//! and the one decision of its exit code.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::{Pass, StopReason, Totals};
use crate::api::tasks::TaskType;
use crate::exit::ExitCode;
use crate::store::task_read::TaskCounts;
use crate::store::RowState;

/// The end of a run, for the summary and the exit code.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Rows of this manifest per state.
    pub counts: BTreeMap<RowState, u64>,
    /// Rows in the manifest.
    pub total: u64,
    /// Calls sent by this run (creates, deletes, modifies, data tasks' starts and stops;
    /// listings apart), as the core counted them.
    pub calls: u64,
    /// Of which throttled.
    pub throttled: u64,
    /// Rows the run's goal pass brought to its goal: flows created or adopted (`run`), deleted
    /// (`delete`), tasks started or stopped (`task`). A later pass may fail some of them (a
    /// flow that ends unavailable): each pass's own counts are in `passes`.
    pub created_now: u64,
    /// Of them adopted: flows that existed with the row's source, taken with no create.
    pub adopted_now: u64,
    pub elapsed: Duration,
    /// Failed rows of the manifest per error code, most first.
    pub failures: Vec<(String, u64)>,
    /// Why the run stopped early, with the detail.
    pub stop: Option<(StopReason, String)>,
    pub state_file: PathBuf,
    pub manifest: PathBuf,
    /// The state every row should end in: `created`, or `deleted` for a delete.
    pub goal: RowState,
    /// Rows the wait pass had not settled when it ended (their flows not seen available yet),
    /// as its core counted them; 0 when no wait pass ran.
    pub waiting: u64,
    /// Whether the run's goal concerns the flows (`run`, `delete`), not only their data tasks.
    pub flows: bool,
    /// The data tasks of the run, by type, with what was asked of them.
    pub tasks: Vec<TaskSummary>,
    /// Every type's data tasks of the manifest's rows as the state file holds them after the
    /// run (what `status` shows).
    pub all_tasks: Vec<(TaskType, TaskCounts)>,
    /// `run`, `delete`, `task` or `task --stop` (as `runs.command` records it).
    pub command: &'static str,
    /// Rows left unsent by this run, by the code they were reported with (a data task of a row
    /// with no available flow; a delete's row whose recorded flow has another source).
    pub skipped: BTreeMap<String, u64>,
    /// Rows left unsettled with nothing recorded (a data task no longer listed).
    pub unsettled: u64,
    /// The passes of the run a stop cut short or kept from starting. For `--update` and
    /// `--rotate-keys` the row counts cannot show what is left (every row stays `created`):
    /// such a pass left is work left.
    pub passes_left: Vec<Pass>,
    /// Each pass of the run, in order, with its time and its counts.
    pub passes: Vec<PassTime>,
}

/// One pass of a run: how long it took, and what it did, as its core counted it.
#[derive(Debug, Clone, PartialEq)]
pub struct PassTime {
    pub pass: Pass,
    pub elapsed: Duration,
    pub counts: Totals,
}

impl PassTime {
    /// The pass as the state file records it (and the summary shows it).
    pub fn record(&self) -> crate::store::PassRecord {
        let ms = u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX);
        self.counts.record(self.pass.name(), self.pass.word(), ms)
    }
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
    /// What the rows the run's goal pass brought to its goal are: `created`, `deleted`,
    /// `started` or `stopped` (tasks).
    pub fn goal_word(&self) -> &'static str {
        use crate::store::run_record::command;
        match self.command {
            command::TASK => "started",
            command::TASK_STOP => "stopped",
            _ => self.goal.as_str(),
        }
    }

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
        // Every row stays `created` through `--update` and `--rotate-keys`, and through a wait
        // that never began: the counts cannot show such a pass left. (A wait that began counts
        // the rows it left waiting.)
        let waited = self.passes.iter().any(|p| p.pass == Pass::Wait);
        let modify_left = self
            .passes_left
            .iter()
            .filter(|p| match p {
                Pass::Update | Pass::Rotate => true,
                Pass::Wait => !waited,
                _ => false,
            })
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
            adopted_now: 0,
            elapsed: Duration::ZERO,
            failures: Vec::new(),
            stop: stop.map(|r| (r, String::new())),
            state_file: PathBuf::new(),
            manifest: PathBuf::new(),
            goal: RowState::Created,
            waiting: 0,
            flows: true,
            tasks: Vec::new(),
            all_tasks: Vec::new(),
            command: "run",
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

    /// Every row stays `created` through `--update` and `--rotate-keys`, and through a wait
    /// that never began: a stop that cut one short (or kept it from starting) leaves work,
    /// whatever the counts say (issue 21, 3). A wait that began counts the rows it left
    /// waiting (issue 19, 3: the core's count, not a query).
    #[test]
    fn an_update_a_rotation_or_a_wait_cut_short_exits_4() {
        use RowState::*;
        use StopReason::*;
        let done = [(Created, 3)];
        // Passes left, whether the wait pass ran, rows it left waiting, stop -> exit code.
        type Case<'a> = (&'a [Pass], bool, u64, Option<StopReason>, i32);
        let table: &[Case<'_>] = &[
            (&[Pass::Rotate], false, 0, Some(Interrupted), 4),
            (&[Pass::Rotate], false, 0, Some(MaxRuntime), 4),
            (
                &[Pass::Update, Pass::Rotate],
                false,
                0,
                Some(Interrupted),
                4,
            ),
            (&[Pass::Rotate, Pass::Wait], false, 0, Some(Fatal), 3),
            // A wait kept from starting: nobody looked at the flows.
            (&[Pass::Wait], false, 0, Some(Interrupted), 4),
            // A wait cut short says what it left waiting.
            (&[Pass::Wait], true, 0, Some(Interrupted), 0),
            (&[Pass::Wait], true, 2, Some(Interrupted), 4),
            (&[], true, 2, None, 4),
            // A create's work shows in the counts.
            (&[Pass::Create], false, 0, Some(Interrupted), 0),
            (&[], false, 0, Some(Interrupted), 0),
        ];
        for (left, waited, waiting, stop, code) in table {
            let mut s = summary(&done, *stop);
            s.passes_left = left.to_vec();
            s.waiting = *waiting;
            if *waited {
                s.passes.push(PassTime {
                    pass: Pass::Wait,
                    elapsed: Duration::ZERO,
                    counts: Totals::default(),
                });
            }
            assert_eq!(
                s.exit_code().code(),
                *code,
                "{left:?} {waited} {waiting} {stop:?}"
            );
        }
    }
}
