//! The run: validate, lock and open the state, feed the manifest's rows to the dispatcher, and
//! sum up. Pacing, retries, reconciliation and cancellation live in the files beside this one.

mod backoff;
pub mod decide;
mod dispatch;
pub mod events;
mod feed;
mod listing;
pub mod pacer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use dispatch::{DispatchSettings, CONFLICT};
pub use events::{Event, EventSink, RowEvent, StopReason};

use crate::api::{Client, Credentials, Endpoint};
use crate::manifest::{self, ManifestError, ManifestOptions};
use crate::store::{self, read, RowState, RunTotals, StoreError, Writer};

/// Everything a run needs, resolved from flags, environment and defaults.
pub struct RunSettings {
    pub manifest: PathBuf,
    pub state: PathBuf,
    pub endpoint: Endpoint,
    pub credentials: Credentials,
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
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Manifest(_) => 2,
            RunError::Store(_) => 5,
            RunError::Client(_) | RunError::OtherService { .. } | RunError::Endpoint(_) => 2,
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
    /// The exit code, decided here and only here (SPEC "Exit codes").
    pub fn exit_code(&self) -> i32 {
        let n = |s| self.counts.get(&s).copied().unwrap_or(0);
        let unsettled = n(RowState::Pending) + n(RowState::Retrying) + n(RowState::Unknown);
        match self.stop.as_ref().map(|(r, _)| *r) {
            Some(StopReason::Store) => return 5,
            Some(StopReason::Manifest) => return 2,
            // A stop that came when every row was already settled changed nothing.
            Some(StopReason::Fatal) if unsettled > 0 => return 3,
            Some(StopReason::Interrupted | StopReason::MaxRuntime) if unsettled > 0 => return 4,
            _ => {}
        }
        if unsettled > 0 {
            4
        } else if n(RowState::Failed) > 0 {
            1
        } else {
            0
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
            .map_err(|e| RunError::Client(e.to_string()))??
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
    let (writer, writer_thread) = Writer::start(conn, &state_path);
    let run_id = writer
        .begin_run(&manifest_path.display().to_string(), plan.rows, service)
        .await?;
    let client = Client::new(credentials, dispatch_settings.request_timeout)
        .map_err(|e| RunError::Client(e.to_string()))?;

    let (feed_tx, feed_rx) = mpsc::channel(1024);
    let reader = manifest::read(&manifest_path, &manifest_options)?;
    let feed = {
        let (writer, events) = (writer.clone(), events.clone());
        tokio::task::spawn_blocking(move || {
            feed::feed(reader, &writer, retry_failed, &feed_tx, &events)
        })
    };
    let mut end = dispatch::dispatch(
        client,
        writer.clone(),
        run_id,
        endpoint,
        dispatch_settings,
        events.clone(),
        feed_rx,
        cancel,
        deadline,
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
        Err(e) => end.stop = Some((StopReason::Store, e.to_string())),
    }
    let totals = RunTotals {
        calls: end.calls,
        throttled: end.throttled,
        created: end.created,
        exit_code: -1,
    };
    let ended = writer.end_run(run_id, totals).await;
    drop(writer);
    tokio::task::spawn_blocking(move || writer_thread.join())
        .await
        .map_err(|e| RunError::Client(e.to_string()))?;
    if let Some(e) = end.store_error.take() {
        return Err(RunError::Store(e));
    }
    ended?;

    let conn = store::open(&state_path, false)?;
    let sq = |e| StoreError::Unreadable {
        path: state_path.clone(),
        detail: format!("{e}"),
    };
    let summary = RunSummary {
        counts: read::counts(&conn, true).map_err(sq)?,
        total: plan.rows,
        calls: end.calls,
        throttled: end.throttled,
        created_now: end.created,
        elapsed: started.elapsed(),
        failures: read::failures_by_code(&conn).map_err(sq)?,
        stop: end.stop,
        state_file: state_path.clone(),
        manifest: manifest_path,
    };
    conn.execute(
        "UPDATE runs SET exit_code = ?1 WHERE id = ?2",
        rusqlite::params![summary.exit_code(), run_id],
    )
    .map_err(sq)?;
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
                summary(counts, *stop).exit_code(),
                *code,
                "{counts:?} {stop:?}"
            );
        }
    }
}
