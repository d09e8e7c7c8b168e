//! A run: validate the manifest, lock and open the state, then one pass over the rows per
//! operation of the run's goal (create, update, rotate, wait; or delete), each a core driven by
//! the shell, and sum up from what was recorded.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::core::{Core, CoreSettings, Totals};
use super::op::{Operation, RotateOp};
use super::pacers::{Pacers, Rates};
use super::passes::{command, is_goal, passes, task_plan, wait_of, Step};
use super::shell::{self, ShellEnd};
use super::{feed, Event, EventSink, Goal, Pacing, RunError, RunSettings, RunSummary};
use super::{Pass, StopReason};
use super::{PassTime, TaskSummary};
use crate::api::tasks::TaskType;
use crate::api::{Client, Endpoint};
use crate::manifest::{self, ManifestOptions};
use crate::store::{self, read, RowState, RunTotals, StoreError, Writer};

/// What every pass shares.
struct Ctx<'a> {
    manifest: &'a Path,
    options: &'a Arc<ManifestOptions>,
    writer: &'a Writer,
    client: &'a Client,
    endpoint: &'a Endpoint,
    pacing: Pacing,
    seed: u64,
    retry_failed: bool,
    run_id: i64,
    task_nonce: String,
    events: &'a EventSink,
    cancel: &'a CancellationToken,
    started: Instant,
    /// One pacer per host and action for every pass.
    pacers: Arc<Pacers>,
}

/// Runs a manifest to the end, or until `cancel` fires or `--max-runtime` passes.
pub async fn run(
    settings: RunSettings,
    events: EventSink,
    cancel: CancellationToken,
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let deadline = settings.max_runtime.map(|d| started + d);
    let RunSettings {
        manifest: manifest_path,
        state: state_path,
        endpoint,
        credentials,
        manifest_options,
        pacing,
        seed,
        retry_failed,
        goal,
        tasks,
        stop_tasks,
        ..
    } = settings;
    let options = Arc::new(manifest_options);

    // The manifest is read once to validate it and once per pass to feed it: each read must be
    // of the same file, or a row added in between would escape the duplicate check.
    let stamp = Stamp::of(&manifest_path);
    let plan = {
        let (path, opts) = (manifest_path.clone(), options.clone());
        tokio::task::spawn_blocking(move || manifest::validate(&path, &opts))
            .await
            .map_err(|e| RunError::Internal(format!("the manifest validation failed: {e}")))??
    };
    endpoint.check_regions(plan.per_group.keys().map(|(region, _)| region.as_str()))?;
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
    let sq = |e| StoreError::sqlite(&state_path, e);
    let task_nonce = store::tasks::nonce(&conn).map_err(sq)?;
    let key_salt = store::key_digest::salt(&conn).map_err(sq)?;
    let live = store::task_read::live_kinds(&conn).map_err(sq)?;
    let plan_of_tasks = task_plan(&goal, &tasks, &live);
    let (writer, writer_thread) = Writer::start(conn, &state_path)?;
    let manifest_name = manifest_path.display().to_string();
    let run_id = writer
        .begin_run(&manifest_name, plan.rows, service, command(&goal))
        .await?;
    let client = Client::new(credentials, pacing.request_timeout)
        .map_err(|e| RunError::Client(e.to_string()))?;

    let rates = Rates {
        calls: pacing.rate,
        listings: pacing.describe_rate,
    };
    let pacers = Arc::new(Pacers::new(rates, client.credentials().account_hint()));
    let ctx = Ctx {
        pacers,
        manifest: &manifest_path,
        options: &options,
        writer: &writer,
        client: &client,
        endpoint: &endpoint,
        pacing,
        seed,
        retry_failed,
        run_id,
        task_nonce,
        events: &events,
        cancel: &cancel,
        started,
    };
    let mut end = ShellEnd::default();
    let mut totals = Totals::default();
    let mut pass_times = Vec::new();
    let steps = passes(&goal, &tasks, &live, stop_tasks);
    // The passes that did not go through every row: the one a stop cut short, and those after.
    let kinds: Vec<Pass> = steps.iter().map(Step::pass).collect();
    let mut passes_left = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let (op, rotation, pass) = match step {
            Step::Op(op, pass) => (op, None, pass),
            Step::Rotate => {
                let id = writer.rotation(&manifest_name).await?;
                let salt = key_salt.clone();
                let op = Arc::new(RotateOp { rotation: id, salt }) as Arc<dyn Operation>;
                (op, Some(id), Pass::Rotate)
            }
        };
        events.send(Event::Planned {
            total: plan.rows,
            pass,
            before: Box::new(totals.clone()),
        });
        // `--wait-timeout` bounds the wait pass; `--max-runtime` bounds the whole run.
        let runtime = deadline.map(|d| (d, "--max-runtime"));
        let pass_deadline = match (wait_of(&goal), op.facts().wait_timeout) {
            (Some(w), true) => {
                let w = Instant::now().checked_add(w).map(|t| (t, "--wait-timeout"));
                match (runtime, w) {
                    (Some(d), Some(w)) => Some(if d.0 <= w.0 { d } else { w }),
                    (d, w) => d.or(w),
                }
            }
            _ => runtime,
        };
        if Stamp::of(&manifest_path) != stamp {
            end.stop = Some((StopReason::Manifest, changed(&manifest_path)));
            passes_left = kinds[i..].to_vec();
            break;
        }
        let pass_started = Instant::now();
        let mut pass_end = pass_over(&ctx, op, pass_deadline).await;
        if pass_end.stop.is_none() && Stamp::of(&manifest_path) != stamp {
            pass_end.stop = Some((StopReason::Manifest, changed(&manifest_path)));
        }
        totals.add(&pass_end.totals);
        pass_times.push(PassTime {
            pass,
            elapsed: pass_started.elapsed(),
            counts: std::mem::take(&mut pass_end.totals),
        });
        end.store_error = end.store_error.or(pass_end.store_error);
        end.stop = pass_end.stop;
        if end.stop.is_some() {
            passes_left = kinds[i..].to_vec();
            break;
        }
        if let Some(id) = rotation {
            writer.end_rotation(id)?;
        }
    }
    end.totals = totals;

    let done = Done {
        passes_left,
        passes: pass_times,
        tasks: plan_of_tasks,
        manifest: &manifest_path,
        state: &state_path,
        rows: plan.rows,
        run_id,
        started,
    };
    finish(done, end, &goal, writer, writer_thread).await
}

/// What the end of a run needs to know.
struct Done<'a> {
    /// The passes a stop cut short or kept from starting.
    passes_left: Vec<Pass>,
    passes: Vec<PassTime>,
    /// The data tasks the run concerns: type, started (else stopped), followed to the end.
    tasks: Vec<(TaskType, bool, bool)>,
    manifest: &'a Path,
    state: &'a Path,
    rows: u64,
    run_id: i64,
    started: Instant,
}

/// What identifies a file's content without reading it: device, inode, size, modification time.
#[derive(Debug, PartialEq, Eq)]
struct Stamp(Option<(u64, u64, u64, Option<std::time::SystemTime>)>);

impl Stamp {
    fn of(path: &Path) -> Stamp {
        let Ok(m) = std::fs::metadata(path) else {
            return Stamp(None);
        };
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Stamp(Some((dev, ino, m.len(), m.modified().ok())))
    }
}

fn changed(manifest: &Path) -> String {
    format!(
        "{}: the manifest changed during the run; run again to validate and resume it",
        manifest.display()
    )
}

/// One pass: the manifest read again and fed to a core of `op`.
async fn pass_over(
    ctx: &Ctx<'_>,
    op: Arc<dyn Operation>,
    deadline: Option<(Instant, &'static str)>,
) -> ShellEnd {
    let reader = match manifest::read(ctx.manifest, ctx.options) {
        Ok(r) => r,
        Err(e) => {
            return ShellEnd {
                stop: Some((StopReason::Manifest, e.to_string())),
                ..ShellEnd::default()
            }
        }
    };
    let (feed_tx, feed_rx) = mpsc::channel(1024);
    let feed = {
        let (writer, op) = (ctx.writer.clone(), op.clone());
        let retry_failed = ctx.retry_failed;
        tokio::task::spawn_blocking(move || {
            feed::feed(reader, &writer, &*op, retry_failed, &feed_tx)
        })
    };
    let core = Core::new(
        op.clone(),
        CoreSettings {
            pacing: ctx.pacing,
            seed: ctx.seed,
            retry_failed: ctx.retry_failed,
            run_id: ctx.run_id,
            epoch_ms: store::now_ms() - ctx.started.elapsed().as_millis() as i64,
            task_nonce: ctx.task_nonce.clone(),
        },
    );
    let mut end = shell::drive(
        core,
        ctx.client.clone(),
        ctx.writer.clone(),
        ctx.endpoint.clone(),
        ctx.pacers.clone(),
        ctx.events.clone(),
        feed_rx,
        ctx.cancel.clone(),
        deadline,
        ctx.started,
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
            ));
        }
    }
    end
}

/// Everything recorded is committed; the exit code is decided from it and written with the end
/// of the run.
async fn finish(
    ctx: Done<'_>,
    mut end: ShellEnd,
    goal: &Goal,
    writer: Writer,
    writer_thread: store::WriterThread,
) -> Result<RunSummary, RunError> {
    let (state_path, rows) = (ctx.state, ctx.rows);
    let flushed = writer.flush().await;
    let conn = store::open(state_path, false)?;
    let sq = |e| StoreError::Unreadable {
        path: state_path.to_owned(),
        detail: format!("{e}"),
    };
    // Rows the run never reached are still pending.
    let (counts, _) = read::manifest_counts(&conn, rows).map_err(sq)?;
    // The rows the wait left waiting: those it had not settled when it ended (the core's
    // count: in play, or not fed yet).
    let waiting = ctx
        .passes
        .iter()
        .find(|p| p.pass == Pass::Wait)
        .map_or(0, |p| rows.saturating_sub(p.counts.done()));
    let goal_passes = ctx.passes.iter().filter(|p| is_goal(goal, p.pass));
    let (created_now, adopted_now) = goal_passes.fold((0, 0), |(r, a), p| {
        (r + p.counts.reached(), a + p.counts.adopted)
    });
    let mut tasks = Vec::new();
    for &(kind, started, waited) in &ctx.tasks {
        tasks.push(TaskSummary {
            kind,
            started,
            waited,
            counts: store::task_read::task_counts(&conn, kind).map_err(sq)?,
        });
    }
    let all_tasks = store::task_read::kinds(&conn)
        .and_then(|kinds| {
            kinds
                .into_iter()
                .map(|k| store::task_read::task_counts(&conn, k).map(|c| (k, c)))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(sq)?;
    let summary = RunSummary {
        counts,
        total: rows,
        calls: end.totals.calls,
        throttled: end.totals.throttled,
        created_now,
        adopted_now,
        elapsed: ctx.started.elapsed(),
        failures: read::failures_by_code(&conn).map_err(sq)?,
        stop: end.stop.take(),
        state_file: state_path.to_owned(),
        manifest: ctx.manifest.to_owned(),
        goal: if *goal == Goal::Delete {
            RowState::Deleted
        } else {
            RowState::Created
        },
        waiting,
        flows: !matches!(goal, Goal::Task { .. }),
        tasks,
        all_tasks,
        command: command(goal),
        passes: ctx.passes,
        skipped: std::mem::take(&mut end.totals.skipped),
        unsettled: end.totals.unsettled,
        passes_left: ctx.passes_left,
    };
    drop(conn);
    let totals = RunTotals {
        calls: summary.calls,
        throttled: summary.throttled,
        created: summary.created_now,
        adopted: summary.adopted_now,
        exit_code: summary.exit_code().code(),
        passes: summary.passes.iter().map(PassTime::record).collect(),
    };
    let ended = writer.end_run(ctx.run_id, totals).await;
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
