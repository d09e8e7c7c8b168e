//! The end of a run: everything recorded is committed, the figures are read back from the state
//! file, the exit code is decided from them (`RunSummary::exit_code`) and written with the
//! run's end.

use std::path::Path;

use rusqlite::Connection;
use tokio::time::Instant;

use super::passes::{command, is_goal};
use super::shell::ShellEnd;
use super::{Goal, Pass, PassTime, RunError, RunSummary, TaskSummary};
use crate::api::tasks::TaskType;
use crate::store::task_read::TaskCounts;
use crate::store::{self, read, RowState, RunTotals, StoreError, Writer};

/// What the end of a run needs to know.
pub(super) struct Done<'a> {
    /// The passes a stop cut short or kept from starting.
    pub(super) passes_left: Vec<Pass>,
    pub(super) passes: Vec<PassTime>,
    /// The data tasks the run concerns: type, started (else stopped), followed to the end.
    pub(super) tasks: Vec<(TaskType, bool, bool)>,
    pub(super) manifest: &'a Path,
    pub(super) state: &'a Path,
    pub(super) rows: u64,
    pub(super) run_id: i64,
    pub(super) started: Instant,
}

/// Everything recorded is committed; the exit code is decided from it and written with the end
/// of the run.
pub(super) async fn finish(
    ctx: Done<'_>,
    mut end: ShellEnd,
    goal: &Goal,
    writer: Writer,
    writer_thread: store::WriterThread,
) -> Result<RunSummary, RunError> {
    let flushed = writer.flush().await;
    let run_id = ctx.run_id;
    let conn = store::open(ctx.state, false)?;
    let summary = summarize(&conn, ctx, &mut end, goal)?;
    drop(conn);
    let totals = RunTotals {
        calls: summary.calls,
        throttled: summary.throttled,
        created: summary.created_now,
        adopted: summary.adopted_now,
        exit_code: summary.exit_code().code(),
        passes: summary.passes.iter().map(PassTime::record).collect(),
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

/// The run's summary: the rows' figures read back from the state file, the calls and the stop
/// from the shell's `end`.
fn summarize(
    conn: &Connection,
    ctx: Done<'_>,
    end: &mut ShellEnd,
    goal: &Goal,
) -> Result<RunSummary, StoreError> {
    let (state_path, rows) = (ctx.state, ctx.rows);
    let sq = |e| unreadable(state_path, e);
    // Rows the run never reached are still pending.
    let (counts, _) = read::manifest_counts(conn, rows).map_err(sq)?;
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
    let (tasks, all_tasks) = task_summaries(conn, &ctx.tasks).map_err(sq)?;
    Ok(RunSummary {
        counts,
        total: rows,
        calls: end.totals.calls,
        throttled: end.totals.throttled,
        created_now,
        adopted_now,
        elapsed: ctx.started.elapsed(),
        failures: read::failures_by_code(conn).map_err(sq)?,
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
    })
}

/// The figures of the tasks the run concerns, and of every task type in the state file.
type TaskSums = (Vec<TaskSummary>, Vec<(TaskType, TaskCounts)>);

/// The data tasks' figures: those of the tasks the run concerns (`plan`: type, started,
/// followed), and those of every task type in the state file.
fn task_summaries(
    conn: &Connection,
    plan: &[(TaskType, bool, bool)],
) -> rusqlite::Result<TaskSums> {
    let mut tasks = Vec::new();
    for &(kind, started, waited) in plan {
        tasks.push(TaskSummary {
            kind,
            started,
            waited,
            counts: store::task_read::task_counts(conn, kind)?,
        });
    }
    let all_tasks = store::task_read::kinds(conn)?
        .into_iter()
        .map(|k| store::task_read::task_counts(conn, k).map(|c| (k, c)))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((tasks, all_tasks))
}

fn unreadable(state_path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Unreadable {
        path: state_path.to_owned(),
        detail: format!("{e}"),
    }
}
