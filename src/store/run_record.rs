//! A run's record as it ends: its figures and each of its passes, as the engine counted them
//! (the figures its summary gave), written in the write that ends the run and read back by
//! `status` and the report. Every count read is clamped at zero, so that a tampered state file
//! cannot make one negative.

use rusqlite::{params, Connection};
use serde::Serialize;

/// What one pass of a run did, as the engine counted it: its calls, and the rows it took by
/// how each ended. The rows add up to the manifest's rows that the pass read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassRecord {
    /// `create`, `update`, `rotate keys`, `wait`, `delete`, `start metaload`, ...
    pub pass: String,
    /// What its rows that reached its goal are called: `created`, `available`, `started`, ...
    pub word: String,
    pub elapsed_ms: u64,
    /// Calls of the pass's action (listings apart), and of them throttled.
    pub calls: u64,
    pub throttled: u64,
    /// Rows brought to the goal by the pass's calls.
    pub called: u64,
    /// Rows brought to the goal by adopting what existed with their source, with no call.
    pub adopted: u64,
    /// Rows a listing found at the goal, with no call of the pass.
    pub found: u64,
    /// Rows with nothing to do, left as they were.
    pub unchanged: u64,
    pub failed: u64,
    /// Rows left unsent, reported with a code.
    pub skipped: u64,
    /// Rows left for a later run (unknown, pending again, set aside).
    pub left: u64,
    /// Rows settled before the pass began.
    pub earlier: u64,
}

/// How a pass's rows ended, in the order of [`PassRecord::by_how`].
pub const HOWS: [&str; 8] = [
    "called",
    "adopted",
    "found",
    "unchanged",
    "failed",
    "skipped",
    "left",
    "earlier",
];

impl PassRecord {
    /// Rows the pass brought to its goal.
    pub fn reached(&self) -> u64 {
        self.called + self.adopted + self.found
    }

    /// The pass's rows by how they ended, in the order of [`HOWS`].
    pub fn by_how(&self) -> [u64; 8] {
        [
            self.called,
            self.adopted,
            self.found,
            self.unchanged,
            self.failed,
            self.skipped,
            self.left,
            self.earlier,
        ]
    }

    /// The rows the pass read: every row of the manifest, unless it was cut short.
    pub fn read(&self) -> u64 {
        self.by_how().iter().fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// Totals of a run, written when it ends.
#[derive(Debug, Clone, Default)]
pub struct RunTotals {
    pub calls: u64,
    pub throttled: u64,
    /// Rows the run's goal pass brought to its goal (created or adopted, deleted, tasks started
    /// or stopped: `runs.command` says which).
    pub created: u64,
    /// Of them adopted.
    pub adopted: u64,
    pub exit_code: i32,
    /// Each pass, in order.
    pub passes: Vec<PassRecord>,
}

/// What `runs.command` says of each command.
pub mod command {
    pub const RUN: &str = "run";
    pub const DELETE: &str = "delete";
    pub const TASK: &str = "task";
    pub const TASK_STOP: &str = "task --stop";
}

/// Writes the end of run `run_id`: its totals and passes.
pub(super) fn end(
    tx: &rusqlite::Transaction<'_>,
    run_id: i64,
    totals: &RunTotals,
    now_ms: i64,
) -> rusqlite::Result<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    tx.execute(
        "UPDATE runs SET finished_at_ms = ?2, calls = ?3, throttled = ?4, created = ?5, \
         adopted = ?6, exit_code = ?7 WHERE id = ?1",
        params![
            run_id,
            now_ms,
            n(totals.calls),
            n(totals.throttled),
            n(totals.created),
            n(totals.adopted),
            totals.exit_code
        ],
    )?;
    let mut stmt = tx.prepare(
        "INSERT OR REPLACE INTO run_passes (run_id, seq, pass, word, elapsed_ms, calls, \
         throttled, called, adopted, found, unchanged, failed, skipped, left_rows, earlier) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for (i, p) in totals.passes.iter().enumerate() {
        stmt.execute(params![
            run_id,
            i as i64 + 1,
            p.pass,
            p.word,
            n(p.elapsed_ms),
            n(p.calls),
            n(p.throttled),
            n(p.called),
            n(p.adopted),
            n(p.found),
            n(p.unchanged),
            n(p.failed),
            n(p.skipped),
            n(p.left),
            n(p.earlier),
        ])?;
    }
    Ok(())
}

/// The passes recorded for run `run_id`, in order (none for a run that did not end, or one
/// recorded before version 8).
pub fn passes(conn: &Connection, run_id: i64) -> rusqlite::Result<Vec<PassRecord>> {
    let mut stmt = conn.prepare(
        "SELECT pass, word, elapsed_ms, calls, throttled, called, adopted, found, unchanged, \
         failed, skipped, left_rows, earlier FROM run_passes WHERE run_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![run_id], |r| {
        let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        Ok(PassRecord {
            pass: r.get(0)?,
            word: r.get(1)?,
            elapsed_ms: n(2)?,
            calls: n(3)?,
            throttled: n(4)?,
            called: n(5)?,
            adopted: n(6)?,
            found: n(7)?,
            unchanged: n(8)?,
            failed: n(9)?,
            skipped: n(10)?,
            left: n(11)?,
            earlier: n(12)?,
        })
    })?;
    rows.collect()
}
