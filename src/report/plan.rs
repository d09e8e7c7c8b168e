//! `bulkflow plan` as a person reads it: counts per verdict and per file system, then the rows
//! that need attention; and the progress of the listings.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::diag::{Diag, Level};
use crate::plan::{Progress, RowVerdict, Summary, Verdict};

/// The counts: in total, then per file system, with the flows no row names.
pub fn counts(manifest: &str, s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{manifest}: {} rows over {} file systems; {} flows listed",
        s.rows,
        s.per_file_system.len(),
        s.flows_listed
    );
    let verdicts: Vec<String> = Verdict::ALL
        .iter()
        .map(|v| format!("{} {}", v.as_str(), s.total.get(*v)))
        .collect();
    let _ = writeln!(
        out,
        "{}; unmanaged {}",
        verdicts.join(", "),
        s.total.unmanaged
    );
    let width = s
        .per_file_system
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .max("file system".len());
    let _ = write!(out, "\n{:<width$}", "file system");
    for v in Verdict::ALL {
        let _ = write!(out, " {:>11}", v.as_str());
    }
    let _ = writeln!(out, " {:>11}", "unmanaged");
    for (fs, c) in &s.per_file_system {
        let _ = write!(out, "{fs:<width$}");
        for v in Verdict::ALL {
            let _ = write!(out, " {:>11}", c.get(v));
        }
        let _ = writeln!(out, " {:>11}", c.unmanaged);
    }
    out
}

/// The rows that need attention (conflict, missing, unavailable, update), one per line.
pub fn attention(rows: &[RowVerdict]) -> String {
    if rows.is_empty() {
        return "\nno row needs attention\n".to_owned();
    }
    let w = |f: fn(&RowVerdict) -> usize, title: &str| {
        rows.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let line = w(|r| r.line.to_string().len(), "line");
    let fs = w(|r| r.file_system_id.chars().count(), "file system");
    let target = w(|r| r.target_path.chars().count(), "target path");
    let verdict = w(|r| r.verdict.len(), "verdict");
    let id = w(|r| r.data_flow_id.chars().count(), "data flow");
    let mut out = format!("\nrows that need attention ({}):\n", rows.len());
    let _ = writeln!(
        out,
        "{:>line$}  {:<fs$}  {:<target$}  {:<verdict$}  {:<id$}  detail",
        "line", "file system", "target path", "verdict", "data flow"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:>line$}  {:<fs$}  {:<target$}  {:<verdict$}  {:<id$}  {}",
            r.line, r.file_system_id, r.target_path, r.verdict, r.data_flow_id, r.detail
        );
    }
    out
}

/// A plain progress line: `bulkflow: plan: listed 40/100 file systems, 40000 flows; 20.5s` as
/// text; as JSON, an `INFO` object with the figures as fields.
pub fn progress_line(p: &Progress, elapsed: Duration) -> Diag {
    let (done, total, flows) = (
        p.done.load(Ordering::Relaxed),
        p.total.load(Ordering::Relaxed),
        p.flows.load(Ordering::Relaxed),
    );
    Diag::new(
        Level::Info,
        format_args!(
            "plan: listed {done}/{total} file systems, {flows} flows; {:.1}s",
            elapsed.as_secs_f64()
        ),
    )
    .field("file_systems_listed", done)
    .field("file_systems", total)
    .field("flows", flows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::FileSystemCounts;

    fn summary() -> Summary {
        let a = FileSystemCounts {
            verdicts: [10, 3, 1, 1, 200, 0, 0],
            unmanaged: 4,
        };
        let b = FileSystemCounts {
            verdicts: [0, 0, 0, 0, 5, 1, 0],
            unmanaged: 0,
        };
        let total = FileSystemCounts {
            verdicts: [10, 3, 1, 1, 205, 1, 0],
            unmanaged: 4,
        };
        Summary {
            rows: 221,
            flows_listed: 214,
            total,
            per_file_system: [("cfs-00000000".to_owned(), a), ("cfs-01".to_owned(), b)].into(),
        }
    }

    #[test]
    fn counts_in_total_and_per_file_system() {
        let text = counts("flows.csv", &summary());
        let want = "\
flows.csv: 221 rows over 2 file systems; 214 flows listed
create 10, adopt 3, update 1, conflict 1, ok 205, missing 1, unavailable 0; unmanaged 4

file system       create       adopt      update    conflict          ok     missing unavailable   unmanaged
cfs-00000000          10           3           1           1         200           0           0           4
cfs-01                 0           0           0           0           5           1           0           0
";
        assert_eq!(text, want);
    }

    #[test]
    fn attention_rows_in_columns() {
        let rows = vec![RowVerdict {
            line: 7,
            file_system_id: "cfs-1".into(),
            target_path: "/cfs/d7".into(),
            verdict: "conflict",
            data_flow_id: "cfs-dataflow-9".into(),
            detail: "being deleted".into(),
            task: String::new(),
        }];
        let want = "
rows that need attention (1):
line  file system  target path  verdict   data flow       detail
   7  cfs-1        /cfs/d7      conflict  cfs-dataflow-9  being deleted
";
        assert_eq!(attention(&rows), want);
        assert_eq!(attention(&[]), "\nno row needs attention\n");
    }

    #[test]
    fn the_summary_object_has_specs_keys_in_order() {
        assert_eq!(
            summary().json(),
            r#"{"summary":{"create":10,"adopt":3,"update":1,"conflict":1,"ok":205,"missing":1,"unavailable":0,"unmanaged":4}}"#
        );
        assert_eq!(summary().exit_code(), crate::ExitCode::FailedRows);
        let mut clean = summary();
        clean.total.verdicts = [10, 3, 1, 0, 205, 0, 0];
        assert_eq!(clean.exit_code(), crate::ExitCode::Ok);
    }
}
