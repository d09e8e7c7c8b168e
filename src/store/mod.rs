//! The state file: SQLite, written by one thread, read by `status`, `report` and the summary.
//! Schema in `migrations/`; no secret is ever stored.

mod apply;
mod apply_task;
pub mod key_digest;
mod lock;
mod open;
pub mod overview;
pub mod read;
mod readonly;
pub mod run_record;
mod runs;
mod state;
mod sync;
mod synced;
pub mod task_overview;
pub mod task_read;
pub mod tasks;
pub mod transition;
mod writer;
mod writer_ops;
mod writer_thread;

pub use crate::clock::now_ms;
pub use lock::{acquire as lock, lock_path, RunLock};
pub use open::{open, sqlite_cause, StoreError, APPLICATION_ID};
pub use readonly::{open_read_only, ReadOnly, RecordedRow};
pub use run_record::{PassRecord, RunTotals};
pub use state::RowState;
pub use synced::Rotated;
pub use transition::{
    AttemptBegin, AttemptEnd, Change, ErrorRecord, Live, Record, TaskKey, TaskProgress, TaskSample,
    Transition, Waiting,
};
pub use writer::{PendingSync, SyncRow, Synced, Writer};
pub use writer_thread::WriterThread;

#[cfg(test)]
mod tests;
