//! The data tasks' part of a run's closing summary: per type, where the rows' tasks stand, with
//! files and bytes, the rows left unsent, and what to do next.

use std::fmt::Write;

use indicatif::{BinaryBytes, HumanCount};

use crate::engine::{RunSummary, TaskSummary};

/// One sentence per type of task the run concerned, and one for rows left unsent; `None` when
/// the run concerned no task.
pub fn render(s: &RunSummary, manifest: &str) -> Option<String> {
    if s.tasks.is_empty() && s.skipped.is_empty() {
        return None;
    }
    let mut out = String::new();
    for t in &s.tasks {
        let _ = write!(out, " {}", sentence(t));
    }
    if !s.skipped.is_empty() {
        let list: Vec<String> = s
            .skipped
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect();
        let _ = write!(
            out,
            " No task started for {} rows without an available flow ({}): bring their flows \
             up with `bulkflow run {manifest} --wait`, then run this command again.",
            s.skipped.values().sum::<u64>(),
            list.join(", ")
        );
    }
    let failed_files = s.tasks.iter().any(|t| t.counts.with_failed_files > 0);
    if failed_files {
        let _ = write!(
            out,
            " Failed files: `bulkflow report {manifest}` lists each row's task_failed_list \
             (where the service put the list of files that failed); start new tasks for those \
             rows with `bulkflow task {manifest} --type TYPE --again`."
        );
    }
    Some(out.trim_start().to_owned())
}

/// `metaload tasks of 120 rows: 118 finished, 2 failed, 0 running; 1,200 of 1,210 files, 3.2 GiB
/// of 3.3 GiB (10 files failed).`
fn sentence(t: &TaskSummary) -> String {
    let c = &t.counts;
    let verb = if t.started { "tasks" } else { "tasks stopped" };
    let mut parts: Vec<String> = Vec::new();
    for s in [
        "init", "running", "stopping", "finished", "failed", "stopped", "unlisted",
    ] {
        let n = c.status(s);
        if n > 0 {
            parts.push(format!("{n} {s}"));
        }
    }
    if c.not_started() > 0 {
        parts.push(format!("{} not started yet", c.not_started()));
    }
    if c.refused() > 0 {
        parts.push(format!("{} refused by the service", c.refused()));
    }
    if parts.is_empty() {
        parts.push("none".to_owned());
    }
    let v = &c.volume;
    let mut out = format!(
        "{} {verb} of {} rows: {}; {} of {} files, {} of {}",
        t.kind.as_str(),
        c.total(),
        parts.join(", "),
        HumanCount(v.files_done),
        HumanCount(v.files_total),
        BinaryBytes(v.bytes_done),
        BinaryBytes(v.bytes_total),
    );
    if v.files_failed > 0 {
        let _ = write!(
            out,
            " ({} files, {}, failed in {} tasks)",
            HumanCount(v.files_failed),
            BinaryBytes(v.bytes_failed),
            c.with_failed_files
        );
    }
    out.push('.');
    if !t.waited && t.started && c.live() > 0 {
        out.push_str(" Follow them with --wait.");
    }
    out
}
