//! What differs between the actions the engine carries out on rows: the request, how an answer
//! is classified, whether a lost answer needs resolution, how a listing of the row's file system
//! judges the row, and which budget paces the calls. The core (`engine::core`) is written once
//! for all of them; each action is one type implementing [`Operation`].

pub mod create;
pub mod delete;
pub mod modify;
pub mod wait;

pub use create::CreateOp;
pub use delete::DeleteOp;
pub use modify::{RotateOp, UpdateOp};
pub use wait::WaitOp;

pub use crate::api::Action;
use crate::api::{CallError, DataFlowInfo, OutcomeClass, Request};
use crate::manifest::Row;
use crate::store::{RowState, Transition};

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
}

/// A successful answer, whatever the action: the flow it concerns (when the answer names one)
/// and the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub data_flow_id: Option<String>,
    pub request_id: String,
}

/// How a row ends, as the operation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Final {
    /// The row reached the operation's goal; `data_flow_id` is the row's flow, when known, and
    /// `flow_status` its live status, when listed.
    Done {
        data_flow_id: Option<String>,
        request_id: Option<String>,
        /// How it was reached, for logs: `call`, `listing`, `adopted`.
        via: &'static str,
        flow_status: Option<String>,
    },
    /// Permanent for this row.
    Failed(CallError),
    /// Nothing to do for this row, and nothing changes in its record.
    Unchanged { via: &'static str },
    /// The row's flow no longer exists: back to `pending`, so that a run creates it again.
    Missing(CallError),
}

/// What the core knows of a row when it asks the operation.
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub row: &'a Row,
    /// The row's flow, as recorded or as found by a listing.
    pub data_flow_id: Option<&'a str>,
    /// Calls sent for the row by every run.
    pub calls_ever: u32,
}

impl<'a> RowView<'a> {
    /// A row with its flow and no call sent.
    pub fn new(row: &'a Row, data_flow_id: Option<&'a str>) -> RowView<'a> {
        RowView {
            row,
            data_flow_id,
            calls_ever: 0,
        }
    }

    /// How a goal reached through a listing came about: `adopted` when no call of bulkflow's
    /// was ever sent for the row.
    pub fn via_listing(&self) -> &'static str {
        if self.calls_ever == 0 {
            "adopted"
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
    /// The row still needs its call, on this flow when the action takes one (conclusive only
    /// when no earlier call can still act).
    Call {
        data_flow_id: Option<String>,
    },
    /// Nothing to decide yet: list again after this long (a directory held by a flow being
    /// deleted).
    LookAgain(std::time::Duration),
    /// The flow is there but has not settled: record its live status and look again after
    /// `after`.
    Watch {
        after: std::time::Duration,
        status: Option<String>,
    },
}

/// One action carried out on manifest rows. Implementations hold no row state (the core owns
/// it) and do no I/O: a call is a [`Request`] the shell sends.
pub trait Operation: Send + Sync + 'static {
    /// The operation's fixed facts.
    fn facts(&self) -> Facts;

    /// The row's call, on the row's flow when the action takes one.
    fn request(&self, row: RowView<'_>) -> Request;

    /// Judges the row from the flows listed at its directory (same file system and target path,
    /// any source).
    fn judge(&self, row: RowView<'_>, at_directory: &[&DataFlowInfo]) -> Judgement;

    /// Adds what the operation records when a row reaches its goal.
    fn on_done(&self, _t: &mut Transition) {}

    /// What a run of this operation does with a row the state file already knows.
    fn resume(&self, known: Known<'_>, retry_failed: bool) -> Resume {
        resume::decide(known, retry_failed)
    }

    /// What a call's answer means. `attempts` counts this run's calls for the row, this one
    /// included.
    fn after_call(
        &self,
        result: &Result<Answer, CallError>,
        attempts: u32,
        max_attempts: u32,
    ) -> AfterCall {
        default_after_call(result, attempts, max_attempts, true)
    }
}

/// The classification every action shares; `lost_needs_listing` is false for actions that are
/// safe to send again after a lost answer.
pub fn default_after_call(
    result: &Result<Answer, CallError>,
    attempts: u32,
    max_attempts: u32,
    lost_needs_listing: bool,
) -> AfterCall {
    use crate::api::classify::PATH_USED;
    use crate::api::error::codes;
    let error = match result {
        Ok(a) => {
            return AfterCall::Finish(Final::Done {
                data_flow_id: a.data_flow_id.clone(),
                request_id: Some(a.request_id.clone()),
                via: "call",
                flow_status: None,
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
        OutcomeClass::Unknown if lost_needs_listing => AfterCall::Resolve {
            exists: error.code == PATH_USED,
            error,
        },
        OutcomeClass::Unknown if attempts >= max_attempts => {
            AfterCall::Finish(Final::Failed(gave_up(error, attempts)))
        }
        OutcomeClass::Unknown => AfterCall::Retry {
            backoff: Backoff::TRANSIENT,
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
mod tests;
