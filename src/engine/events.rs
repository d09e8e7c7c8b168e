//! What the engine tells the world. The engine never prints: the progress bar, plain lines and
//! logs consume these.

use tokio::sync::mpsc;

use super::totals::Totals;
use crate::api::tasks::TaskType;
use crate::api::CallError;
use crate::store::task_read::Volume;
use crate::store::RowState;

/// Why a run stopped before the end; ordered, so that a stronger reason replaces a weaker one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopReason {
    /// `--max-runtime` ran out.
    MaxRuntime,
    /// A signal (Ctrl-C, SIGTERM).
    Interrupted,
    /// The service answered with an error that concerns every row.
    Fatal,
    /// The state file could not be written.
    Store,
    /// The manifest changed under the run.
    Manifest,
}

/// A row's state as found or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowEvent {
    pub line: u64,
    pub file_system_id: String,
    pub target_path: String,
    pub state: RowState,
    pub data_flow_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub request_id: Option<String>,
    pub attempt: u32,
    /// True for rows already final when the run started (nothing was done for them).
    pub earlier: bool,
    /// How the state was reached, for logs: `call`, `listing`, `file system`, `resume`.
    pub via: &'static str,
}

impl RowEvent {
    /// The event of a row that was final before this run (nothing was done for it).
    pub fn earlier(row: &crate::manifest::Row, synced: &crate::store::Synced) -> RowEvent {
        RowEvent {
            line: row.line,
            file_system_id: row.request.file_system_id.clone(),
            target_path: row.request.target_path.clone(),
            state: synced.state,
            data_flow_id: synced.data_flow_id.clone(),
            error_code: None,
            error_message: None,
            request_id: None,
            attempt: synced.attempts,
            earlier: true,
            via: "resume",
        }
    }
}

/// The passes of a run over the rows, each one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pass {
    #[default]
    Create,
    Update,
    Rotate,
    Wait,
    Delete,
    /// Data tasks of a type started.
    TaskStart(TaskType),
    /// Data tasks of a type followed to their end.
    TaskWait(TaskType),
    /// Data tasks of a type stopped.
    TaskStop(TaskType),
    /// Every task on the rows' flows stopped, whoever started it (`delete --stop-tasks`).
    StopAnyTask,
}

impl Pass {
    /// The pass's name in summaries: `create`, `wait`, `start metaload`, `follow metaload`.
    pub fn name(self) -> String {
        match self {
            Pass::Create => "create".into(),
            Pass::Update => "update".into(),
            Pass::Rotate => "rotate keys".into(),
            Pass::Wait => "wait".into(),
            Pass::Delete => "delete".into(),
            Pass::TaskStart(k) => format!("start {}", k.as_str()),
            Pass::TaskWait(k) => format!("follow {}", k.as_str()),
            Pass::TaskStop(k) => format!("stop {}", k.as_str()),
            Pass::StopAnyTask => "stop every task".into(),
        }
    }

    /// What a row that reached the pass's goal is called on the bar and in progress lines.
    pub fn word(self) -> &'static str {
        match self {
            Pass::Create => "created",
            Pass::Update => "updated",
            Pass::Rotate => "rotated",
            Pass::Wait => "available",
            Pass::Delete => "deleted",
            Pass::TaskStart(_) => "started",
            Pass::TaskWait(_) => "ended",
            Pass::TaskStop(_) => "stopped",
            Pass::StopAnyTask => "cleared",
        }
    }
}

/// One event of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A pass over the manifest's `total` rows begins (the manifest is valid); `before` sums
    /// the counts of the run's passes before it.
    Planned {
        total: u64,
        pass: Pass,
        before: Box<Totals>,
    },
    /// A row's state, for logs.
    Row(RowEvent),
    /// The pass's counts, whole, each time they change: what every display shows.
    Counts(Box<Totals>),
    /// A DescribeDataFlow listing of a file system ended (`flows` listed), to resolve rows of
    /// unknown outcome.
    Listing {
        file_system_id: String,
        flows: usize,
        error: Option<CallError>,
    },
    /// The run stops starting calls.
    Stopping { reason: StopReason, detail: String },
    /// The data tasks the pass follows, summed anew after a listing.
    Tasks(TaskFigures),
}

/// Data tasks summed: per status, and files and bytes (as the service last listed them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFigures {
    pub tasks: u64,
    /// Tasks per `TaskStatus` (`init`, `running`, `finished`, ...), in the order first seen.
    pub by_status: Vec<(String, u64)>,
    pub volume: Volume,
}

impl TaskFigures {
    /// Tasks of a status.
    pub fn status(&self, s: &str) -> u64 {
        self.by_status
            .iter()
            .find(|(k, _)| k == s)
            .map_or(0, |(_, n)| *n)
    }
}

/// Where events go. Sending never blocks and never fails the run.
#[derive(Debug, Clone)]
pub struct EventSink(Option<mpsc::UnboundedSender<Event>>);

impl EventSink {
    /// A sink and the receiver that consumes it.
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (EventSink(Some(tx)), rx)
    }

    /// A sink that drops everything.
    pub fn none() -> EventSink {
        EventSink(None)
    }

    /// Sends one event.
    pub fn send(&self, e: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(e);
        }
    }
}
