//! What the HTML report reads beyond the rows: every run with the calls it recorded, the calls of
//! one run over time, rows per state per region and file system, and the error codes seen.
//! Read-only; every count is clamped at zero, so a tampered state file cannot make one negative.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use super::read::RunInfo;
use super::state::RowState;

/// One run, with what its recorded calls (the `attempts` table) say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCalls {
    /// The run's own record.
    pub info: RunInfo,
    /// `loopback` (an emulator) or `remote`, when recorded.
    pub service: Option<String>,
    /// Calls recorded for the run.
    pub calls: u64,
    /// Of which answered as throttled.
    pub throttled: u64,
    /// Of which ended in an error other than throttling.
    pub errors: u64,
    /// Of which no end was recorded (the run was killed while they were in flight).
    pub unended: u64,
}

/// One recorded call: when it was sent and ended, and its outcome class (`success`,
/// `throttled`, `transient`, ...; `None` while in flight or when its run was killed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTime {
    /// When it was sent, in milliseconds since the epoch.
    pub sent_at_ms: i64,
    /// When it ended, if recorded.
    pub ended_at_ms: Option<i64>,
    /// Its outcome class, if recorded.
    pub outcome: Option<String>,
}

/// Rows of one region and file system per state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateGroup {
    /// The rows' region.
    pub region: String,
    /// The rows' file system.
    pub file_system_id: String,
    /// Rows per state; states with no row are absent.
    pub counts: BTreeMap<RowState, u64>,
}

/// One error code: how often calls were answered with it, how many rows it failed, and one
/// message that came with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeCount {
    /// The error code; empty for an error recorded without one.
    pub code: String,
    /// The outcome classes its calls were given (`throttled`, `transient`, `row`, ...).
    pub classes: Vec<String>,
    /// Calls answered with it, over all runs.
    pub calls: u64,
    /// Rows of the manifest that failed with it.
    pub failed_rows: u64,
    /// A message recorded with it (a failed row's first), or empty.
    pub example: String,
}

/// The outcome classes that count as an error other than throttling.
const ERROR_CLASSES: &str = "('fatal', 'file_system', 'row', 'transient', 'unknown')";

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// Every run, oldest first, with its calls counted from the `attempts` table.
pub fn runs(conn: &Connection) -> rusqlite::Result<Vec<RunCalls>> {
    let columns: Vec<String> = super::read::RUN_COLUMNS
        .split(',')
        .map(|c| format!("r.{}", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {}, r.service, \
         count(a.flow_id), \
         COALESCE(sum(a.outcome = 'throttled'), 0), \
         COALESCE(sum(a.outcome IN {ERROR_CLASSES}), 0), \
         COALESCE(sum(a.flow_id IS NOT NULL AND a.outcome IS NULL), 0) \
         FROM runs r LEFT JOIN (SELECT run_id, flow_id, outcome FROM attempts UNION ALL \
         SELECT run_id, flow_id, outcome FROM task_calls) a ON a.run_id = r.id \
         GROUP BY r.id ORDER BY r.id",
        columns.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(RunCalls {
            info: super::read::run_info(r)?,
            service: r.get(11)?,
            calls: count(r.get(12)?),
            throttled: count(r.get(13)?),
            errors: count(r.get(14)?),
            unended: count(r.get(15)?),
        })
    })?;
    rows.collect()
}

/// Calls `f` with every call recorded for run `run_id` (flows' and data tasks' alike), in the
/// order they were sent.
pub fn for_each_call(
    conn: &Connection,
    run_id: i64,
    mut f: impl FnMut(CallTime),
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT sent_at_ms, ended_at_ms, outcome FROM (\
         SELECT sent_at_ms, ended_at_ms, outcome, flow_id, attempt FROM attempts \
         WHERE run_id = ?1 UNION ALL \
         SELECT sent_at_ms, ended_at_ms, outcome, flow_id, attempt FROM task_calls \
         WHERE run_id = ?1) ORDER BY sent_at_ms, flow_id, attempt",
    )?;
    let mut rows = stmt.query(params![run_id])?;
    while let Some(r) = rows.next()? {
        f(CallTime {
            sent_at_ms: r.get(0)?,
            ended_at_ms: r.get(1)?,
            outcome: r.get(2)?,
        });
    }
    Ok(())
}

/// Rows of the manifest per state, per region and file system, in that order.
pub fn states_per_file_system(conn: &Connection) -> rusqlite::Result<Vec<StateGroup>> {
    let mut stmt = conn.prepare(
        "SELECT region, file_system_id, state, count(*) FROM flows WHERE in_manifest = 1 \
         GROUP BY 1, 2, 3 ORDER BY 1, 2",
    )?;
    let mut rows = stmt.query([])?;
    let mut out: Vec<StateGroup> = Vec::new();
    while let Some(r) = rows.next()? {
        let (region, fs, state): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let Some(state) = RowState::parse(&state) else {
            continue;
        };
        let n = count(r.get(3)?);
        match out.last_mut() {
            Some(g) if g.region == region && g.file_system_id == fs => {
                *g.counts.entry(state).or_default() += n;
            }
            _ => out.push(StateGroup {
                region,
                file_system_id: fs,
                counts: BTreeMap::from([(state, n)]),
            }),
        }
    }
    Ok(out)
}

/// Every error code seen, in calls or on rows: the codes that failed most rows first, then the
/// most frequent.
pub fn error_codes(conn: &Connection) -> rusqlite::Result<Vec<CodeCount>> {
    let mut codes: BTreeMap<String, CodeCount> = BTreeMap::new();

    let mut stmt = conn.prepare(
        "SELECT COALESCE(error_code, ''), outcome, count(*) FROM attempts \
         WHERE outcome IS NOT NULL AND outcome <> 'success' GROUP BY 1, 2 ORDER BY 1, 2",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let code: String = r.get(0)?;
        let c = codes.entry(code.clone()).or_default();
        c.code = code;
        c.classes.push(r.get(1)?);
        c.calls = c.calls.saturating_add(count(r.get(2)?));
    }

    // The example is the message of the row that ranks first (SQLite takes a bare column from
    // the row of the one min()): a row with a message before one without, a failed row of the
    // manifest before any other, then the lowest line. One pass over the rows.
    let mut stmt = conn.prepare(
        "SELECT error_code, COALESCE(sum(state = 'failed' AND in_manifest = 1), 0), \
         error_message, min((CASE WHEN COALESCE(error_message, '') = '' THEN 4 \
         ELSE (state <> 'failed') * 2 + (in_manifest = 0) END) * 1099511627776 \
         + min(max(line, 0), 1099511627775)) \
         FROM flows WHERE error_code IS NOT NULL GROUP BY error_code",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let code: String = r.get(0)?;
        let c = codes.entry(code.clone()).or_default();
        c.code = code;
        c.failed_rows = count(r.get(1)?);
        c.example = r.get::<_, Option<String>>(2)?.unwrap_or_default();
    }
    let mut out: Vec<CodeCount> = codes.into_values().collect();
    out.sort_by(|a, b| {
        (b.failed_rows, b.calls)
            .cmp(&(a.failed_rows, a.calls))
            .then_with(|| a.code.cmp(&b.code))
    });
    Ok(out)
}

/// The latest change to any row, in milliseconds since the epoch: when the state was last
/// written.
pub fn last_change_ms(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT max(updated_at_ms) FROM flows", [], |r| r.get(0))
}
