//! What the summary, `status` and reports read of data tasks: the manifest's rows' latest task
//! of each type, counted by where its create stands and by its status, with files and bytes.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};
use serde::Serialize;

use super::state::RowState;
use super::tasks::status_ended;
use crate::api::tasks::TaskType;

/// Files and bytes, summed over tasks as last listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub files_total: u64,
    pub files_done: u64,
    pub files_failed: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub bytes_failed: u64,
}

impl Volume {
    fn add(&mut self, other: &Volume) {
        self.files_total += other.files_total;
        self.files_done += other.files_done;
        self.files_failed += other.files_failed;
        self.bytes_total += other.bytes_total;
        self.bytes_done += other.bytes_done;
        self.bytes_failed += other.bytes_failed;
    }
}

/// The manifest's rows' latest tasks of one type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    /// Tasks by where their create stands: `pending`, `retrying`, `unknown` (not started yet,
    /// or not known to be), `created` (started), `failed` (the service refused it).
    pub by_state: BTreeMap<String, u64>,
    /// Started tasks by `TaskStatus` as last listed (`unlisted` when never listed).
    pub by_status: BTreeMap<String, u64>,
    /// Tasks that ended with failed files.
    pub with_failed_files: u64,
    pub volume: Volume,
}

impl TaskCounts {
    /// Tasks whose create is not settled.
    pub fn not_started(&self) -> u64 {
        ["pending", "retrying", "unknown"]
            .iter()
            .map(|s| self.by_state.get(*s).copied().unwrap_or(0))
            .sum()
    }

    /// Tasks the service refused to create.
    pub fn refused(&self) -> u64 {
        self.by_state.get("failed").copied().unwrap_or(0)
    }

    /// Started tasks that have not ended, as last listed.
    pub fn live(&self) -> u64 {
        self.by_status
            .iter()
            .filter(|(s, _)| !status_ended(s))
            .map(|(_, n)| n)
            .sum()
    }

    /// Started tasks of a status.
    pub fn status(&self, s: &str) -> u64 {
        self.by_status.get(s).copied().unwrap_or(0)
    }

    /// Tasks counted.
    pub fn total(&self) -> u64 {
        self.by_state.values().sum()
    }
}

/// The counts of the manifest's rows' latest tasks of `kind`.
pub fn task_counts(conn: &Connection, kind: TaskType) -> rusqlite::Result<TaskCounts> {
    let mut stmt = conn.prepare(
        "SELECT t.state, COALESCE(t.status, 'unlisted'), count(*), \
         COALESCE(sum(t.files_total), 0), COALESCE(sum(t.files_done), 0), \
         COALESCE(sum(t.files_failed), 0), COALESCE(sum(t.bytes_total), 0), \
         COALESCE(sum(t.bytes_done), 0), COALESCE(sum(t.bytes_failed), 0), \
         COALESCE(sum(t.files_failed > 0), 0) \
         FROM tasks t JOIN flows f ON f.id = t.flow_id \
         WHERE f.in_manifest = 1 AND t.type = ?1 AND t.generation = \
         (SELECT max(generation) FROM tasks u WHERE u.flow_id = t.flow_id AND u.type = t.type) \
         GROUP BY 1, 2",
    )?;
    let mut out = TaskCounts::default();
    let rows = stmt.query_map(params![kind.as_str()], |r| {
        let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            n(2)?,
            Volume {
                files_total: n(3)?,
                files_done: n(4)?,
                files_failed: n(5)?,
                bytes_total: n(6)?,
                bytes_done: n(7)?,
                bytes_failed: n(8)?,
            },
            n(9)?,
        ))
    })?;
    for row in rows {
        let (state, status, n, volume, with_failed) = row?;
        *out.by_state.entry(state.clone()).or_default() += n;
        if state == RowState::Created.as_str() {
            *out.by_status.entry(status).or_default() += n;
        }
        out.volume.add(&volume);
        out.with_failed_files += with_failed;
    }
    Ok(out)
}

/// The types of which some task of the manifest's rows may still be queued or running.
pub fn live_kinds(conn: &Connection) -> rusqlite::Result<Vec<TaskType>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT t.type FROM tasks t JOIN flows f ON f.id = t.flow_id \
         WHERE f.in_manifest = 1 AND t.state = 'created' \
         AND COALESCE(t.status, '') NOT IN ('finished', 'failed', 'stopped')",
    )?;
    let kinds = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for k in kinds {
        if let Some(kind) = TaskType::parse(&k?) {
            out.push(kind);
        }
    }
    out.sort();
    Ok(out)
}

/// The types of which the manifest's rows have any task.
pub fn kinds(conn: &Connection) -> rusqlite::Result<Vec<TaskType>> {
    let mut stmt = conn.prepare("SELECT DISTINCT type FROM tasks")?;
    let kinds = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for k in kinds {
        if let Some(kind) = TaskType::parse(&k?) {
            out.push(kind);
        }
    }
    out.sort();
    Ok(out)
}
