//! Every change the engine makes to a row's record, as a closed type: a [`Transition`] names the
//! record ([`Record`]: a manifest row's flow, or one of its data tasks) and the [`Change`], one
//! variant per change that exists. The store writer applies them; it decides nothing.

use super::state::RowState;
use super::synced::Rotated;
use crate::api::tasks::TaskType;
use crate::api::CallError;

/// Which record a change goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A manifest row (its flow), by its id in the state file.
    Flow(i64),
    /// One data task of a row.
    Task(TaskKey),
}

/// A row's data task: the row, the type, and which of the row's tasks of that type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaskKey {
    pub flow_id: i64,
    pub kind: TaskType,
    pub generation: u32,
}

/// An error as recorded: its code and message, and the request id when the service gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRecord {
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl From<&CallError> for ErrorRecord {
    fn from(e: &CallError) -> Self {
        ErrorRecord {
            code: e.code.clone(),
            message: e.message.clone(),
            request_id: e.request_id.clone(),
        }
    }
}

/// A call about to be sent, for the calls table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptBegin {
    pub attempt: u32,
    pub run_id: i64,
    pub sent_at_ms: i64,
}

/// The end of one call, for the calls table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptEnd {
    pub attempt: u32,
    pub ended_at_ms: i64,
    pub outcome: &'static str,
    pub error_code: Option<String>,
    pub request_id: Option<String>,
    pub latency_ms: i64,
}

/// A data task's progress as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskProgress {
    /// `init`, `running`, `finished`, `failed`, `stopping`, `stopped`.
    pub status: String,
    pub files_total: Option<i64>,
    pub files_done: Option<i64>,
    pub files_failed: Option<i64>,
    pub bytes_total: Option<i64>,
    pub bytes_done: Option<i64>,
    pub bytes_failed: Option<i64>,
    /// Where the list of failed files is, as the service gives it.
    pub failed_list: Option<String>,
}

/// What a listing showed of a row's flow or task, and when (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// A flow's `Status`.
    Flow { status: String, at_ms: i64 },
    /// A task's status and progress.
    Task { progress: TaskProgress, at_ms: i64 },
}

/// The state a row waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Nothing sent yet (or a flow gone missing: the next run creates it again).
    Pending,
    /// Will be sent again.
    Retrying,
    /// A call of unknown outcome: asked about before anything is sent again.
    Unknown,
}

impl Waiting {
    pub fn state(self) -> RowState {
        match self {
            Waiting::Pending => RowState::Pending,
            Waiting::Retrying => RowState::Retrying,
            Waiting::Unknown => RowState::Unknown,
        }
    }
}

/// One change of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new data task of the row, not sent yet, under the name its calls will carry.
    NewTask { name: String },
    /// A call is about to leave: the record is `unknown` until its answer, with the latest
    /// moment the call can end; committed before the call is sent.
    Sending {
        begin: AttemptBegin,
        unknown_since_ms: i64,
        /// The error the record keeps showing meanwhile.
        error: Option<ErrorRecord>,
    },
    /// The record waits, for a call or for a listing.
    Waiting {
        state: Waiting,
        error: Option<ErrorRecord>,
        end: Option<AttemptEnd>,
        /// Set for `unknown`: when the call could have acted at the latest.
        unknown_since_ms: Option<i64>,
    },
    /// The operation's goal is reached.
    Done {
        /// `created` (a flow made, adopted, modified, or a task started or followed) or
        /// `deleted`.
        state: RowState,
        /// The flow (for a row) or the task (for a task) the goal concerns.
        id: Option<String>,
        request_id: Option<String>,
        end: Option<AttemptEnd>,
        /// The manifest fields (fingerprint, source key) the record now answers to.
        answers_to: Option<(String, String)>,
        live: Option<Live>,
        /// The key rotation applied to the row's flow, with the keys it set.
        rotation: Option<Rotated>,
    },
    /// Permanent for this record.
    Failed {
        error: ErrorRecord,
        end: Option<AttemptEnd>,
    },
    /// A created row whose source the manifest changed (reported, never taken as new truth).
    Drift { error: ErrorRecord },
    /// A drifted row whose manifest is back to its flow's source.
    DriftGone,
    /// A failed or deleted row starts again from `pending`, answering to the manifest as it is.
    Restart {
        fingerprint: String,
        source_key: String,
    },
    /// A listing showed the flow or task, which has not settled.
    Watched { live: Live },
}

/// The data tasks a pass follows, summed at one moment, for the report's chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSample {
    pub run_id: i64,
    pub at_ms: i64,
    pub kind: TaskType,
    pub tasks: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub files_total: u64,
    pub files_done: u64,
}

/// A change of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub record: Record,
    pub change: Change,
}

impl Change {
    /// Whether the change is about a call of the operation (marked, waiting, failed), rather
    /// than what was found of the flow or task.
    pub fn is_call_state(&self) -> bool {
        matches!(
            self,
            Change::Sending { .. } | Change::Waiting { .. } | Change::Failed { .. }
        )
    }
}

impl Transition {
    /// The state the record takes, when the change sets one.
    pub fn state(&self) -> Option<RowState> {
        match &self.change {
            Change::NewTask { .. } | Change::Restart { .. } => Some(RowState::Pending),
            Change::Sending { .. } => Some(RowState::Unknown),
            Change::Waiting { state, .. } => Some(state.state()),
            Change::Done { state, .. } => Some(*state),
            Change::Failed { .. } => Some(RowState::Failed),
            Change::Drift { .. } | Change::DriftGone => Some(RowState::Created),
            Change::Watched { .. } => None,
        }
    }

    /// The flow or task id the change records, if any.
    pub fn id(&self) -> Option<&str> {
        match &self.change {
            Change::Done { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    /// The error the change records, if any.
    pub fn error(&self) -> Option<&ErrorRecord> {
        match &self.change {
            Change::Sending { error, .. } | Change::Waiting { error, .. } => error.as_ref(),
            Change::Failed { error, .. } | Change::Drift { error } => Some(error),
            _ => None,
        }
    }
}

impl Transition {
    /// The manifest row the change concerns.
    pub fn flow_id(&self) -> i64 {
        match &self.record {
            Record::Flow(id) => *id,
            Record::Task(key) => key.flow_id,
        }
    }

    /// The error code the change records, if any.
    pub fn error_code(&self) -> Option<&str> {
        self.error().map(|e| e.code.as_str())
    }

    /// The call the change marks as about to leave.
    pub fn begin(&self) -> Option<&AttemptBegin> {
        match &self.change {
            Change::Sending { begin, .. } => Some(begin),
            _ => None,
        }
    }

    /// The manifest fields the record answers to after the change, when it sets them.
    pub fn answers_to(&self) -> Option<(&str, &str)> {
        match &self.change {
            Change::Done {
                answers_to: Some((f, s)),
                ..
            } => Some((f, s)),
            Change::Restart {
                fingerprint,
                source_key,
            } => Some((fingerprint, source_key)),
            _ => None,
        }
    }

    /// A flow row set to `state` with nothing else, as tests of the store need.
    #[cfg(test)]
    pub fn set(flow_id: i64, state: RowState) -> Transition {
        let record = Record::Flow(flow_id);
        let change = match state {
            RowState::Pending => Change::Waiting {
                state: Waiting::Pending,
                error: None,
                end: None,
                unknown_since_ms: None,
            },
            RowState::Retrying => Change::Waiting {
                state: Waiting::Retrying,
                error: None,
                end: None,
                unknown_since_ms: None,
            },
            RowState::Unknown => Change::Waiting {
                state: Waiting::Unknown,
                error: None,
                end: None,
                unknown_since_ms: Some(0),
            },
            RowState::Failed => Change::Failed {
                error: ErrorRecord {
                    code: "X".into(),
                    message: "x".into(),
                    request_id: None,
                },
                end: None,
            },
            state => Change::Done {
                state,
                id: None,
                request_id: None,
                end: None,
                answers_to: None,
                live: None,
                rotation: None,
            },
        };
        Transition { record, change }
    }
}
