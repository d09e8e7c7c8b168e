//! `bulkflow status`: counts per state and the last run.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use rusqlite::Connection;
use serde_json::json;

use super::html_text::when;
use super::json_log::rfc3339_utc;
use crate::api::tasks::TaskType;
use crate::store::read::{self, RotationInfo, RunInfo};
use crate::store::task_read::{self, TaskCounts};
use crate::store::{run_record, PassRecord, RowState};

/// What `status` shows.
#[derive(Debug, Clone)]
pub struct Status {
    pub state_file: String,
    pub counts: BTreeMap<RowState, u64>,
    pub left_manifest: u64,
    pub last_run: Option<RunInfo>,
    pub last_run_calls: u64,
    /// Created rows per live status of their flow, as last listed.
    pub flow_statuses: BTreeMap<String, u64>,
    pub last_rotation: Option<RotationInfo>,
    /// Created rows whose source the manifest changed (`DataFlowDrift`).
    pub drifted: u64,
    /// The manifest's rows' latest data tasks, per type.
    pub tasks: Vec<(TaskType, TaskCounts)>,
    /// What each pass of the last run did, as its summary said (none for a run that did not
    /// end).
    pub last_run_passes: Vec<PassRecord>,
}

/// What the rows a run's goal pass brought to its goal are, by the command it was: `created`
/// (and for runs recorded before commands were), `deleted`, `tasks started`, `tasks stopped`.
pub fn goal_word(command: Option<&str>) -> &'static str {
    use crate::store::run_record::command;
    match command {
        Some(command::DELETE) => "deleted",
        Some(command::TASK) => "tasks started",
        Some(command::TASK_STOP) => "tasks stopped",
        _ => "created",
    }
}

/// `120 created`, `0 created, 120 adopted`, `120 deleted`, `120 tasks started`.
fn goal_figures(r: &RunInfo) -> String {
    let word = goal_word(r.command.as_deref());
    match r.adopted {
        0 => format!("{} {word}", r.created),
        a => format!("{} {word}, {a} adopted", r.created.saturating_sub(a)),
    }
}

/// Reads the status of a state file.
pub fn load(conn: &Connection, path: &Path) -> rusqlite::Result<Status> {
    let last_run = read::last_run(conn)?;
    // Rows the last run did not reach yet are pending: every row of its manifest is counted.
    let listed = last_run.as_ref().map_or(0, |r| r.manifest_rows);
    let (counts, left_manifest) = read::manifest_counts(conn, listed)?;
    let last_run_calls = match &last_run {
        Some(r) => read::calls_in_run(conn, r.id)?,
        None => 0,
    };
    let last_run_passes = match &last_run {
        Some(r) => run_record::passes(conn, r.id)?,
        None => Vec::new(),
    };
    Ok(Status {
        last_run_passes,
        state_file: path.display().to_string(),
        left_manifest,
        counts,
        last_run,
        last_run_calls,
        flow_statuses: read::flow_statuses(conn)?,
        last_rotation: read::last_rotation(conn)?,
        drifted: read::drifted(conn)?,
        tasks: task_read::kinds(conn)?
            .into_iter()
            .map(|k| task_read::task_counts(conn, k).map(|c| (k, c)))
            .collect::<rusqlite::Result<_>>()?,
    })
}

/// The last key rotation's line: when, how far, and whether it finished.
fn rotation_text(r: &RotationInfo, out: &mut String) {
    let _ = write!(
        out,
        "last key rotation: #{} started {}, {} of {} created rows rotated",
        r.id,
        when(r.started_at_ms),
        r.rotated,
        r.created
    );
    match r.finished_at_ms {
        Some(f) => {
            let _ = writeln!(out, ", finished {}", when(f));
        }
        None => out.push_str(", not finished: run --rotate-keys again to resume it\n"),
    }
}

impl Status {
    /// A few lines for a person.
    pub fn text(&self) -> String {
        let total: u64 = self.counts.values().sum();
        let mut out = format!(
            "state file: {}\nrows: {total} in the manifest",
            self.state_file
        );
        if self.left_manifest > 0 {
            let _ = write!(out, " (and {} that left it)", self.left_manifest);
        }
        out.push('\n');
        for s in RowState::ALL {
            let _ = writeln!(
                out,
                "  {:<9} {}",
                s.as_str(),
                self.counts.get(&s).copied().unwrap_or(0)
            );
        }
        if self.drifted > 0 {
            let _ = writeln!(
                out,
                "drifted: {} created rows whose source the manifest changed (DataFlowDrift; \
                 bulkflow report --only created shows them)",
                self.drifted
            );
        }
        if !self.flow_statuses.is_empty() {
            let list: Vec<String> = self
                .flow_statuses
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect();
            let _ = writeln!(out, "flows (as last listed): {}", list.join(", "));
        }
        out.push_str(&super::task_status::text(&self.tasks));
        if let Some(r) = &self.last_rotation {
            rotation_text(r, &mut out);
        }
        self.last_run_text(&mut out);
        out
    }

    /// The last run's line: when, what it did and how it ended (or that it did not), and its
    /// passes.
    fn last_run_text(&self, out: &mut String) {
        let Some(r) = &self.last_run else {
            out.push_str("last run: none\n");
            return;
        };
        let command = r.command.as_deref().map(|c| format!(" ({c})"));
        let _ = write!(
            out,
            "last run: #{}{} started {}",
            r.id,
            command.unwrap_or_default(),
            when(r.started_at_ms)
        );
        match (r.finished_at_ms, r.exit_code) {
            (Some(f), code) => {
                let secs = (f - r.started_at_ms) as f64 / 1000.0;
                let rate = if secs > 0.0 {
                    r.calls as f64 / secs
                } else {
                    0.0
                };
                let _ = write!(
                    out,
                    ", took {secs:.1}s, {} calls ({rate:.1}/s), {} throttled, {}, exit {}",
                    r.calls,
                    r.throttled,
                    goal_figures(r),
                    code.map_or("?".to_owned(), |c| c.to_string())
                );
            }
            (None, _) => {
                let _ = write!(
                    out,
                    ", did not finish (still running, or killed): {} calls recorded",
                    self.last_run_calls
                );
            }
        }
        out.push('\n');
        if !self.last_run_passes.is_empty() {
            let rows = self.last_run.as_ref().map_or(0, |r| r.manifest_rows);
            let passes = super::passes::sentence(&self.last_run_passes, rows);
            let _ = writeln!(out, "  passes: {passes}");
        }
    }

    /// One JSON object for scripts.
    pub fn json(&self) -> serde_json::Value {
        let counts: serde_json::Map<String, serde_json::Value> = RowState::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_owned(),
                    json!(self.counts.get(s).copied().unwrap_or(0)),
                )
            })
            .collect();
        json!({
            "state_file": self.state_file,
            "rows": self.counts.values().sum::<u64>(),
            "counts": counts,
            "left_manifest": self.left_manifest,
            "flow_status": self.flow_statuses,
            "last_rotation": self.last_rotation.as_ref().map(|r| {
                let mut v = json!(r);
                v["started_at"] = json!(rfc3339_utc(r.started_at_ms));
                v["finished_at"] = json!(r.finished_at_ms.map(rfc3339_utc));
                v
            }),
            "drifted": self.drifted,
            "tasks": super::task_status::json(&self.tasks),
            "last_run": self.last_run.as_ref().map(|r| json!({
                "id": r.id,
                "started_at_ms": r.started_at_ms,
                "finished_at_ms": r.finished_at_ms,
                "started_at": rfc3339_utc(r.started_at_ms),
                "finished_at": r.finished_at_ms.map(rfc3339_utc),
                "manifest": r.manifest,
                "manifest_rows": r.manifest_rows,
                "calls": if r.finished_at_ms.is_some() { r.calls } else { self.last_run_calls },
                "throttled": r.throttled,
                "created": r.created,
                "adopted": r.adopted,
                "command": r.command,
                "passes": self.last_run_passes.iter().map(super::summary_json::PassJson::of).collect::<Vec<_>>(),
                "exit_code": r.exit_code,
            })),
        })
    }
}
