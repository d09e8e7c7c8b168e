//! The SQL of every [`Transition`]: one statement per change, for a row's flow or for one of its
//! data tasks. State names come from [`RowState`]; no policy lives here.

use rusqlite::{params, Transaction};

use super::state::RowState;
use super::synced::Rotated;
use super::transition::{AttemptBegin, AttemptEnd, Change, ErrorRecord, Live, Record, Transition};

/// Applies one transition at `now_ms`.
pub fn transition(tx: &Transaction<'_>, t: &Transition, now_ms: i64) -> rusqlite::Result<()> {
    match &t.record {
        Record::Flow(id) => flow(tx, *id, &t.change, now_ms),
        Record::Task(key) => super::apply_task::task(tx, key, &t.change, now_ms),
    }
}

/// The columns every state change sets on a flow row.
struct Set<'a> {
    state: Option<RowState>,
    error: Option<&'a ErrorRecord>,
    unknown_since_ms: Option<i64>,
    data_flow_id: Option<&'a str>,
    request_id: Option<&'a str>,
    attempts: Option<u32>,
    fingerprint: Option<&'a str>,
    source_key: Option<&'a str>,
    flow_status: Option<(&'a str, i64)>,
    rotation: Option<Rotated>,
}

impl<'a> Set<'a> {
    fn state(state: RowState, error: Option<&'a ErrorRecord>) -> Set<'a> {
        Set {
            state: Some(state),
            error,
            unknown_since_ms: None,
            data_flow_id: None,
            request_id: error.and_then(|e| e.request_id.as_deref()),
            attempts: None,
            fingerprint: None,
            source_key: None,
            flow_status: None,
            rotation: None,
        }
    }
}

fn flow(tx: &Transaction<'_>, id: i64, change: &Change, now_ms: i64) -> rusqlite::Result<()> {
    let (set, begin, end) = match change {
        Change::Watched { live } => return watched(tx, id, live, now_ms),
        // A flow row is never a task.
        Change::NewTask { .. } => return Ok(()),
        Change::Sending {
            begin,
            unknown_since_ms,
            error,
        } => {
            let mut s = Set::state(RowState::Unknown, error.as_ref());
            s.unknown_since_ms = Some(*unknown_since_ms);
            s.attempts = Some(begin.attempt);
            (s, Some(begin), None)
        }
        Change::Waiting {
            state,
            error,
            end,
            unknown_since_ms,
        } => {
            let mut s = Set::state(state.state(), error.as_ref());
            s.unknown_since_ms = *unknown_since_ms;
            (s, None, end.as_ref())
        }
        Change::Done {
            state,
            id: flow_id,
            request_id,
            end,
            answers_to,
            live,
            rotation,
        } => {
            let mut s = Set::state(*state, None);
            s.data_flow_id = flow_id.as_deref();
            s.request_id = request_id.as_deref();
            s.fingerprint = answers_to.as_ref().map(|(f, _)| f.as_str());
            s.source_key = answers_to.as_ref().map(|(_, k)| k.as_str());
            s.rotation = *rotation;
            if let Some(Live::Flow { status, at_ms }) = live {
                s.flow_status = Some((status, *at_ms));
            }
            (s, None, end.as_ref())
        }
        Change::Failed { error, end } => (
            Set::state(RowState::Failed, Some(error)),
            None,
            end.as_ref(),
        ),
        Change::Drift { error } => (Set::state(RowState::Created, Some(error)), None, None),
        Change::DriftGone => (Set::state(RowState::Created, None), None, None),
        Change::Restart {
            fingerprint,
            source_key,
        } => {
            // A flow id answers to the source recorded beside it: the row starts with none.
            tx.prepare_cached("UPDATE flows SET data_flow_id = NULL WHERE id = ?1")?
                .execute(params![id])?;
            let mut s = Set::state(RowState::Pending, None);
            s.fingerprint = Some(fingerprint);
            s.source_key = Some(source_key);
            (s, None, None)
        }
    };
    write(tx, id, &set, now_ms)?;
    if let Some(b) = begin {
        begin_call(tx, id, b)?;
    }
    if let Some(a) = end {
        end_call(tx, id, a)?;
    }
    Ok(())
}

/// A listing saw the flow of row `id`: its status, and when.
fn watched(tx: &Transaction<'_>, id: i64, live: &Live, now_ms: i64) -> rusqlite::Result<()> {
    let Live::Flow { status, at_ms } = live else {
        return Ok(());
    };
    tx.prepare_cached(
        "UPDATE flows SET flow_status = ?2, flow_status_at_ms = ?3, updated_at_ms = ?4 \
         WHERE id = ?1",
    )?
    .execute(params![id, status, at_ms, now_ms])?;
    Ok(())
}

/// Writes the columns `set` sets on the flow row `id`.
fn write(tx: &Transaction<'_>, id: i64, set: &Set<'_>, now_ms: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE flows SET state = COALESCE(?2, state), data_flow_id = COALESCE(?3, data_flow_id), \
         request_id = COALESCE(?4, request_id), error_code = ?5, error_message = ?6, \
         unknown_since_ms = ?7, updated_at_ms = ?8, attempts = COALESCE(?9, attempts), \
         fingerprint = COALESCE(?10, fingerprint), source_key = COALESCE(?11, source_key), \
         flow_status = COALESCE(?12, flow_status), \
         flow_status_at_ms = COALESCE(?13, flow_status_at_ms), rotation = COALESCE(?14, rotation), \
         rotation_keys = CASE WHEN ?14 IS NULL THEN rotation_keys ELSE ?15 END \
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        set.state.map(RowState::as_str),
        set.data_flow_id,
        set.request_id,
        set.error.map(|e| e.code.as_str()),
        set.error.map(|e| e.message.as_str()),
        set.unknown_since_ms,
        now_ms,
        set.attempts,
        set.fingerprint,
        set.source_key,
        set.flow_status.map(|(s, _)| s),
        set.flow_status.map(|(_, at)| at),
        set.rotation.map(|r| r.id),
        set.rotation.and_then(|r| r.keys).map(|k| k.to_hex()),
    ])?;
    Ok(())
}

fn begin_call(tx: &Transaction<'_>, flow_id: i64, b: &AttemptBegin) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO attempts (flow_id, run_id, attempt, sent_at_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (flow_id, attempt) DO UPDATE SET run_id = excluded.run_id, \
         sent_at_ms = excluded.sent_at_ms, ended_at_ms = NULL, outcome = NULL",
    )?
    .execute(params![flow_id, b.run_id, b.attempt, b.sent_at_ms])?;
    Ok(())
}

fn end_call(tx: &Transaction<'_>, flow_id: i64, a: &AttemptEnd) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE attempts SET ended_at_ms = ?3, outcome = ?4, error_code = ?5, \
         request_id = ?6, latency_ms = ?7 WHERE flow_id = ?1 AND attempt = ?2",
    )?
    .execute(params![
        flow_id,
        a.attempt,
        a.ended_at_ms,
        a.outcome,
        a.error_code,
        a.request_id,
        a.latency_ms
    ])?;
    Ok(())
}
