//! The tables of the HTML report: rows per state per region and file system, the error codes,
//! and the rows of one state (the failed ones by default). The runs are in `html_runs.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::Connection;

use super::html_text::{escape, escape_capped, thousands};
use crate::store::overview::{CodeCount, StateGroup};
use crate::store::read::{self, ReadError, ReportRow};
use crate::store::RowState;

/// At most this many rows in the table of rows; a note says how many more there are.
pub const ROW_CAP: usize = 1000;

/// At most this many error codes are listed, those that failed most rows first.
pub const CODE_CAP: usize = 200;

/// Rows of the manifest per state, per region and file system, with a line of totals.
pub fn file_systems(groups: &[StateGroup], page: &mut String) {
    page.push_str("<section id=\"file-systems\">\n<h2>Rows per file system</h2>\n");
    if groups.is_empty() {
        page.push_str("<p>No rows.</p>\n</section>\n");
        return;
    }
    let mut totals: BTreeMap<RowState, u64> = BTreeMap::new();
    for g in groups {
        for (s, n) in &g.counts {
            let t = totals.entry(*s).or_default();
            *t = t.saturating_add(*n);
        }
    }
    // Created and failed always; the other states when some row is in them.
    let states: Vec<RowState> = RowState::ALL
        .into_iter()
        .filter(|s| matches!(s, RowState::Created | RowState::Failed) || totals.contains_key(s))
        .collect();
    page.push_str("<div class=\"scroll\"><table>\n<thead><tr><th>Region</th><th>File system</th>");
    for s in &states {
        let _ = write!(page, "<th class=\"num\">{s}</th>");
    }
    page.push_str("<th class=\"num\">Rows</th></tr></thead>\n<tbody>\n");
    let line = |page: &mut String, counts: &BTreeMap<RowState, u64>| {
        for s in &states {
            let n = counts.get(s).copied().unwrap_or(0);
            let hot = n > 0 && !matches!(s, RowState::Created | RowState::Deleted);
            let class = if hot {
                format!("num {s}")
            } else {
                "num".into()
            };
            let _ = write!(page, "<td class=\"{class}\">{}</td>", thousands(n));
        }
        let all = counts.values().fold(0u64, |a, b| a.saturating_add(*b));
        let _ = writeln!(page, "<td class=\"num\">{}</td></tr>", thousands(all));
    };
    for g in groups.iter().take(ROW_CAP) {
        let _ = write!(
            page,
            "<tr><td>{}</td><td><code>{}</code></td>",
            escape(&g.region),
            escape(&g.file_system_id)
        );
        line(page, &g.counts);
    }
    page.push_str("</tbody>\n<tfoot><tr><td colspan=\"2\">All file systems</td>");
    line(page, &totals);
    page.push_str("</tfoot>\n</table></div>\n");
    if groups.len() > ROW_CAP {
        let _ = writeln!(
            page,
            "<p class=\"note\">{} more file systems, counted in the totals only.</p>",
            thousands((groups.len() - ROW_CAP) as u64)
        );
    }
    page.push_str("</section>\n");
}

/// The error codes: calls answered with each, rows failed by each, one message.
pub fn error_codes(codes: &[CodeCount], page: &mut String) {
    page.push_str("<section id=\"errors\">\n<h2>Error codes</h2>\n");
    if codes.is_empty() {
        page.push_str("<p>No call was answered with an error.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th>Code</th><th>Class</th><th class=\"num\">Calls</th>\
         <th class=\"num\">Rows failed</th><th>Example message</th></tr></thead>\n<tbody>\n",
    );
    for c in codes.iter().take(CODE_CAP) {
        let code = if c.code.is_empty() {
            "(no code)".to_owned()
        } else {
            escape(&c.code)
        };
        let classes: Vec<String> = c.classes.iter().map(|s| escape(s)).collect();
        let classes = if classes.is_empty() {
            "—".to_owned()
        } else {
            classes.join(", ")
        };
        let example = if c.example.is_empty() {
            "<span class=\"none\">—</span>".to_owned()
        } else {
            escape_capped(&c.example)
        };
        let failed = if c.failed_rows > 0 {
            "num failed"
        } else {
            "num"
        };
        let _ = writeln!(
            page,
            "<tr><td><code>{code}</code></td><td>{classes}</td><td class=\"num\">{}</td>\
             <td class=\"{failed}\">{}</td><td class=\"msg\">{example}</td></tr>",
            thousands(c.calls),
            thousands(c.failed_rows),
        );
    }
    page.push_str("</tbody>\n</table></div>\n");
    if codes.len() > CODE_CAP {
        let _ = writeln!(
            page,
            "<p class=\"note\">And {} more codes.</p>",
            codes.len() - CODE_CAP
        );
    }
    page.push_str("</section>\n");
}

/// The rows in `state` (those that left the manifest last), at most [`ROW_CAP`]; a column no
/// listed row has a value in is left out.
/// `manifest` is the last run's, as it named it: the overflow note's command names it (or the
/// state file, for a manifest read from stdin).
pub fn rows(
    conn: &Connection,
    state: RowState,
    manifest: &str,
    state_file: Option<&std::path::Path>,
    page: &mut String,
) -> Result<(), ReadError> {
    let mut listed: Vec<ReportRow> = Vec::new();
    let mut n: u64 = 0;
    read::for_each_row(conn, Some(state), |r| {
        n += 1;
        if listed.len() < ROW_CAP {
            listed.push(r);
        }
        Ok(())
    })?;
    let title = if state == RowState::Failed {
        "Failed rows".to_owned()
    } else {
        format!("Rows {state}")
    };
    let _ = writeln!(
        page,
        "<section id=\"rows\">\n<h2>{title} <span class=\"count\">{}</span></h2>",
        thousands(n)
    );
    if n == 0 {
        let _ = writeln!(page, "<p>No row is {state}.</p>\n</section>");
        return Ok(());
    }
    let shown = shown_columns(&listed);
    page.push_str("<div class=\"scroll\"><table class=\"rows\">\n<thead><tr>");
    for (class, head, _) in &shown {
        let _ = write!(page, "<th class=\"{class}\">{head}</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for r in &listed {
        page.push_str("<tr>");
        for (class, _, value) in &shown {
            let _ = write!(page, "<td class=\"{class}\">{}</td>", value(r));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table></div>\n");
    let all = report_command(manifest, state_file, state);
    notes(&listed, n, &all, page);
    page.push_str("</section>\n");
    Ok(())
}

/// A column of the table of rows: its class, its heading, and its cell's HTML for a row.
type Column = (&'static str, &'static str, fn(&ReportRow) -> String);

/// The columns of the table of rows, but those no listed row has a value in.
fn shown_columns(listed: &[ReportRow]) -> Vec<Column> {
    let columns: [Column; 9] = [
        ("num", "Line", |r| {
            let gone = if r.in_manifest {
                ""
            } else {
                "<span class=\"gone\">left the manifest</span>"
            };
            format!("{}{gone}", r.line)
        }),
        ("id", "File system", |r| code(&r.file_system_id)),
        ("path", "Target path", |r| escape(&r.target_path)),
        ("", "Name", |r| escape(&r.data_flow_name)),
        ("id", "Data flow", |r| code(&r.data_flow_id)),
        ("num", "Calls", |r| match r.attempts {
            0 => NO_CALL.to_owned(),
            n => n.to_string(),
        }),
        ("code", "Error code", |r| code(&r.error_code)),
        ("msg", "Message", |r| escape_capped(&r.error_message)),
        ("rid", "Request id", |r| escape(&r.request_id)),
    ];
    let blank = |r: &ReportRow, i: usize| match i {
        3 => r.data_flow_name.is_empty(),
        4 => r.data_flow_id.is_empty(),
        6 => r.error_code.is_empty(),
        7 => r.error_message.is_empty(),
        8 => r.request_id.is_empty(),
        _ => false,
    };
    columns
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !listed.iter().all(|r| blank(r, *i)))
        .map(|(_, c)| c)
        .collect()
}

/// The notes under the table of rows: what `none` calls means, when a row has it, and how to
/// list the rows past the cap (`all`, a command).
fn notes(listed: &[ReportRow], n: u64, all: &str, page: &mut String) {
    if listed.iter().any(|r| r.attempts == 0) {
        page.push_str(
            "<p class=\"note\">Calls: those made for the row, over all runs; <em>none</em>: the \
             row was settled without a call of its own (another row's answer said that its file \
             system takes no flows, or a listing settled it).</p>\n",
        );
    }
    if n > ROW_CAP as u64 {
        let _ = writeln!(
            page,
            "<p class=\"note\">And {} more: <code>{}</code> lists them all.</p>",
            thousands(n - ROW_CAP as u64),
            escape(all)
        );
    }
}

/// What a row with no call of its own shows in the Calls column.
const NO_CALL: &str = "<span class=\"none\">none</span>";

/// The command that lists every row in `state`: `bulkflow report MANIFEST --only STATE` with the
/// manifest the last run named; a manifest read from stdin has no name to give, so the state
/// file is asked for.
fn report_command(manifest: &str, state_file: Option<&std::path::Path>, state: RowState) -> String {
    use crate::shell_command::shell_word;
    let stdin = manifest.is_empty()
        || std::path::Path::new(manifest)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(".bulkflow-stdin-"));
    let source = match state_file {
        Some(f) if stdin => format!("--state {}", shell_word(&f.display().to_string())),
        _ => shell_word(manifest),
    };
    format!("bulkflow report {source} --only {state}")
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", escape(s))
}
