//! A run: validate the manifest, lock and open the state, then one pass over the rows per
//! operation of the run's goal (create, update, rotate, wait; or delete), each a core driven by
//! the shell, and sum up from what was recorded (`run_end`).

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::core::{Core, CoreSettings, Totals};
use super::op::{Operation, RotateOp};
use super::pacers::{Pacers, Rates};
use super::passes::{command, passes, task_plan, wait_of, Step};
use super::run_end::{finish, Done};
use super::shell::{self, ShellEnd};
use super::{feed, Event, EventSink, Goal, Pacing, RunError, RunSettings, RunSummary};
use super::{Pass, PassTime, StopReason};
use crate::api::tasks::TaskType;
use crate::api::{Client, Endpoint};
use crate::manifest::{self, ManifestOptions};
use crate::store::key_digest::KeySalt;
use crate::store::{self, read, RunLock, StoreError, Writer, WriterThread};

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

/// The state file of a run, opened and begun: its lock held, its writer started, the run
/// recorded.
struct Opened {
    _lock: RunLock,
    writer: Writer,
    writer_thread: WriterThread,
    run_id: i64,
    /// Rows in the manifest.
    rows: u64,
    /// The state file's nonce, in the names of its data tasks.
    task_nonce: String,
    key_salt: KeySalt,
    /// The data task types with tasks still live in the state file.
    live: Vec<TaskType>,
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
    let opened = open(&manifest_path, &state_path, &endpoint, &options, &goal).await?;
    let client = Client::new(credentials, pacing.request_timeout)
        .map_err(|e| RunError::Client(e.to_string()))?;
    let rates = Rates {
        calls: pacing.rate,
        listings: pacing.describe_rate,
    };
    let ctx = Ctx {
        pacers: Arc::new(Pacers::new(rates, client.credentials().account_hint())),
        manifest: &manifest_path,
        options: &options,
        writer: &opened.writer,
        client: &client,
        endpoint: &endpoint,
        pacing,
        seed,
        retry_failed,
        run_id: opened.run_id,
        task_nonce: opened.task_nonce.clone(),
        events: &events,
        cancel: &cancel,
        started,
    };
    let steps = passes(&goal, &tasks, &opened.live, stop_tasks);
    let walked = walk(&ctx, steps, &goal, &opened, deadline, &stamp).await?;
    let done = Done {
        passes_left: walked.passes_left,
        passes: walked.passes,
        tasks: task_plan(&goal, &tasks, &opened.live),
        manifest: &manifest_path,
        state: &state_path,
        rows: opened.rows,
        run_id: opened.run_id,
        started,
    };
    finish(done, walked.end, &goal, opened.writer, opened.writer_thread).await
}

/// Validates the manifest (the endpoint must serve its regions), locks and opens the state file
/// (refused when its runs went to another service), starts its writer and records the run.
async fn open(
    manifest_path: &Path,
    state_path: &Path,
    endpoint: &Endpoint,
    options: &Arc<ManifestOptions>,
    goal: &Goal,
) -> Result<Opened, RunError> {
    let plan = {
        let (path, opts) = (manifest_path.to_owned(), options.clone());
        tokio::task::spawn_blocking(move || manifest::validate(&path, &opts))
            .await
            .map_err(|e| RunError::Internal(format!("the manifest validation failed: {e}")))??
    };
    endpoint.check_regions(plan.per_group.keys().map(|(region, _)| region.as_str()))?;
    let lock = store::lock(state_path)?;
    let conn = store::open(state_path, true)?;
    let service = endpoint.service_kind();
    let sq = |e| StoreError::sqlite(state_path, e);
    if let Some(recorded) = read::service(&conn).map_err(sq)?.filter(|r| r != service) {
        return Err(RunError::OtherService {
            state: state_path.to_owned(),
            recorded,
            now: service,
        });
    }
    let task_nonce = store::tasks::nonce(&conn).map_err(sq)?;
    let key_salt = store::key_digest::salt(&conn).map_err(sq)?;
    let live = store::task_read::live_kinds(&conn).map_err(sq)?;
    let (writer, writer_thread) = Writer::start(conn, state_path)?;
    let manifest_name = manifest_path.display().to_string();
    let run_id = writer
        .begin_run(&manifest_name, plan.rows, service, command(goal))
        .await?;
    Ok(Opened {
        _lock: lock,
        writer,
        writer_thread,
        run_id,
        rows: plan.rows,
        task_nonce,
        key_salt,
        live,
    })
}

/// What the passes left for the end of the run.
struct Walked {
    end: ShellEnd,
    /// The passes that did not go through every row: the one a stop cut short, and those after.
    passes_left: Vec<Pass>,
    passes: Vec<PassTime>,
}

/// Runs the passes in order until one is stopped (a stop, or the manifest changed).
async fn walk(
    ctx: &Ctx<'_>,
    steps: Vec<Step>,
    goal: &Goal,
    opened: &Opened,
    deadline: Option<Instant>,
    stamp: &Stamp,
) -> Result<Walked, RunError> {
    let mut end = ShellEnd::default();
    let mut totals = Totals::default();
    let mut pass_times = Vec::new();
    let kinds: Vec<Pass> = steps.iter().map(Step::pass).collect();
    let mut passes_left = Vec::new();
    let manifest_name = ctx.manifest.display().to_string();
    for (i, step) in steps.into_iter().enumerate() {
        let (op, rotation, pass) = match step {
            Step::Op(op, pass) => (op, None, pass),
            Step::Rotate => {
                let id = opened.writer.rotation(&manifest_name).await?;
                let salt = opened.key_salt.clone();
                let op = Arc::new(RotateOp { rotation: id, salt }) as Arc<dyn Operation>;
                (op, Some(id), Pass::Rotate)
            }
        };
        ctx.events.send(Event::Planned {
            total: opened.rows,
            pass,
            before: Box::new(totals.clone()),
        });
        let pass_deadline = pass_deadline(goal, &*op, deadline);
        if Stamp::of(ctx.manifest) != *stamp {
            end.stop = Some((StopReason::Manifest, changed(ctx.manifest)));
            passes_left = kinds[i..].to_vec();
            break;
        }
        let pass_started = Instant::now();
        let mut pass_end = pass_over(ctx, op, pass_deadline).await;
        if pass_end.stop.is_none() && Stamp::of(ctx.manifest) != *stamp {
            pass_end.stop = Some((StopReason::Manifest, changed(ctx.manifest)));
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
            opened.writer.end_rotation(id)?;
        }
    }
    end.totals = totals;
    Ok(Walked {
        end,
        passes_left,
        passes: pass_times,
    })
}

/// When a pass of `op` must stop: `--wait-timeout` bounds the wait pass, `--max-runtime`
/// (`deadline`) the whole run; the earlier wins, with the flag that set it.
fn pass_deadline(
    goal: &Goal,
    op: &dyn Operation,
    deadline: Option<Instant>,
) -> Option<(Instant, &'static str)> {
    let runtime = deadline.map(|d| (d, "--max-runtime"));
    match (wait_of(goal), op.facts().wait_timeout) {
        (Some(w), true) => {
            let w = Instant::now().checked_add(w).map(|t| (t, "--wait-timeout"));
            match (runtime, w) {
                (Some(d), Some(w)) => Some(if d.0 <= w.0 { d } else { w }),
                (d, w) => d.or(w),
            }
        }
        _ => runtime,
    }
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
