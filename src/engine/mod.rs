//! The run: validate, lock and open the state, feed the manifest's rows to the dispatcher, and
//! sum up. Pacing, retries, reconciliation and cancellation live in the files beside this one.

mod backoff;
pub mod core;
pub mod events;
pub mod feed;
mod kept;
mod kept_store;
pub mod listing;
pub mod op;
pub mod pacer;
mod pacer_adapt;
pub mod pacers;
mod passes;
pub mod peers;
pub mod resume;
mod run;
mod run_end;
mod settings;
mod shell;
mod summary;
pub mod task_name;
pub mod totals;

use std::path::PathBuf;

pub use backoff::Backoff;
pub use events::{Event, EventSink, Pass, RowEvent, StopReason, TaskFigures};
pub use op::create::CONFLICT;
pub use run::run;
pub use settings::{Goal, Pacing, RunSettings, TaskAction};
pub use summary::{PassTime, RunSummary, TaskSummary};
pub use totals::Totals;

use crate::manifest::ManifestError;
use crate::store::StoreError;

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
