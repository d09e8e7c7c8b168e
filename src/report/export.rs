//! `bulkflow report`: every row as CSV or JSON Lines, or the whole state as one HTML page
//! ([`html`](super::html)).

use std::borrow::Cow;
use std::io::Write;

use rusqlite::Connection;

use crate::report::html;
use crate::store::read::{self, ReadError, ReportRow};
use crate::store::RowState;

/// The CSV header, SPEC's columns then ours.
pub const CSV_HEADER: [&str; 23] = [
    "line",
    "file_system_id",
    "target_path",
    "data_flow_name",
    "state",
    "data_flow_id",
    "request_id",
    "attempts",
    "error_code",
    "error_message",
    "in_manifest",
    "flow_status",
    "flow_status_at",
    "task_type",
    "task_id",
    "task_status",
    "task_files_total",
    "task_files_done",
    "task_files_failed",
    "task_bytes_total",
    "task_bytes_done",
    "task_bytes_failed",
    "task_failed_list",
];

/// What `report` writes (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One line per row, with a header.
    Csv,
    /// One JSON object per row.
    Jsonl,
    /// One self-contained page of the whole state.
    Html,
}

/// What `report` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The format.
    pub format: ReportFormat,
    /// Only rows in this state (for HTML: the rows its table lists).
    pub only: Option<RowState>,
    /// For HTML: the run whose calls are charted, instead of the latest.
    pub run: Option<i64>,
    /// For HTML: the state file, as the page's commands name it when the manifest was read
    /// from stdin.
    pub state_file: Option<std::path::PathBuf>,
}

/// Writes the report to `out`.
pub fn write(
    conn: &Connection,
    format: ReportFormat,
    only: Option<RowState>,
    out: impl Write,
) -> Result<(), ReadError> {
    write_request(
        conn,
        &ReportRequest {
            format,
            only,
            run: None,
            state_file: None,
        },
        out,
    )
}

/// Writes the report `req` asks for to `out`.
pub fn write_request(
    conn: &Connection,
    req: &ReportRequest,
    out: impl Write,
) -> Result<(), ReadError> {
    let only = req.only;
    match req.format {
        ReportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER).map_err(csv_io)?;
            read::for_each_row(conn, only, |r| {
                w.write_record(csv_fields(&r)).map_err(csv_io)
            })?;
            w.flush()?;
        }
        ReportFormat::Jsonl => {
            let mut w = std::io::BufWriter::new(out);
            read::for_each_row(conn, only, |r| {
                serde_json::to_writer(&mut w, &r)?;
                w.write_all(b"\n")
            })?;
            w.flush()?;
        }
        ReportFormat::Html => {
            let opts = html::HtmlOptions {
                run: req.run,
                only,
                state_file: req.state_file.clone(),
            };
            html::write(conn, opts, out)?;
        }
    }
    Ok(())
}

/// A row's CSV cells: numbers and booleans as they are, text through [`text_cell`].
fn csv_fields(r: &ReportRow) -> [String; 23] {
    let t = |v: &str| text_cell(v).into_owned();
    let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    [
        r.line.to_string(),
        t(&r.file_system_id),
        t(&r.target_path),
        t(&r.data_flow_name),
        t(&r.state),
        t(&r.data_flow_id),
        t(&r.request_id),
        r.attempts.to_string(),
        t(&r.error_code),
        t(&r.error_message),
        r.in_manifest.to_string(),
        t(&r.flow_status),
        t(&r.flow_status_at),
        t(&r.task_type),
        t(&r.task_id),
        t(&r.task_status),
        n(r.task_files_total),
        n(r.task_files_done),
        n(r.task_files_failed),
        n(r.task_bytes_total),
        n(r.task_bytes_done),
        n(r.task_bytes_failed),
        t(&r.task_failed_list),
    ]
}

/// A text cell a spreadsheet shows as text: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (which a spreadsheet may run as a formula: `=HYPERLINK(...)`,
/// `-2+3+cmd|' /C calc'!A0`) gets a `'` before it, OWASP's rule against CSV injection. Only for
/// text (server and manifest values): a number column is never touched, and JSON Lines and HTML
/// are not spreadsheets.
pub fn text_cell(v: &str) -> Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{v}"))
    } else {
        Cow::Borrowed(v)
    }
}

fn csv_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::text_cell;

    #[test]
    fn text_that_a_spreadsheet_would_run_gets_a_quote() {
        let cases = [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("+1", "'+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-flow", "'-flow"),
            ("InvalidParameter", "InvalidParameter"),
            ("/cfs/a=b", "/cfs/a=b"),
            ("", ""),
            ("'=x", "'=x"),
        ];
        for (raw, want) in cases {
            assert_eq!(text_cell(raw), want, "{raw:?}");
        }
    }
}
