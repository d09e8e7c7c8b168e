//! `bulkflow report`: every row as CSV or JSON Lines, or the whole state as one HTML page
//! ([`html`](super::html)).

use std::io::Write;

use rusqlite::Connection;

use crate::cli::ReportFormat;
use crate::report::html;
use crate::store::read::{self, ReadError, ReportRow};
use crate::store::RowState;

/// The CSV header, SPEC's columns then ours.
pub const CSV_HEADER: [&str; 13] = [
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
];

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

fn csv_fields(r: &ReportRow) -> [String; 13] {
    [
        r.line.to_string(),
        r.file_system_id.clone(),
        r.target_path.clone(),
        r.data_flow_name.clone(),
        r.state.clone(),
        r.data_flow_id.clone(),
        r.request_id.clone(),
        r.attempts.to_string(),
        r.error_code.clone(),
        r.error_message.clone(),
        r.in_manifest.to_string(),
        r.flow_status.clone(),
        r.flow_status_at.clone(),
    ]
}

fn csv_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}
