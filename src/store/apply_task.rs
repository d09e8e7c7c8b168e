//! The SQL of a data task's [`Transition`]s: the task's row (started, its state, its calls,
//! its progress), and the samples of the tasks' figures. State names come from the change;
//! no policy lives here.

use rusqlite::{params, Transaction};

use super::state::RowState;
use super::transition::{
    AttemptBegin, AttemptEnd, Change, ErrorRecord, Live, TaskKey, TaskProgress,
};

/// Applies one change of the data task `key` at `now_ms`.
pub(super) fn task(
    tx: &Transaction<'_>,
    key: &TaskKey,
    change: &Change,
    now_ms: i64,
) -> rusqlite::Result<()> {
    match change {
        Change::NewTask { name } => task_new(tx, key, name, now_ms)?,
        Change::Sending {
            begin,
            unknown_since_ms,
            error,
        } => {
            task_state(
                tx,
                key,
                RowState::Unknown,
                error.as_ref(),
                Some(*unknown_since_ms),
                now_ms,
            )?;
            task_sent(tx, key, begin)?;
        }
        Change::Waiting {
            state,
            error,
            end,
            unknown_since_ms,
        } => {
            task_state(
                tx,
                key,
                state.state(),
                error.as_ref(),
                *unknown_since_ms,
                now_ms,
            )?;
            task_call_end(tx, key, end.as_ref())?;
        }
        Change::Failed { error, end } => {
            task_state(tx, key, RowState::Failed, Some(error), None, now_ms)?;
            task_call_end(tx, key, end.as_ref())?;
        }
        Change::Restart { .. } => {
            task_state(tx, key, RowState::Pending, None, None, now_ms)?;
        }
        Change::Done {
            state,
            id,
            request_id,
            end,
            live,
            ..
        } => {
            task_state(tx, key, *state, None, None, now_ms)?;
            task_ids(tx, key, id.as_deref(), request_id.as_deref())?;
            task_call_end(tx, key, end.as_ref())?;
            if let Some(Live::Task { progress, at_ms }) = live {
                task_progress(tx, key, progress, *at_ms)?;
            }
        }
        Change::Watched { live } => {
            if let Live::Task { progress, at_ms } = live {
                task_progress(tx, key, progress, *at_ms)?;
            }
        }
        Change::Drift { .. } | Change::DriftGone => {}
    }
    Ok(())
}

fn task_state(
    tx: &Transaction<'_>,
    key: &TaskKey,
    state: RowState,
    error: Option<&ErrorRecord>,
    unknown_since_ms: Option<i64>,
    now_ms: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE tasks SET state = ?4, error_code = ?5, error_message = ?6, \
         request_id = COALESCE(?7, request_id), unknown_since_ms = ?8, updated_at_ms = ?9 \
         WHERE flow_id = ?1 AND type = ?2 AND generation = ?3",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        state.as_str(),
        error.map(|e| e.code.as_str()),
        error.map(|e| e.message.as_str()),
        error.and_then(|e| e.request_id.as_deref()),
        unknown_since_ms,
        now_ms
    ])?;
    Ok(())
}

fn task_call_end(
    tx: &Transaction<'_>,
    key: &TaskKey,
    end: Option<&AttemptEnd>,
) -> rusqlite::Result<()> {
    let Some(a) = end else {
        return Ok(());
    };
    tx.prepare_cached(
        "UPDATE task_calls SET ended_at_ms = ?5, outcome = ?6, error_code = ?7, \
         request_id = ?8, latency_ms = ?9 \
         WHERE flow_id = ?1 AND type = ?2 AND generation = ?3 AND attempt = ?4",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        a.attempt,
        a.ended_at_ms,
        a.outcome,
        a.error_code,
        a.request_id,
        a.latency_ms
    ])?;
    Ok(())
}

fn task_progress(
    tx: &Transaction<'_>,
    key: &TaskKey,
    p: &TaskProgress,
    at_ms: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE tasks SET status = ?4, status_at_ms = ?5, \
         files_total = COALESCE(?6, files_total), files_done = COALESCE(?7, files_done), \
         files_failed = COALESCE(?8, files_failed), bytes_total = COALESCE(?9, bytes_total), \
         bytes_done = COALESCE(?10, bytes_done), bytes_failed = COALESCE(?11, bytes_failed), \
         failed_list = COALESCE(?12, failed_list) \
         WHERE flow_id = ?1 AND type = ?2 AND generation = ?3",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        p.status,
        at_ms,
        p.files_total,
        p.files_done,
        p.files_failed,
        p.bytes_total,
        p.bytes_done,
        p.bytes_failed,
        p.failed_list
    ])?;
    Ok(())
}

/// Keeps a sample of the data tasks' figures.
pub fn sample(tx: &Transaction<'_>, s: &super::transition::TaskSample) -> rusqlite::Result<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO task_samples (run_id, at_ms, type, tasks, bytes_total, \
         bytes_done, files_total, files_done) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        s.run_id,
        s.at_ms,
        s.kind.as_str(),
        n(s.tasks),
        n(s.bytes_total),
        n(s.bytes_done),
        n(s.files_total),
        n(s.files_done)
    ])?;
    Ok(())
}

/// A new task of the row, by the name its start call will give it.
fn task_new(tx: &Transaction<'_>, key: &TaskKey, name: &str, now_ms: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO tasks (flow_id, type, generation, name, updated_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        name,
        now_ms
    ])?;
    Ok(())
}

/// The call that starts a data task is about to be sent: its attempt counted, and the call
/// recorded.
fn task_sent(tx: &Transaction<'_>, key: &TaskKey, begin: &AttemptBegin) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE tasks SET attempts = ?4, first_sent_ms = COALESCE(first_sent_ms, ?5) \
         WHERE flow_id = ?1 AND type = ?2 AND generation = ?3",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        begin.attempt,
        begin.sent_at_ms
    ])?;
    tx.prepare_cached(
        "INSERT INTO task_calls (flow_id, type, generation, attempt, run_id, sent_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET \
         run_id = excluded.run_id, sent_at_ms = excluded.sent_at_ms, \
         ended_at_ms = NULL, outcome = NULL",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        begin.attempt,
        begin.run_id,
        begin.sent_at_ms
    ])?;
    Ok(())
}

/// The task's id and the request that started it, once known.
fn task_ids(
    tx: &Transaction<'_>,
    key: &TaskKey,
    id: Option<&str>,
    request_id: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE tasks SET task_id = COALESCE(?4, task_id), \
         request_id = COALESCE(?5, request_id) \
         WHERE flow_id = ?1 AND type = ?2 AND generation = ?3",
    )?
    .execute(params![
        key.flow_id,
        key.kind.as_str(),
        key.generation,
        id,
        request_id
    ])?;
    Ok(())
}
