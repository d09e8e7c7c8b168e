//! The state file: SQLite, written by one thread, read by `status`, `report` and the summary.
//! Schema in `migrations/`; no secret is ever stored.

mod feed_ops;
mod lock;
mod open;
pub mod overview;
pub mod read;
mod readonly;
mod records;
mod state;
mod sync;
mod writer;

pub use feed_ops::PendingSync;
pub use lock::{acquire as lock, lock_path, RunLock};
pub use open::{open, sqlite_cause, StoreError, APPLICATION_ID};
pub use readonly::{open_read_only, ReadOnly, RecordedRow};
pub use state::RowState;
pub use writer::{
    now_ms, AttemptBegin, AttemptEnd, RunTotals, SyncRow, Synced, Transition, Writer, WriterThread,
};

#[cfg(test)]
mod tests;
