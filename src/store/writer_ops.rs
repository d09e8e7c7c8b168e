//! What the writer's handle asks of its thread: one request per change or read, each with where
//! its answer goes (`writer` sends them, `writer_thread` commits and answers them).

use tokio::sync::oneshot;

use super::run_record::RunTotals;
use super::synced::{SyncRow, Synced};
use super::transition::Transition;

/// Where a request's answer goes: its value once committed, or what went wrong.
pub(super) type Reply<T> = oneshot::Sender<Result<T, String>>;

/// The writer's answer to a sync: the rows it was given, and where each stands.
pub(super) type SyncAnswer = (Vec<SyncRow>, Vec<Synced>);

/// A request of the writer's thread.
pub(super) enum Op {
    BeginRun {
        manifest: String,
        service: &'static str,
        command: &'static str,
        manifest_rows: u64,
        now_ms: i64,
        reply: Reply<i64>,
    },
    Sync {
        rows: Vec<SyncRow>,
        now_ms: i64,
        reply: Reply<SyncAnswer>,
    },
    /// A feed starts: no row seen yet.
    SyncBegin {
        reply: Reply<()>,
    },
    /// A feed read the whole manifest: rows it did not see have left it.
    SyncEnd {
        reply: Reply<u64>,
    },
    Transition {
        t: Box<Transition>,
        now_ms: i64,
        reply: Option<Reply<()>>,
    },
    Flush {
        reply: Reply<()>,
    },
    /// A sample of the data tasks' figures.
    Sample(super::transition::TaskSample),
    /// Rows' flow status and latest data task of a type (a read, in order with the writes).
    RowTasks {
        flow_ids: Vec<i64>,
        kind: crate::api::tasks::TaskType,
        reply: Reply<Vec<super::tasks::RowTasks>>,
    },
    Rotation {
        manifest: String,
        now_ms: i64,
        reply: Reply<i64>,
    },
    EndRotation {
        id: i64,
        now_ms: i64,
    },
    EndRun {
        run_id: i64,
        totals: RunTotals,
        now_ms: i64,
        reply: Reply<()>,
    },
}
