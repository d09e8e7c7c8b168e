//! What the HTML report shows of data tasks: the manifest's rows' latest tasks per file system
//! and type, with their bytes, and the bytes a run's tasks had moved over time (its samples).
//! Every count read is clamped at zero, so that a tampered state file cannot make one negative.

use rusqlite::{params, Connection, OptionalExtension};

use super::task_read::Volume;
use super::tasks::status_ended;
use crate::api::tasks::TaskType;

/// The latest tasks of one type of the rows of one file system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsTasks {
    pub region: String,
    pub file_system_id: String,
    pub kind: String,
    /// Rows with a task of the type (its create sent, or to be).
    pub tasks: u64,
    /// Of them not started yet (or not known to be), and refused by the service.
    pub not_started: u64,
    pub refused: u64,
    /// Started tasks by status as last listed: queued or running, finished, failed, stopped.
    pub live: u64,
    pub finished: u64,
    pub failed: u64,
    pub stopped: u64,
    /// Tasks that ended with failed files.
    pub with_failed_files: u64,
    pub volume: Volume,
}

/// The manifest's rows' latest task of each type, per region and file system, in that order.
pub fn tasks_per_file_system(conn: &Connection) -> rusqlite::Result<Vec<FsTasks>> {
    let mut stmt = conn.prepare(
        "SELECT f.region, f.file_system_id, t.type, t.state, COALESCE(t.status, ''), count(*), \
         COALESCE(sum(t.files_total), 0), COALESCE(sum(t.files_done), 0), \
         COALESCE(sum(t.files_failed), 0), COALESCE(sum(t.bytes_total), 0), \
         COALESCE(sum(t.bytes_done), 0), COALESCE(sum(t.bytes_failed), 0), \
         COALESCE(sum(t.files_failed > 0), 0) \
         FROM tasks t JOIN flows f ON f.id = t.flow_id \
         WHERE f.in_manifest = 1 AND t.generation = \
         (SELECT max(generation) FROM tasks u WHERE u.flow_id = t.flow_id AND u.type = t.type) \
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3",
    )?;
    let mut rows = stmt.query([])?;
    let mut out: Vec<FsTasks> = Vec::new();
    while let Some(r) = rows.next()? {
        let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let (region, fs, kind): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (state, status): (String, String) = (r.get(3)?, r.get(4)?);
        let g = match out.last_mut() {
            Some(g) if g.region == region && g.file_system_id == fs && g.kind == kind => g,
            _ => {
                out.push(FsTasks {
                    region,
                    file_system_id: fs,
                    kind,
                    ..FsTasks::default()
                });
                out.last_mut().expect("just pushed")
            }
        };
        let count = n(5)?;
        g.tasks += count;
        match (state.as_str(), status.as_str()) {
            ("failed", _) => g.refused += count,
            ("created", "finished") => g.finished += count,
            ("created", "failed") => g.failed += count,
            ("created", "stopped") => g.stopped += count,
            ("created", s) if !status_ended(s) => g.live += count,
            _ => g.not_started += count,
        }
        g.volume.files_total += n(6)?;
        g.volume.files_done += n(7)?;
        g.volume.files_failed += n(8)?;
        g.volume.bytes_total += n(9)?;
        g.volume.bytes_done += n(10)?;
        g.volume.bytes_failed += n(11)?;
        g.with_failed_files += n(12)?;
    }
    Ok(out)
}

/// One sample of a type's tasks during a run: when, and their bytes done of total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BytesAt {
    pub at_ms: i64,
    pub done: u64,
    pub total: u64,
}

/// The bytes a run's tasks had moved, per type, sample by sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBytes {
    pub run: i64,
    pub series: Vec<(TaskType, Vec<BytesAt>)>,
}

/// What a run's samples (taken every few seconds while it followed its tasks) say: the latest
/// run that took samples, or `run` when given.
pub fn bytes_over_time(conn: &Connection, run: Option<i64>) -> rusqlite::Result<Option<RunBytes>> {
    let run: Option<i64> = match run {
        Some(id) => Some(id),
        None => conn
            .query_row("SELECT max(run_id) FROM task_samples", [], |r| r.get(0))
            .optional()?
            .flatten(),
    };
    let Some(run) = run else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(
        "SELECT type, at_ms, bytes_done, bytes_total FROM task_samples WHERE run_id = ?1 \
         ORDER BY type, at_ms",
    )?;
    let mut rows = stmt.query(params![run])?;
    let mut out: Vec<(TaskType, Vec<BytesAt>)> = Vec::new();
    while let Some(r) = rows.next()? {
        let Some(kind) = TaskType::parse(&r.get::<_, String>(0)?) else {
            continue;
        };
        let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let sample = BytesAt {
            at_ms: r.get(1)?,
            done: n(2)?,
            total: n(3)?,
        };
        match out.last_mut() {
            Some((k, samples)) if *k == kind => samples.push(sample),
            _ => out.push((kind, vec![sample])),
        }
    }
    Ok((!out.is_empty()).then_some(RunBytes { run, series: out }))
}
