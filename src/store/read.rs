//! What `status`, `report` and the closing summary read from a state file.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::state::RowState;

/// One row of the report (SPEC "Report"), in column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub line: u64,
    pub file_system_id: String,
    pub target_path: String,
    pub data_flow_name: String,
    pub state: String,
    pub data_flow_id: String,
    pub request_id: String,
    pub attempts: u32,
    pub error_code: String,
    pub error_message: String,
    /// Extra column: false for rows that left the manifest since.
    pub in_manifest: bool,
    /// The flow's live status when last listed (`pending`, `available`, ...), or empty.
    pub flow_status: String,
    /// When that status was seen, RFC 3339 UTC, or empty.
    pub flow_status_at: String,
    /// The row's latest data task (the one started last, of any type); empty when none.
    pub task_type: String,
    pub task_id: String,
    /// Its `TaskStatus` when last listed; `not started` while its create is not settled,
    /// `refused` when the service refused it.
    pub task_status: String,
    pub task_files_total: Option<u64>,
    pub task_files_done: Option<u64>,
    pub task_files_failed: Option<u64>,
    pub task_bytes_total: Option<u64>,
    pub task_bytes_done: Option<u64>,
    pub task_bytes_failed: Option<u64>,
    /// Where the service put the list of the task's failed files, as it gave it.
    pub task_failed_list: String,
}

/// The latest run's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub manifest: String,
    pub manifest_rows: u64,
    pub calls: u64,
    pub throttled: u64,
    /// Rows the run's goal pass brought to its goal: flows created or adopted (`run`), deleted
    /// (`delete`), tasks started or stopped (`task`).
    pub created: u64,
    /// Of them adopted.
    pub adopted: u64,
    pub exit_code: Option<i32>,
    /// `run`, `delete`, `task` or `task --stop`; `None` for runs recorded before version 8.
    pub command: Option<String>,
}

/// The columns of `runs` a [`RunInfo`] is read from, in [`run_info`]'s order.
pub const RUN_COLUMNS: &str = "id, started_at_ms, finished_at_ms, manifest, manifest_rows, calls, \
     throttled, created, adopted, exit_code, command";

/// A [`RunInfo`] from a row whose first columns are [`RUN_COLUMNS`] (with `prefix.`).
pub fn run_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunInfo> {
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
    Ok(RunInfo {
        id: r.get(0)?,
        started_at_ms: r.get(1)?,
        finished_at_ms: r.get(2)?,
        manifest: r.get(3)?,
        manifest_rows: n(4)?,
        calls: n(5)?,
        throttled: n(6)?,
        created: n(7)?,
        adopted: n(8)?,
        exit_code: r.get(9)?,
        command: r.get(10)?,
    })
}

/// Rows per state; `in_manifest_only` leaves out rows that left the manifest.
pub fn counts(
    conn: &Connection,
    in_manifest_only: bool,
) -> rusqlite::Result<BTreeMap<RowState, u64>> {
    counts_and_left(conn, in_manifest_only).map(|(counts, _)| counts)
}

/// [`counts`], and how many rows have left the manifest (0 unless `in_manifest_only`).
fn counts_and_left(
    conn: &Connection,
    in_manifest_only: bool,
) -> rusqlite::Result<(BTreeMap<RowState, u64>, u64)> {
    // A million created rows are counted without reading them: the row count, less the rows of
    // the two small partial indexes (not created; left the manifest).
    let mut out: BTreeMap<RowState, u64> = RowState::ALL.iter().map(|s| (*s, 0)).collect();
    let all: i64 = conn.query_row("SELECT count(*) FROM flows", [], |r| r.get(0))?;
    let left: i64 = if in_manifest_only {
        conn.query_row(
            "SELECT count(*) FROM flows WHERE in_manifest = 0",
            [],
            |r| r.get(0),
        )?
    } else {
        0
    };
    let mut stmt = conn.prepare(
        "SELECT state, count(*) FROM flows WHERE state <> 'created' AND in_manifest >= ?1 \
         GROUP BY state",
    )?;
    let rows = stmt.query_map([in_manifest_only as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut unsettled = 0;
    for row in rows {
        let (state, n) = row?;
        unsettled += n;
        if let Some(s) = RowState::parse(&state) {
            out.insert(s, n.max(0) as u64);
        }
    }
    out.insert(RowState::Created, (all - left - unsettled).max(0) as u64);
    Ok((out, left.max(0) as u64))
}

/// Rows of a manifest of `listed` rows per state, counting every one: rows the state file does
/// not know yet (a run that stopped before it read them) are `pending`. Also returns how many
/// rows have left the manifest.
pub fn manifest_counts(
    conn: &Connection,
    listed: u64,
) -> rusqlite::Result<(BTreeMap<RowState, u64>, u64)> {
    let (mut counts, left) = counts_and_left(conn, true)?;
    let known: u64 = counts.values().sum();
    *counts.entry(RowState::Pending).or_default() += listed.saturating_sub(known);
    Ok((counts, left))
}

/// Failed rows of the manifest grouped by error code, most first.
pub fn failures_by_code(conn: &Connection) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT COALESCE(error_code, '?'), count(*) AS n FROM flows \
         WHERE state = 'failed' AND state <> 'created' AND in_manifest = 1 \
         GROUP BY 1 ORDER BY n DESC, 1",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
    rows.collect()
}

/// The most recent run, if any.
pub fn last_run(conn: &Connection) -> rusqlite::Result<Option<RunInfo>> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1"),
        [],
        run_info,
    )
    .optional()
}

/// The kind of service (`loopback` or `remote`) the state's runs talked to, if recorded.
pub fn service(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT service FROM runs WHERE service IS NOT NULL ORDER BY id DESC LIMIT 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Created rows of this manifest whose source the manifest has since changed (`DataFlowDrift`).
pub fn drifted(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT count(*) FROM flows WHERE in_manifest = 1 AND state = 'created' \
         AND error_code = 'DataFlowDrift'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
}

/// Rows of this manifest per live status of their flow (as last listed); rows never listed are
/// left out.
pub fn flow_statuses(
    conn: &Connection,
) -> rusqlite::Result<std::collections::BTreeMap<String, u64>> {
    let mut stmt = conn.prepare(
        "SELECT flow_status, count(*) FROM flows WHERE in_manifest = 1 AND state = 'created' \
         AND flow_status IS NOT NULL GROUP BY 1",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.map(|r| r.map(|(s, n)| (s, n.max(0) as u64))).collect()
}

/// When a listing last saw the flow of a created row of this manifest (unix milliseconds).
pub fn last_listed_ms(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT max(flow_status_at_ms) FROM flows WHERE in_manifest = 1 AND state = 'created'",
        [],
        |r| r.get(0),
    )
}

/// The last key rotation: its id, when it started and finished, and how many of the manifest's
/// created rows it has rotated so far, of how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotationInfo {
    pub id: i64,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub rotated: u64,
    pub created: u64,
}

/// The last key rotation, if any.
pub fn last_rotation(conn: &Connection) -> rusqlite::Result<Option<RotationInfo>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT r.id, r.started_at_ms, r.finished_at_ms, \
         (SELECT count(*) FROM flows WHERE in_manifest = 1 AND state = 'created' AND rotation = r.id), \
         (SELECT count(*) FROM flows WHERE in_manifest = 1 AND state = 'created') \
         FROM rotations r ORDER BY r.id DESC LIMIT 1",
        [],
        |r| {
            Ok(RotationInfo {
                id: r.get(0)?,
                started_at_ms: r.get(1)?,
                finished_at_ms: r.get(2)?,
                rotated: r.get::<_, i64>(3)?.max(0) as u64,
                created: r.get::<_, i64>(4)?.max(0) as u64,
            })
        },
    )
    .optional()
}

/// Rows recorded with a flow (created, or unknown with a call that may have made one), per file
/// system.
pub fn flows_per_file_system(
    conn: &Connection,
) -> rusqlite::Result<std::collections::BTreeMap<String, u64>> {
    let mut stmt = conn.prepare(
        "SELECT file_system_id, count(*) FROM flows \
         WHERE state IN ('created', 'unknown') GROUP BY file_system_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.map(|r| r.map(|(fs, n)| (fs, n.max(0) as u64)))
        .collect()
}

/// Calls recorded for a run before they were sent (flows' creates, deletes and modifies, data
/// tasks' creates), also those of a run that was killed: what a run that did not end says of
/// its calls. (Stops of data tasks are not recorded one by one.)
pub fn calls_in_run(conn: &Connection, run_id: i64) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM attempts WHERE run_id = ?1) \
         + (SELECT count(*) FROM task_calls WHERE run_id = ?1)",
        params![run_id],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
}

/// Calls each row for the report, rows of the manifest first in line order, then the rows that
/// left it; `only` keeps one state.
pub fn for_each_row(
    conn: &Connection,
    only: Option<RowState>,
    mut f: impl FnMut(ReportRow) -> std::io::Result<()>,
) -> Result<(), ReadError> {
    // Each row with its latest data task: the one whose first create was sent last.
    let mut stmt = conn.prepare(
        "SELECT f.line, f.file_system_id, COALESCE(f.target_path, f.target_key), \
         COALESCE(f.data_flow_name, ''), f.state, \
         COALESCE(f.data_flow_id, ''), COALESCE(f.request_id, ''), f.attempts, \
         COALESCE(f.error_code, ''), COALESCE(f.error_message, ''), f.in_manifest, \
         COALESCE(f.flow_status, ''), f.flow_status_at_ms, \
         COALESCE(t.type, ''), COALESCE(t.task_id, ''), \
         CASE WHEN t.state IS NULL THEN '' WHEN t.state = 'created' THEN COALESCE(t.status, '') \
              WHEN t.state = 'failed' THEN 'refused' ELSE 'not started' END, \
         t.files_total, t.files_done, t.files_failed, t.bytes_total, t.bytes_done, \
         t.bytes_failed, COALESCE(t.failed_list, '') \
         FROM flows f LEFT JOIN tasks t ON t.flow_id = f.id AND (t.type, t.generation) = \
         (SELECT u.type, u.generation FROM tasks u WHERE u.flow_id = f.id \
          ORDER BY COALESCE(u.first_sent_ms, u.updated_at_ms) DESC, u.generation DESC LIMIT 1) \
         WHERE ?1 IS NULL OR f.state = ?1 ORDER BY f.in_manifest DESC, f.line, f.id",
    )?;
    let mut rows = stmt.query([only.map(RowState::as_str)])?;
    while let Some(r) = rows.next()? {
        f(ReportRow {
            line: r.get::<_, i64>(0)?.max(0) as u64,
            file_system_id: r.get(1)?,
            target_path: r.get(2)?,
            data_flow_name: r.get(3)?,
            state: r.get(4)?,
            data_flow_id: r.get(5)?,
            request_id: r.get(6)?,
            attempts: r.get::<_, i64>(7)?.clamp(0, u32::MAX as i64) as u32,
            error_code: r.get(8)?,
            error_message: r.get(9)?,
            in_manifest: r.get::<_, i64>(10)? != 0,
            flow_status: r.get(11)?,
            flow_status_at: r
                .get::<_, Option<i64>>(12)?
                .map(crate::clock::rfc3339_utc)
                .unwrap_or_default(),
            task_type: r.get(13)?,
            task_id: r.get(14)?,
            task_status: r.get(15)?,
            task_files_total: count(r, 16)?,
            task_files_done: count(r, 17)?,
            task_files_failed: count(r, 18)?,
            task_bytes_total: count(r, 19)?,
            task_bytes_done: count(r, 20)?,
            task_bytes_failed: count(r, 21)?,
            task_failed_list: r.get(22)?,
        })?;
    }
    Ok(())
}

/// A count column that may be NULL (never negative).
fn count(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(r.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
}

/// A failure while reading rows out: the database's, or the output's.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
