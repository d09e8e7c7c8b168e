//! The data tasks' part of `status`: per type, where the manifest's rows' latest tasks stand,
//! with files and bytes.

use std::fmt::Write;

use indicatif::{BinaryBytes, HumanCount};
use serde_json::{json, Value};

use crate::api::tasks::TaskType;
use crate::store::task_read::TaskCounts;

/// One line per type: `tasks metaload: 118 finished, 2 running; 1,200 of 1,210 files, 3.2 GiB
/// of 3.3 GiB (10 files failed in 2 tasks)`.
pub fn text(tasks: &[(TaskType, TaskCounts)]) -> String {
    let mut out = String::new();
    for (kind, c) in tasks {
        let mut parts: Vec<String> = c
            .by_status
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        if c.not_started() > 0 {
            parts.push(format!(
                "{} not started (run the task command again)",
                c.not_started()
            ));
        }
        if c.refused() > 0 {
            parts.push(format!("{} refused by the service", c.refused()));
        }
        let v = &c.volume;
        let _ = write!(
            out,
            "tasks {}: {}; {} of {} files, {} of {}",
            kind.as_str(),
            parts.join(", "),
            HumanCount(v.files_done),
            HumanCount(v.files_total),
            BinaryBytes(v.bytes_done),
            BinaryBytes(v.bytes_total)
        );
        if v.files_failed > 0 {
            let _ = write!(
                out,
                " ({} files failed in {} tasks: report shows task_failed_list)",
                HumanCount(v.files_failed),
                c.with_failed_files
            );
        }
        out.push('\n');
    }
    out
}

/// `{"metaload": {"by_state": ..., "by_status": ..., "files_total": ..., ...}}`.
pub fn json(tasks: &[(TaskType, TaskCounts)]) -> Value {
    let map: serde_json::Map<String, Value> = tasks
        .iter()
        .map(|(kind, c)| {
            let v = &c.volume;
            (
                kind.as_str().to_owned(),
                json!({
                    "tasks": c.total(),
                    "by_state": c.by_state,
                    "by_status": c.by_status,
                    "with_failed_files": c.with_failed_files,
                    "files_total": v.files_total,
                    "files_done": v.files_done,
                    "files_failed": v.files_failed,
                    "bytes_total": v.bytes_total,
                    "bytes_done": v.bytes_done,
                    "bytes_failed": v.bytes_failed,
                }),
            )
        })
        .collect();
    Value::Object(map)
}
