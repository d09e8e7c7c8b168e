//! The paragraph `run` ends with.

use std::fmt::Write;

use crate::api::CredentialProvider;
use crate::engine::resume::UNAVAILABLE;
use crate::engine::{PassTime, RunSummary, StopReason};
use crate::shell_command::{shell_word, Resume};
use crate::store::RowState;

/// The line after the summary for temporary credentials: how often they were refreshed during
/// the run. `None` for fixed keys, which are never refreshed.
pub fn credentials_line(creds: &CredentialProvider) -> Option<String> {
    creds.refreshes_itself().then(|| {
        let n = creds.refreshes();
        let times = if n == 1 { "time" } else { "times" };
        format!("bulkflow: temporary credentials refreshed {n} {times} during the run.")
    })
}

/// Counts, time, rate, failures by code, and what to do next. `resume` is the command that
/// resumes this run.
pub fn render(s: &RunSummary, resume: &Resume) -> String {
    let n = |st| s.counts.get(&st).copied().unwrap_or(0);
    if s.goal == RowState::Deleted {
        return render_delete(s, resume);
    }
    if !s.flows {
        return render_task_run(s, resume);
    }
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.calls as f64 / secs
    } else {
        0.0
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "bulkflow: {} rows: {} created, {} failed, {} unknown, {} retrying, {} pending. \
         {} calls in {:.1}s ({rate:.1} calls/s), {} throttled.",
        s.total,
        n(RowState::Created),
        n(RowState::Failed),
        n(RowState::Unknown),
        n(RowState::Retrying),
        n(RowState::Pending),
        s.calls,
        secs,
        s.throttled,
    );
    // What the run did comes first; the command to paste, if any, ends the paragraph.
    out.push_str(&passes(s));
    if let Some(tasks) =
        super::task_summary::render(s, &shell_word(&s.manifest.display().to_string()))
    {
        let _ = write!(out, " {tasks}");
    }
    if !s.failures.is_empty() {
        let _ = write!(out, " Failed: {}.", failures(s));
    }
    out.push_str(&next_steps(s, resume));
    out
}

/// What to do next, for a create run: resume, retry failures, keep waiting. A command ends
/// the text, so that the line can be pasted from where it starts.
fn next_steps(s: &RunSummary, resume: &Resume) -> String {
    let n = |st| s.counts.get(&st).copied().unwrap_or(0);
    let mut out = String::new();
    let waiting = (s.waiting > 0).then(|| {
        format!(
            " {} flows were not yet available when --wait gave up.",
            s.waiting
        )
    });
    let unsettled = n(RowState::Unknown) + n(RowState::Pending) + n(RowState::Retrying) > 0;
    match s.stop.as_ref() {
        Some((StopReason::Fatal, detail)) => {
            out.push_str(&waiting.unwrap_or_default());
            let _ = write!(out, " Stopped: {detail}. Fix it, then resume: {resume}");
        }
        Some((StopReason::Interrupted | StopReason::MaxRuntime, detail)) => {
            out.push_str(&waiting.unwrap_or_default());
            let _ = write!(out, " Stopped early ({detail}). Resume: {resume}");
        }
        Some((_, detail)) => {
            let _ = write!(out, " Stopped: {detail}.");
            out.push_str(&waiting.unwrap_or_default());
        }
        None if unsettled => {
            out.push_str(&waiting.unwrap_or_default());
            let _ = write!(out, " Some rows are not settled; resume: {resume}");
        }
        None => {
            let unavailable = s
                .failures
                .iter()
                .find(|(code, _)| code == UNAVAILABLE)
                .map_or(0, |(_, n)| *n);
            if n(RowState::Failed) > unavailable {
                let _ = write!(
                    out,
                    " Details: bulkflow report {} --only failed. After fixing the manifest rows, run again",
                    report_source(s)
                );
                if waiting.is_some() {
                    out.push_str("; to retry failures without edits, add --retry-failed.");
                } else {
                    let _ = write!(
                        out,
                        "; to retry failures without edits: {}",
                        resume.with("--retry-failed")
                    );
                }
            }
            if let Some(w) = waiting {
                let _ = write!(
                    out,
                    "{w} Run again to keep waiting: {}",
                    resume.with("--wait")
                );
            }
            if unavailable > 0 {
                // `--retry-failed` cannot bring these back: the flow exists and its source
                // refuses its keys; new keys set on it (and waited for) can.
                let fix = resume.with_all(&["--rotate-keys", "--wait"]);
                let _ = write!(
                    out,
                    " {unavailable} flow{} unavailable (the source refuses its keys): put working \
                     keys in the manifest, then: {fix}",
                    if unavailable == 1 { " is" } else { "s are" },
                );
            }
        }
    }
    out
}

/// ` This run: create 6.1s, 120 calls: 114 created, 6 adopted; wait 2.0s: ...`: what each
/// pass did, as the engine counted it (and `status` repeats).
fn passes(s: &RunSummary) -> String {
    if s.passes.is_empty() {
        return String::new();
    }
    let records: Vec<crate::store::PassRecord> = s.passes.iter().map(PassTime::record).collect();
    format!(" This run: {}.", super::passes::sentence(&records, s.total))
}

/// The paragraph `bulkflow task` ends with: the calls, each type's tasks, and what next.
fn render_task_run(s: &RunSummary, resume: &Resume) -> String {
    let secs = s.elapsed.as_secs_f64();
    let mut out = format!(
        "bulkflow: {} rows. {} calls in {secs:.1}s, {} throttled.",
        s.total, s.calls, s.throttled
    );
    out.push_str(&passes(s));
    let manifest = shell_word(&s.manifest.display().to_string());
    if let Some(tasks) = super::task_summary::render(s, &manifest) {
        let _ = write!(out, " {tasks}");
    }
    match s.stop.as_ref() {
        Some((StopReason::Fatal, detail)) => {
            let _ = write!(out, " Stopped: {detail}. Fix it, then resume: {resume}");
        }
        Some((StopReason::Interrupted | StopReason::MaxRuntime, detail)) => {
            let _ = write!(out, " Stopped early ({detail}). Resume: {resume}");
        }
        Some((_, detail)) => {
            let _ = write!(out, " Stopped: {detail}.");
        }
        None if s.exit_code() == crate::exit::ExitCode::Interrupted => {
            let _ = write!(out, " Some tasks are not settled; resume: {resume}");
        }
        None => {}
    }
    out
}

/// What `bulkflow report` needs to find the run's state: the manifest, or for a manifest read
/// from stdin (no file to name) its state file.
fn report_source(s: &RunSummary) -> String {
    if s.manifest.as_os_str() == "-" {
        format!(
            "--state {}",
            shell_word(&s.state_file.display().to_string())
        )
    } else {
        shell_word(&s.manifest.display().to_string())
    }
}

/// Failed rows per error code, most first: `3 DataFlowConflict, 1 ...`.
fn failures(s: &RunSummary) -> String {
    let list: Vec<String> = s
        .failures
        .iter()
        .map(|(code, k)| format!("{k} {code}"))
        .collect();
    list.join(", ")
}

/// The paragraph a `delete` ends with.
fn render_delete(s: &RunSummary, resume: &Resume) -> String {
    let n = |st| s.counts.get(&st).copied().unwrap_or(0);
    let deleted = n(RowState::Deleted);
    // Rows whose recorded flow has another source are left alone, reported like failures.
    let left_alone: u64 = s.skipped.values().sum();
    let alone = if left_alone > 0 {
        format!(" {left_alone} left alone (another source's flow),")
    } else {
        String::new()
    };
    let mut out = format!(
        "bulkflow: {} rows: {deleted} deleted, {} failed,{alone} {} unknown, {} still to \
         delete. {} calls in {:.1}s, {} throttled.",
        s.total,
        n(RowState::Failed),
        n(RowState::Unknown),
        s.total
            .saturating_sub(deleted + n(RowState::Failed) + n(RowState::Unknown) + left_alone),
        s.calls,
        s.elapsed.as_secs_f64(),
        s.throttled,
    );
    out.push_str(&passes(s));
    let mut not_deleted: Vec<String> = s.skipped.iter().map(|(c, k)| format!("{k} {c}")).collect();
    if !s.failures.is_empty() {
        not_deleted.push(failures(s));
    }
    if !not_deleted.is_empty() {
        let _ = write!(out, " Not deleted: {}.", not_deleted.join(", "));
    }
    if s.exit_code() != crate::exit::ExitCode::Ok
        && s.exit_code() != crate::exit::ExitCode::FailedRows
    {
        let _ = write!(out, " Resume: {resume}");
    }
    out
}
