//! What goes into the core and what comes out: its settings, the inputs it takes with the time
//! (a row fed, a slot, an answer, a listing, a stop), the commands it returns, and its counts.

use std::time::Duration;

use super::super::events::{Event, StopReason};
use super::super::op::{Action, Answer, Operation};
use super::super::resume::Resume;
use super::super::Pacing;
use super::{GroupKey, HostId, Listed, Snapshot};
use crate::api::{CallError, Request};
use crate::manifest::Row;
use crate::store::tasks::RowTasks;
use crate::store::{RowState, Synced, TaskSample, Transition};

pub use super::super::totals::Totals;

/// What the core needs to know: the run's pacing as the flags resolved it, and the run's own.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// Of which the core reads the concurrency, the attempts, the timeout and the settle time.
    pub pacing: Pacing,
    /// Seed of its random draws (backoff jitter).
    pub seed: u64,
    /// Also re-attempt rows that failed permanently in an earlier run.
    pub retry_failed: bool,
    /// The run's id in the state file.
    pub run_id: i64,
    /// The wall clock (ms since the epoch) at time zero.
    pub epoch_ms: i64,
    /// The state file's nonce, in the names of its data tasks.
    pub task_nonce: String,
}

/// What the feed hands the core: a row that needs work, or the count of rows that need none.
/// (Nearly every message is a row: boxing it would add an allocation per row and save nothing.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Fed {
    Row(FeedItem),
    /// Rows settled before the pass, by state (one message per batch of rows).
    Settled(Vec<(RowState, u64)>),
}

/// A row that needs work, with what the state file knows of it.
#[derive(Debug)]
pub struct FeedItem {
    pub row: Row,
    pub synced: Synced,
    /// For operations on data tasks: the row's flow status and latest task of their type.
    pub tasks: Option<RowTasks>,
    /// What the row needs, decided once ([`Operation::resume`]).
    pub resume: Resume,
}

impl FeedItem {
    /// A row with the decision of what it needs, made from what the state file knows of it.
    pub fn new(
        op: &dyn Operation,
        row: Row,
        synced: Synced,
        tasks: Option<RowTasks>,
        retry_failed: bool,
    ) -> FeedItem {
        let (fingerprint, source_key) = (row.fingerprint(), row.source_key());
        let known = super::super::resume::Known {
            state: synced.state,
            error_code: synced.error_code.as_deref(),
            fingerprint: (&synced.fingerprint, &fingerprint),
            source: (synced.source_key.as_deref(), &source_key),
            data_flow_id: synced.data_flow_id.as_deref(),
            rotation: synced.rotation,
            keys: crate::store::key_digest::RowKeys::of(&row.request),
            tasks: tasks.as_ref(),
        };
        let resume = op.resume(known, retry_failed);
        FeedItem {
            row,
            synced,
            tasks,
            resume,
        }
    }
}

/// An input to the core.
#[derive(Debug)]
pub enum Input {
    /// A row of the manifest that needs work, with what the state file knows of it.
    Fed { item: Box<FeedItem>, host: HostId },
    /// Rows of the manifest settled before the pass, by state: nothing is done for them, they
    /// are only counted.
    Settled(Vec<(RowState, u64)>),
    /// The manifest has no more rows.
    FeedEnded,
    /// The pacer gave the row's call its slot (a time at most a moment away).
    SlotGranted { line: u64, slot: Duration },
    /// The run stopped before the row's slot came: nothing was recorded or sent.
    SlotAbandoned { line: u64 },
    /// The row's call was not sent: its record could not be written.
    NotSent { line: u64 },
    /// The row's call ended.
    Answered {
        line: u64,
        result: Result<Answer, CallError>,
        latency: Duration,
    },
    /// A listing of a file system ended; `started` is when its first page was sent.
    Listed {
        group: GroupKey,
        started: Duration,
        result: Result<Listed, CallError>,
    },
    /// A group's kept listing ([`Command::Keep`]) was stored, or could not be.
    Kept {
        group: usize,
        result: Result<(), String>,
    },
    /// What the group's kept listing holds at the keys a row asked for ([`Command::Look`]), or
    /// why it cannot be read.
    Found {
        line: u64,
        result: Result<Snapshot, String>,
    },
    /// Stop starting work.
    Stop { reason: StopReason, detail: String },
}

/// A row's call ([`Command::Send`]): `request` for the row on `line`, sent with its `region` to
/// `host` at `slot`, after `mark` is durable (when the operation records its calls).
#[derive(Debug)]
pub struct Call {
    pub line: u64,
    pub host: HostId,
    pub region: String,
    pub request: Box<Request>,
    pub slot: Duration,
    pub mark: Option<Transition>,
}

/// What the core asks the caller to do.
#[derive(Debug)]
pub enum Command {
    /// Queue this transition for the state file.
    Record(Transition),
    /// Wait for a slot of `action` on `host`, then answer [`Input::SlotGranted`] (or
    /// [`Input::SlotAbandoned`] if the run stops first).
    WaitSlot {
        line: u64,
        host: HostId,
        action: Action,
    },
    /// Commit `mark` durably (when the operation records its calls), then at `slot` send
    /// `request` with the row's `region`; answer [`Input::Answered`] (or [`Input::NotSent`] if
    /// the mark could not be written).
    Send(Call),
    /// List what the group covers (a file system's flows, or its data tasks created since
    /// `since_ms` at the earliest); answer [`Input::Listed`].
    List {
        group: GroupKey,
        host: HostId,
        since_ms: Option<i64>,
    },
    /// Store what the group's first listing found for rows fed later, out of memory; answer
    /// [`Input::Kept`]. Looks of the group ([`Command::Look`]) are answered after it.
    Keep { group: usize, snapshot: Snapshot },
    /// Read what the group's kept listing holds at `keys`; answer [`Input::Found`].
    Look {
        line: u64,
        group: usize,
        keys: Vec<String>,
    },
    /// Tell the world.
    Emit(Event),
    /// Keep a sample of the data tasks' figures in the state file.
    Sample(TaskSample),
    /// The run is stopping: abandon slot waits and listings.
    Halt,
}
