//! The text of the metrics file: the Prometheus text exposition format (version 0.0.4), every
//! name `bulkflow_`, every series labelled with the file's labels (`manifest`, `state_file`).

use super::metrics::{Snapshot, TaskGauges, STATES};
use crate::store::run_record::HOWS;

/// A label value as the text format writes it: backslash, double quote and line feed escaped.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `{a="x",b="y"}` of the series' own labels and the file's; empty when there are none.
fn label_set(own: &[(&str, &str)], common: &[(&'static str, String)]) -> String {
    let all: Vec<String> = own
        .iter()
        .map(|(k, v)| (*k, *v))
        .chain(common.iter().map(|(k, v)| (*k, v.as_str())))
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    if all.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", all.join(","))
    }
}

/// One metric: name, type, help, and its samples (label set, value).
fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for (labels, value) in samples {
        out.push_str(&format!("{name}{labels} {value}\n"));
    }
}

/// The file's text: `# HELP` and `# TYPE` lines, then the samples, every name `bulkflow_`.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let rows: Vec<(String, String)> = STATES
        .iter()
        .zip(s.rows)
        .map(|(st, n)| {
            (
                label_set(&[("state", st.as_str())], &s.labels),
                n.to_string(),
            )
        })
        .collect();
    metric(
        &mut out,
        "bulkflow_rows",
        "gauge",
        "Rows of the manifest per state (during a run: as its current pass has them).",
        &rows,
    );
    for (name, kind, help, value) in singles(s) {
        metric(
            &mut out,
            name,
            kind,
            help,
            &[(label_set(&[], &s.labels), value)],
        );
    }
    passes(s, &mut out);
    tasks(s, &mut out);
    out
}

/// Every metric with one sample: (name, type, help, value).
fn singles(s: &Snapshot) -> Vec<(&'static str, &'static str, &'static str, String)> {
    let mut single: Vec<(&str, &str, &str, String)> = vec![
        (
            "bulkflow_manifest_rows",
            "gauge",
            "Rows in the manifest.",
            s.total.to_string(),
        ),
        (
            "bulkflow_calls_total",
            "counter",
            "Calls sent by this run (creates, deletes, modifies, data tasks' starts and stops; listings apart).",
            s.calls.to_string(),
        ),
        (
            "bulkflow_throttled_calls_total",
            "counter",
            "Calls of this run the API throttled.",
            s.throttled.to_string(),
        ),
        (
            "bulkflow_retries_total",
            "counter",
            "Times this run set a row to retrying (to be sent again after a transient failure).",
            s.retries.to_string(),
        ),
        (
            "bulkflow_listings_total",
            "counter",
            "Listings of a file system by this run (DescribeDataFlow, DescribeLifecycleDataTask).",
            s.listings.to_string(),
        ),
        (
            "bulkflow_listing_failures_total",
            "counter",
            "Listings of this run that failed.",
            s.listing_failures.to_string(),
        ),
        (
            "bulkflow_running",
            "gauge",
            "1 while the run is going, 0 once it has ended.",
            u8::from(s.running).to_string(),
        ),
        (
            "bulkflow_run_start_time_seconds",
            "gauge",
            "When the run started, in unix seconds.",
            s.started.to_string(),
        ),
    ];
    if let Some((code, end)) = s.last_exit {
        single.push(("bulkflow_last_exit_code", "gauge", "Exit code of the last run that ended (0 done, 1 rows failed, 2 usage, 3 fatal, 4 interrupted, 5 state file).", code.to_string()));
        single.push((
            "bulkflow_last_end_time_seconds",
            "gauge",
            "When the last run ended, in unix seconds.",
            end.to_string(),
        ));
    }
    single
}

/// `bulkflow_pass_rows{pass,how}`: each pass of the run so far, its rows by how they ended (the
/// summary's figures).
fn passes(s: &Snapshot, out: &mut String) {
    if s.passes.is_empty() {
        return;
    }
    let mut samples = Vec::new();
    for p in &s.passes {
        for (how, n) in HOWS.iter().zip(p.by_how()) {
            let labels = label_set(&[("pass", &p.pass), ("how", how)], &s.labels);
            samples.push((labels, n.to_string()));
        }
    }
    metric(
        out,
        "bulkflow_pass_rows",
        "gauge",
        "Rows each pass of this run took, by how they ended: brought to its goal by its calls (called), by adopting what existed (adopted), found so by a listing (found); left unchanged, failed, skipped (not sent), left for a later run, or settled before the pass (earlier).",
        &samples,
    );
}

/// The data-task gauges: tasks per type and status, files and bytes per type.
fn tasks(s: &Snapshot, out: &mut String) {
    if s.tasks.is_empty() {
        return;
    }
    let mut per_status = Vec::new();
    for t in &s.tasks {
        for (status, n) in &t.by_status {
            let labels = label_set(&[("type", &t.kind), ("status", status)], &s.labels);
            per_status.push((labels, n.to_string()));
        }
    }
    metric(
        out,
        "bulkflow_tasks",
        "gauge",
        "The manifest's rows' latest data tasks per type and status (init, running, finished, failed, stopped, ...; unlisted: started, not listed since; not_started: its create is not settled; refused: the service refused it).",
        &per_status,
    );
    type Field = fn(&TaskGauges) -> u64;
    let volumes: [(&str, &str, Field); 6] = [
        (
            "bulkflow_task_total_bytes",
            "Bytes the tasks of a type have to move, as last listed.",
            |t| t.volume.bytes_total,
        ),
        (
            "bulkflow_task_done_bytes",
            "Bytes the tasks of a type have moved, as last listed.",
            |t| t.volume.bytes_done,
        ),
        (
            "bulkflow_task_failed_bytes",
            "Bytes of the files that failed in the tasks of a type.",
            |t| t.volume.bytes_failed,
        ),
        (
            "bulkflow_task_total_files",
            "Files the tasks of a type have to move, as last listed.",
            |t| t.volume.files_total,
        ),
        (
            "bulkflow_task_done_files",
            "Files the tasks of a type have moved, as last listed.",
            |t| t.volume.files_done,
        ),
        (
            "bulkflow_task_failed_files",
            "Files that failed in the tasks of a type.",
            |t| t.volume.files_failed,
        ),
    ];
    for (name, help, field) in volumes {
        let samples: Vec<(String, String)> = s
            .tasks
            .iter()
            .map(|t| {
                (
                    label_set(&[("type", &t.kind)], &s.labels),
                    field(t).to_string(),
                )
            })
            .collect();
        metric(out, name, "gauge", help, &samples);
    }
}

/// The exit code and end time an earlier run left in `text` (a metrics file it wrote, with or
/// without labels).
pub fn previous_exit(text: &str) -> Option<(i32, i64)> {
    let value = |name: &str| {
        text.lines()
            .find(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([' ', '{']))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let code = i32::try_from(value("bulkflow_last_exit_code")?).ok()?;
    Some((code, value("bulkflow_last_end_time_seconds")?))
}
