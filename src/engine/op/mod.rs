//! What differs between the actions the engine carries out on rows: the request, how an answer
//! is classified, whether a lost answer needs resolution, how a listing of the row's file system
//! judges the row, and which budget paces the calls. The core (`engine::core`) is written once
//! for all of them; each action is one type implementing [`Operation`].

pub mod create;
pub mod delete;
pub mod modify;
pub mod task;
pub mod task_foreign;
pub mod wait;

pub use create::CreateOp;
pub use delete::DeleteOp;
pub use modify::{RotateOp, UpdateOp};
pub use task::{TaskStartOp, TaskStopOp, TaskWaitOp};
pub use task_foreign::StopAnyTaskOp;
pub use wait::WaitOp;

use crate::api::tasks::{TaskInfo, TaskType};
pub use crate::api::Action;
use crate::api::{CallError, DataFlowInfo, OutcomeClass, Request};
use crate::manifest::Row;
use crate::store::{RowState, Synced, TaskKey, TaskProgress, Transition};

use super::backoff::Backoff;
use super::resume::{self, Known, Resume};

/// What an operation is, in constants: the core and the shell read these and nothing else to
/// tell operations apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The action of its calls, and so the budget that paces them.
    pub action: Action,
    /// The state a row takes when it reaches the operation's goal.
    pub done_state: RowState,
    /// Whether a row's file system is listed before the row's first call (to adopt or find what
    /// already exists).
    pub looks_first: bool,
    /// Whether the rows in play are bounded. A wait is not: its rows may wait minutes each, and
    /// all of them are waited for together, within one `--wait-timeout`.
    pub bounded: bool,
    /// Whether `--wait-timeout` bounds the pass (a wait), beside `--max-runtime`.
    pub wait_timeout: bool,
    /// The type of data task the operation works on; `None` for operations on flows.
    pub task: Option<TaskType>,
    /// Whether what a call of unknown outcome made is proven absent only by the row's own
    /// looks (2, 4, 8, 16, 30 s apart, after the call's latest end and `--settle`), not by one
    /// late listing: for creations the service may list late that nothing else guards against
    /// making twice (a data task's name is not unique; a second flow in a directory is refused).
    pub patient: bool,
    /// Whether its calls are recorded (marked before they leave, their failures kept): not for
    /// calls that are safe to send any number of times on something the row's record does not
    /// describe (stopping a task).
    pub records_calls: bool,
}

/// A successful answer, whatever the action: what it names (the flow created or modified, the
/// task created) and the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub id: Option<String>,
    pub request_id: String,
}

/// What a listing showed of a row's flow or task, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The flow's `Status`.
    Flow(String),
    /// The task's status and progress.
    Task(Box<TaskProgress>),
}

/// How a row reached its goal when it took over what existed with its source, for which no
/// call of bulkflow's was ever sent (a [`Final::Done`]'s `via`): counted as adopted.
pub const ADOPTED: &str = "adopted";

/// How a row ends, as the operation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Final {
    /// The row reached the operation's goal; `id` is what the goal concerns (the row's flow, or
    /// its task), when known, and `seen` what a listing showed of it.
    Done {
        id: Option<String>,
        request_id: Option<String>,
        /// How it was reached, for logs: `call`, `listing`, `adopted`.
        via: &'static str,
        seen: Option<Seen>,
    },
    /// Permanent for this row.
    Failed(CallError),
    /// Nothing to do for this row, and nothing changes in its record.
    Unchanged { via: &'static str },
    /// The row's flow no longer exists: back to `pending`, so that a run creates it again.
    /// (For a data task: the service no longer lists it; the row is left as recorded.)
    Missing(CallError),
    /// Nothing is sent for the row (a task on a flow that is not available), and nothing is
    /// recorded: reported with the error, and counted.
    Skipped(CallError),
}

/// What the core knows of a row when it asks the operation.
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub row: &'a Row,
    /// The row's flow, as recorded or as found by a listing.
    pub data_flow_id: Option<&'a str>,
    /// The row's data task, for operations on tasks.
    pub task: Option<&'a TaskRef>,
    /// A task the call acts on that is not the row's own (one a listing named).
    pub call_task: Option<&'a str>,
    /// Calls sent for the row by every run.
    pub calls_ever: u32,
}

/// A row's data task as the core holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRef {
    pub key: TaskKey,
    /// The name every create of it carries.
    pub name: String,
    /// The task the next call acts on: the row's own once known, or one a listing named.
    pub task_id: Option<String>,
    /// When its first create was sent (ms since the epoch), if ever.
    pub first_sent_ms: Option<i64>,
    /// Not recorded yet: its record is written with its first call.
    pub new: bool,
}

impl<'a> RowView<'a> {
    /// A row with its flow and no call sent.
    pub fn new(row: &'a Row, data_flow_id: Option<&'a str>) -> RowView<'a> {
        RowView {
            row,
            data_flow_id,
            task: None,
            call_task: None,
            calls_ever: 0,
        }
    }

    /// How a goal reached through a listing came about: [`ADOPTED`] when no call of bulkflow's
    /// was ever sent for the row.
    pub fn via_listing(&self) -> &'static str {
        if self.calls_ever == 0 {
            ADOPTED
        } else {
            "listing"
        }
    }
}

/// What one call's answer means for the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterCall {
    Finish(Final),
    /// Permanent for the row's file system: fail its other rows without calling.
    FailFileSystem(CallError),
    /// Send again after a backoff.
    Retry {
        backoff: Backoff,
        error: CallError,
    },
    /// The file system cannot take the call now (its queue is full): the row, and every other
    /// row of the file system, waits without using the call budget, and tries again; never a
    /// failure, and not an attempt that counts.
    Hold(CallError),
    /// The call may have acted: list the file system before sending again. `exists` is true
    /// when the service said the row's target already exists.
    Resolve {
        exists: bool,
        error: CallError,
    },
    /// Stop the run: the call did not act, and no other call will succeed.
    Fatal(CallError),
}

/// What a listing of the row's file system says about the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    Finish(Final),
    /// The row still needs its call, on this flow, or on this task, when the action takes one
    /// (conclusive only when no earlier call can still act).
    Call {
        data_flow_id: Option<String>,
        task_id: Option<String>,
    },
    /// Nothing of the row's shows at its directory: the row ends so, but only by a listing
    /// late enough that no call of ours can still make something appear there (a create of
    /// unknown outcome, answered late, or listed late); an earlier listing proves nothing, and
    /// the row looks again once its call's latest end plus `--settle` has passed.
    Absent(Final),
    /// Nothing to decide yet: list again after this long (a directory held by a flow being
    /// deleted).
    LookAgain(std::time::Duration),
    /// The flow or task is there but has not settled: record what was seen and look again
    /// after `after`.
    Watch {
        after: std::time::Duration,
        seen: Option<Seen>,
    },
}

impl Judgement {
    /// The row needs its call on this flow (or on none).
    pub fn call(data_flow_id: Option<String>) -> Judgement {
        Judgement::Call {
            data_flow_id,
            task_id: None,
        }
    }
}

/// Which listing judges an operation's rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// DescribeDataFlow of the file system; rows judged by directory.
    Flows,
    /// DescribeLifecycleDataTask of the file system, of one type or all, of one task name or
    /// all; rows judged by task id (or, with a name, by what the listing of the name shows).
    Tasks {
        kind: Option<TaskType>,
        name: Option<String>,
    },
}

/// One action carried out on manifest rows. Implementations hold no row state (the core owns
/// it) and do no I/O: a call is a [`Request`] the shell sends.
pub trait Operation: Send + Sync + 'static {
    /// The operation's fixed facts.
    fn facts(&self) -> Facts;

    /// The row's call, on the row's flow when the action takes one.
    fn request(&self, row: RowView<'_>) -> Request;

    /// The listing that judges the row.
    fn scope(&self, _row: RowView<'_>) -> Scope {
        Scope::Flows
    }

    /// Judges the row from the flows listed at its directory (same file system and target path,
    /// any source).
    fn judge(&self, _row: RowView<'_>, _at_directory: &[&DataFlowInfo]) -> Judgement {
        Judgement::Finish(Final::Unchanged { via: "listing" })
    }

    /// Judges the row from the tasks a listing showed for it (by its task's id, its name, or
    /// its flow).
    fn judge_tasks(&self, _row: RowView<'_>, _tasks: &[&TaskInfo]) -> Judgement {
        Judgement::Finish(Final::Unchanged { via: "listing" })
    }

    /// The error a row is reported with when [`Resume::Skip`] leaves it unsent.
    fn skip_error(&self, row: &Row, _synced: &Synced, code: &'static str) -> CallError {
        CallError {
            class: OutcomeClass::Row,
            code: code.into(),
            message: format!(
                "{} of {}: not sent",
                row.target_key(),
                row.request.file_system_id
            ),
            request_id: None,
        }
    }

    /// Adds what the operation records when `row` reaches its goal.
    fn on_done(&self, _row: &Row, _t: &mut Transition) {}

    /// What a run of this operation does with a row the state file already knows.
    fn resume(&self, known: Known<'_>, retry_failed: bool) -> Resume {
        resume::decide(known, retry_failed)
    }

    /// What a call's answer means, after the row's calls so far (`tries`).
    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        default_after_call(result, tries, Lost::List)
    }
}

/// A row's calls when an answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tries {
    /// This run's calls for the row, the one answered included.
    pub attempts: u32,
    /// `--max-attempts`.
    pub max: u32,
    /// Whether an earlier call for the row may have acted unanswered (its answer was lost, in
    /// this run or a killed one) since a listing last showed that the row still needs its call:
    /// a refusal now may be about what that call did.
    pub after_lost: bool,
}

impl Tries {
    /// The `attempts`-th call of at most `max`, none of them lost before.
    pub const fn new(attempts: u32, max: u32) -> Tries {
        Tries {
            attempts,
            max,
            after_lost: false,
        }
    }

    /// The same, after a lost answer.
    pub const fn after_lost(self) -> Tries {
        Tries {
            after_lost: true,
            ..self
        }
    }

    /// Whether the row used its attempts.
    pub const fn spent(&self) -> bool {
        self.attempts >= self.max
    }
}

/// What settles a call whose answer was lost (see docs/exactly-once.md, "The cheapest safe
/// settlement of a lost answer").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// A listing: sending again could act twice.
    List,
    /// Sending it again at once: the call is safe to repeat (by id, setting values).
    Resend,
}

/// The classification every action shares; `lost` says what settles a lost answer.
pub fn default_after_call(
    result: &Result<Answer, CallError>,
    tries: Tries,
    lost: Lost,
) -> AfterCall {
    let (attempts, max_attempts) = (tries.attempts, tries.max);
    use crate::api::classify::PATH_USED;
    use crate::api::error::codes;
    let error = match result {
        Ok(a) => {
            return AfterCall::Finish(Final::Done {
                id: a.id.clone(),
                request_id: Some(a.request_id.clone()),
                via: "call",
                seen: None,
            })
        }
        Err(e) => e.clone(),
    };
    match error.class {
        OutcomeClass::Success | OutcomeClass::Row => AfterCall::Finish(Final::Failed(error)),
        OutcomeClass::Fatal => AfterCall::Fatal(error),
        OutcomeClass::FileSystem => AfterCall::FailFileSystem(error),
        // No attempt ever reached the service: the endpoint is wrong or unreachable, which is the
        // run's problem, not the row's. Stop (exit 3, resumable) rather than fail the row for good.
        OutcomeClass::Transient
            if attempts >= max_attempts && error.code == codes::CONNECT_FAILED =>
        {
            AfterCall::Fatal(gave_up(error, attempts))
        }
        OutcomeClass::Throttled | OutcomeClass::Transient if attempts >= max_attempts => {
            AfterCall::Finish(Final::Failed(gave_up(error, attempts)))
        }
        OutcomeClass::Throttled => AfterCall::Retry {
            backoff: Backoff::THROTTLED,
            error,
        },
        OutcomeClass::Transient => AfterCall::Retry {
            backoff: Backoff::TRANSIENT,
            error,
        },
        OutcomeClass::Unknown if lost == Lost::List => AfterCall::Resolve {
            exists: error.code == PATH_USED,
            error,
        },
        OutcomeClass::Unknown if attempts >= max_attempts => {
            AfterCall::Finish(Final::Failed(gave_up(error, attempts)))
        }
        // Nothing to wait for: the service did not refuse, it was not heard.
        OutcomeClass::Unknown => AfterCall::Retry {
            backoff: Backoff::NONE,
            error,
        },
    }
}

/// The error recorded for a row that used up its attempts.
pub fn gave_up(mut error: CallError, attempts: u32) -> CallError {
    error.message = format!("gave up after {attempts} attempts; last: {}", error.message);
    error
}

#[cfg(test)]
mod delete_tests;
#[cfg(test)]
mod modify_tests;
#[cfg(test)]
mod task_tests;
#[cfg(test)]
mod tests;
