//! The run: validate, lock and open the state, feed the manifest's rows to the dispatcher, and
//! sum up. Pacing, retries, reconciliation and cancellation live in the files beside this one.

mod backoff;
pub mod core;
pub mod events;
pub mod feed;
mod listing;
pub mod op;
pub mod pacer;
pub mod resume;
mod shell;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use events::{Event, EventSink, RowEvent, StopReason};
pub use op::create::CONFLICT;

use self::core::{Core, CoreSettings};
use crate::api::{Client, CredentialProvider, Endpoint};
use crate::exit::ExitCode;
use crate::manifest::{self, ManifestError, ManifestOptions};
use crate::store::{self, read, RowState, RunTotals, StoreError, Writer};
use op::{CreateOp, Operation};

/// What the engine's pacing, concurrency and retries need, resolved from the flags.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Calls per second per host for the operation's action (0: unpaced).
    pub rate: f64,
    /// DescribeDataFlow calls per second per host.
    pub describe_rate: f64,
    /// Calls waiting for a slot or in flight, per host.
    pub concurrency: usize,
    pub max_attempts: u32,
    pub request_timeout: Duration,
    pub settle: Duration,
    pub seed: u64,
}

/// Everything a run needs, resolved from flags, environment and defaults.
pub struct RunSettings {
    pub manifest: PathBuf,
    pub state: PathBuf,
    pub endpoint: Endpoint,
    /// Shared with the caller, who can read its refresh count after the run.
    pub credentials: CredentialProvider,
    pub manifest_options: ManifestOptions,
    pub dispatch: DispatchSettings,
    pub retry_failed: bool,
    pub max_runtime: Option<Duration>,
}

/// Why a run could not start or could not go on; each is an exit code (see [`RunError::exit_code`]).
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

impl RunError {
    /// SPEC's exit code for the error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            RunError::Manifest(_) => ExitCode::Usage,
            RunError::Store(_) => ExitCode::State,
            RunError::Client(_) | RunError::OtherService { .. } | RunError::Endpoint(_) => {
                ExitCode::Usage
            }
            RunError::Internal(_) => ExitCode::Fatal,
        }
    }
}

/// The end of a run, for the summary and the exit code.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Rows of this manifest per state.
    pub counts: BTreeMap<RowState, u64>,
    /// Rows in the manifest.
    pub total: u64,
    /// CreateDataFlow calls sent by this run.
    pub calls: u64,
    /// Of which throttled.
    pub throttled: u64,
    /// Rows this run brought to `created`.
    pub created_now: u64,
    pub elapsed: Duration,
    /// Failed rows of the manifest per error code, most first.
    pub failures: Vec<(String, u64)>,
    /// Why the run stopped early, with the detail.
    pub stop: Option<(StopReason, String)>,
    pub state_file: PathBuf,
    pub manifest: PathBuf,
}

impl RunSummary {
    /// The exit code, decided here and only here (SPEC "Exit codes"), from what the state file
    /// recorded and why the run stopped.
    pub fn exit_code(&self) -> ExitCode {
        let n = |s| self.counts.get(&s).copied().unwrap_or(0);
        let unsettled = n(RowState::Pending) + n(RowState::Retrying) + n(RowState::Unknown);
        match self.stop.as_ref().map(|(r, _)| *r) {
            Some(StopReason::Store) => return ExitCode::State,
            Some(StopReason::Manifest) => return ExitCode::Usage,
            // A stop that came when every row was already settled changed nothing.
            Some(StopReason::Fatal) if unsettled > 0 => return ExitCode::Fatal,
            Some(StopReason::Interrupted | StopReason::MaxRuntime) if unsettled > 0 => {
                return ExitCode::Interrupted
            }
            _ => {}
        }
        if unsettled > 0 {
            ExitCode::Interrupted
        } else if n(RowState::Failed) > 0 {
            ExitCode::FailedRows
        } else {
            ExitCode::Ok
        }
    }
}

/// Runs a manifest to the end, or until `cancel` fires or `--max-runtime` passes.
pub async fn run(
    settings: RunSettings,
    events: EventSink,
    cancel: CancellationToken,
) -> Result<RunSummary, RunError> {
    let started = tokio::time::Instant::now();
    let deadline = settings.max_runtime.map(|d| started + d);
    let RunSettings {
        manifest: manifest_path,
        state: state_path,
        endpoint,
        credentials,
        manifest_options,
        dispatch: dispatch_settings,
        retry_failed,
        ..
    } = settings;
    let manifest_options = std::sync::Arc::new(manifest_options);

    let plan = {
        let (path, opts) = (manifest_path.clone(), manifest_options.clone());
        tokio::task::spawn_blocking(move || manifest::validate(&path, &opts))
            .await
            .map_err(|e| RunError::Internal(format!("the manifest validation failed: {e}")))??
    };
    endpoint.check_regions(plan.per_group.keys().map(|(region, _)| region.as_str()))?;
    events.send(Event::Planned { total: plan.rows });

    let _lock = store::lock(&state_path)?;
    let conn = store::open(&state_path, true)?;
    let service = endpoint.service_kind();
    let recorded = read::service(&conn).map_err(|e| StoreError::sqlite(&state_path, e))?;
    if let Some(recorded) = recorded.filter(|r| r != service) {
        return Err(RunError::OtherService {
            state: state_path,
            recorded,
            now: service,
        });
    }
    let (writer, writer_thread) = Writer::start(conn, &state_path)?;
    let run_id = writer
        .begin_run(&manifest_path.display().to_string(), plan.rows, service)
        .await?;
    let client = Client::new(credentials, dispatch_settings.request_timeout)
        .map_err(|e| RunError::Client(e.to_string()))?;

    let (feed_tx, feed_rx) = mpsc::channel(1024);
    let reader = manifest::read(&manifest_path, &manifest_options)?;
    let op: Arc<dyn Operation> = Arc::new(CreateOp);
    let feed = {
        let (writer, events, op) = (writer.clone(), events.clone(), op.clone());
        tokio::task::spawn_blocking(move || {
            feed::feed(reader, &writer, &*op, retry_failed, &feed_tx, &events)
        })
    };
    let core = Core::new(
        op.clone(),
        CoreSettings {
            concurrency: dispatch_settings.concurrency,
            max_attempts: dispatch_settings.max_attempts,
            request_timeout: dispatch_settings.request_timeout,
            settle: dispatch_settings.settle,
            seed: dispatch_settings.seed,
            retry_failed,
            run_id,
            epoch_ms: store::now_ms(),
        },
    );
    let rates = shell::Rates {
        calls: dispatch_settings.rate,
        listings: dispatch_settings.describe_rate,
    };
    let mut end = shell::drive(
        core,
        op,
        client,
        writer.clone(),
        endpoint,
        rates,
        events.clone(),
        feed_rx,
        cancel,
        deadline,
        started,
    )
    .await;
    match feed.await {
        Ok(Ok(_)) => {}
        Ok(Err(feed::FeedError::Manifest(p))) => {
            end.stop = Some((StopReason::Manifest, p.to_string()));
        }
        Ok(Err(feed::FeedError::Store(e))) => {
            end.stop = Some((StopReason::Store, e.to_string()));
            end.store_error.get_or_insert(e);
        }
        Err(e) => {
            end.stop = Some((
                StopReason::Store,
                format!("the manifest reader failed: {e}"),
            ))
        }
    }

    // Everything recorded so far is committed; the exit code is decided from it and written
    // with the end of the run.
    let flushed = writer.flush().await;
    let conn = store::open(&state_path, false)?;
    let sq = |e| StoreError::Unreadable {
        path: state_path.clone(),
        detail: format!("{e}"),
    };
    let mut counts = read::counts(&conn, true).map_err(sq)?;
    // Rows the run never reached are still pending.
    let seen: u64 = counts.values().sum();
    *counts.entry(RowState::Pending).or_default() += plan.rows.saturating_sub(seen);
    let summary = RunSummary {
        counts,
        total: plan.rows,
        calls: end.totals.calls,
        throttled: end.totals.throttled,
        created_now: end.totals.done,
        elapsed: started.elapsed(),
        failures: read::failures_by_code(&conn).map_err(sq)?,
        stop: end.stop,
        state_file: state_path.clone(),
        manifest: manifest_path,
    };
    drop(conn);
    let totals = RunTotals {
        calls: summary.calls,
        throttled: summary.throttled,
        created: summary.created_now,
        exit_code: summary.exit_code().code(),
    };
    let ended = writer.end_run(run_id, totals).await;
    drop(writer);
    tokio::task::spawn_blocking(move || writer_thread.join())
        .await
        .map_err(|e| RunError::Internal(format!("the state writer thread failed: {e}")))?;
    if let Some(e) = end.store_error.take() {
        return Err(RunError::Store(e));
    }
    flushed?;
    ended?;
    Ok(summary)
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
            elapsed: Duration::ZERO,
            failures: Vec::new(),
            stop: stop.map(|r| (r, String::new())),
            state_file: PathBuf::new(),
            manifest: PathBuf::new(),
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
            (&done, Some(Manifest), 2),
        ];
        for (counts, stop, code) in table {
            assert_eq!(
                summary(counts, *stop).exit_code().code(),
                *code,
                "{counts:?} {stop:?}"
            );
        }
    }
}
