//! What the state file knows of rows' data tasks: for a batch of rows, their flow's live status
//! and their latest task of a type; and the state file's own nonce, from which task names are
//! made (so that no task bulkflow did not start under this state file is ever taken for one).

use super::state::RowState;
use crate::api::tasks::TaskType;
use rusqlite::{params, Connection, OptionalExtension};

/// A row's latest data task of one type, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSynced {
    pub generation: u32,
    pub name: String,
    /// Where its create stands: `pending`, `retrying`, `unknown`, `created`, `failed`.
    pub state: RowState,
    pub task_id: Option<String>,
    /// Its `TaskStatus` when last listed.
    pub status: Option<String>,
    pub first_sent_ms: Option<i64>,
    pub unknown_since_ms: Option<i64>,
    pub attempts: u32,
    pub error_code: Option<String>,
    /// Files that failed, as last listed.
    pub files_failed: Option<i64>,
}

impl TaskSynced {
    /// Whether the task has ended, as last listed.
    pub fn ended(&self) -> bool {
        self.status.as_deref().is_some_and(status_ended)
    }

    /// Whether the task ended without loading everything: failed, stopped, or with failed
    /// files.
    pub fn ended_badly(&self) -> bool {
        matches!(self.status.as_deref(), Some("failed" | "stopped"))
            || (self.ended() && self.files_failed.unwrap_or(0) > 0)
    }
}

/// Whether a `TaskStatus` is final.
pub fn status_ended(status: &str) -> bool {
    matches!(status, "finished" | "failed" | "stopped")
}

/// A row's flow status and latest task of the type asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowTasks {
    pub flow_status: Option<String>,
    pub task: Option<TaskSynced>,
}

/// The rows' flow status and latest task of `kind`, in the order of `flow_ids`.
pub fn row_tasks(
    conn: &Connection,
    flow_ids: &[i64],
    kind: TaskType,
) -> rusqlite::Result<Vec<RowTasks>> {
    let mut flow = conn.prepare_cached("SELECT flow_status FROM flows WHERE id = ?1")?;
    let mut task = conn.prepare_cached(
        "SELECT generation, name, state, task_id, status, first_sent_ms, unknown_since_ms, \
         attempts, error_code, files_failed FROM tasks WHERE flow_id = ?1 AND type = ?2 \
         ORDER BY generation DESC LIMIT 1",
    )?;
    let mut out = Vec::with_capacity(flow_ids.len());
    for &id in flow_ids {
        let flow_status: Option<String> = flow
            .query_row(params![id], |r| r.get(0))
            .optional()?
            .flatten();
        let task = task
            .query_row(params![id, kind.as_str()], |r| {
                let state: String = r.get(2)?;
                Ok(TaskSynced {
                    generation: r.get(0)?,
                    name: r.get(1)?,
                    state: RowState::parse(&state).unwrap_or(RowState::Unknown),
                    task_id: r.get(3)?,
                    status: r.get(4)?,
                    first_sent_ms: r.get(5)?,
                    unknown_since_ms: r.get(6)?,
                    attempts: r.get(7)?,
                    error_code: r.get(8)?,
                    files_failed: r.get(9)?,
                })
            })
            .optional()?;
        out.push(RowTasks { flow_status, task });
    }
    Ok(out)
}

/// The state file's nonce for task names, made on first use: 8 hex digits.
pub fn nonce(conn: &Connection) -> rusqlite::Result<String> {
    let fresh = format!("{:08x}", rand::random::<u32>());
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('task_nonce', ?1)",
        params![fresh],
    )?;
    conn.query_row("SELECT value FROM meta WHERE key = 'task_nonce'", [], |r| {
        r.get(0)
    })
}
