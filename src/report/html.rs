//! `report --format html`: the state file as one self-contained page a team lead can open or
//! attach. Inline CSS, the chart as inline SVG, no script, and nothing fetched from elsewhere (a
//! Content-Security-Policy forbids it besides). Every value from the manifest, the server or the
//! state file is escaped once, by [`escape`] (`html_text`, with the page's other words).

use std::fmt::Write as _;
use std::io::Write;

use rusqlite::Connection;

use super::html_chart::{self, CallSeries};
use super::html_tables;
use super::html_text::{duration, escape, number, plural, thousands, when, MESSAGE_CAP};
use crate::store::overview::{self, RunCalls};
use crate::store::read::{self, ReadError};
use crate::store::task_overview;
use crate::store::RowState;

const STYLE: &str = include_str!("html.css");

/// What the page shows besides what it always shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlOptions {
    /// The run whose calls are charted; by default the latest run that made calls.
    pub run: Option<i64>,
    /// The state of the rows listed in the table of rows; by default `failed`.
    pub only: Option<RowState>,
    /// The state file, for the commands the page gives when the manifest came from stdin.
    pub state_file: Option<std::path::PathBuf>,
}

/// Writes the page to `out`.
pub fn write(conn: &Connection, opts: HtmlOptions, mut out: impl Write) -> Result<(), ReadError> {
    out.write_all(render(conn, opts)?.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The page.
pub fn render(conn: &Connection, opts: HtmlOptions) -> Result<String, ReadError> {
    let runs = overview::runs(conn)?;
    let mut page = String::with_capacity(64 * 1024);
    let manifest = runs.last().map(|r| r.info.manifest.as_str()).unwrap_or("");
    let name = manifest.rsplit(['/', '\\']).next().unwrap_or(manifest);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"bulkflow {}\">\n\
         <title>bulkflow report{}{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        if name.is_empty() { "" } else { ": " },
        escape(name),
    );
    header(conn, &runs, manifest, &mut page)?;
    rows_summary(conn, &mut page)?;
    chart(conn, &runs, opts.run, &mut page)?;
    let charted_id = charted(&runs, opts.run).map(|r| r.info.id);
    super::html_runs::runs(&runs, charted_id, &mut page);
    html_tables::file_systems(&overview::states_per_file_system(conn)?, &mut page);
    let samples = match task_overview::bytes_over_time(conn, opts.run)? {
        Some(s) => Some(s),
        // The run asked for followed no task: the latest run that did.
        None if opts.run.is_some() => task_overview::bytes_over_time(conn, None)?,
        None => None,
    };
    super::html_tasks::section(
        &task_overview::tasks_per_file_system(conn)?,
        samples.as_ref(),
        &mut page,
    );
    html_tables::error_codes(&overview::error_codes(conn)?, &mut page);
    let only = opts.only.unwrap_or(RowState::Failed);
    html_tables::rows(conn, only, manifest, opts.state_file.as_deref(), &mut page)?;
    let _ = write!(
        page,
        "<footer>Written by bulkflow {} from its state file. Messages longer than {MESSAGE_CAP} \
         characters are cut here; <code>bulkflow report --format csv</code> has every row whole.\
         </footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    Ok(page)
}

fn header(
    conn: &Connection,
    runs: &[RunCalls],
    manifest: &str,
    page: &mut String,
) -> rusqlite::Result<()> {
    page.push_str("<header>\n<h1>bulkflow report</h1>\n<p class=\"meta\">");
    if manifest.is_empty() {
        page.push_str("No run is recorded in this state file.");
    } else {
        let _ = write!(page, "Manifest <code>{}</code>", escape(manifest));
    }
    if let Some(ms) = overview::last_change_ms(conn)? {
        let _ = write!(page, " · state as of {}", when(ms));
    }
    let _ = write!(page, " · {} run{}", runs.len(), plural(runs.len() as u64));
    page.push_str("</p>\n");
    if runs
        .iter()
        .any(|r| r.service.as_deref() == Some("loopback"))
    {
        page.push_str(
            "<p class=\"badge\">Rehearsal: these runs went to an emulator on this machine, \
             not to Tencent Cloud.</p>\n",
        );
    }
    page.push_str("</header>\n");
    Ok(())
}

fn rows_summary(conn: &Connection, page: &mut String) -> rusqlite::Result<()> {
    let counts = read::counts(conn, true)?;
    let total: u64 = counts.values().sum();
    let all: u64 = read::counts(conn, false)?.values().sum();
    let _ = write!(
        page,
        "<section id=\"summary\">\n<h2>Rows</h2>\n<div class=\"cards\">\
         <div class=\"card\"><span class=\"n\">{}</span><span>in the manifest</span></div>",
        thousands(total)
    );
    for state in RowState::ALL {
        let n = counts.get(&state).copied().unwrap_or(0);
        if n > 0 || matches!(state, RowState::Created | RowState::Failed) {
            let _ = write!(
                page,
                "<div class=\"card {state}\"><span class=\"n\">{}</span><span>{state}</span></div>",
                thousands(n)
            );
        }
    }
    page.push_str("</div>\n");
    live_status(
        conn,
        counts.get(&RowState::Created).copied().unwrap_or(0),
        page,
    )?;
    if all > total {
        let _ = writeln!(
            page,
            "<p>And {} row{} that left the manifest since, not counted here.</p>",
            thousands(all - total),
            plural(all - total)
        );
    }
    page.push_str("</section>\n");
    Ok(())
}

/// What the listings saw of the created rows' flows: how many of them, which status, and when
/// last; the rest were not listed since they were created, which says nothing about them.
fn live_status(conn: &Connection, created: u64, page: &mut String) -> rusqlite::Result<()> {
    if created == 0 {
        return Ok(());
    }
    let statuses = read::flow_statuses(conn)?;
    let seen: u64 = statuses.values().sum();
    let how = "(<code>bulkflow plan</code> or <code>run --wait</code> lists them)";
    if seen == 0 {
        let _ = writeln!(
            page,
            "<p>Live status: not known; no listing has seen the {} created flows since they \
             were created {how}.</p>",
            thousands(created)
        );
        return Ok(());
    }
    let list: Vec<String> = statuses
        .iter()
        .map(|(s, n)| format!("{} {}", thousands(*n), escape(s)))
        .collect();
    let last = read::last_listed_ms(conn)?
        .map(|ms| format!("; the latest listing on {}", when(ms)))
        .unwrap_or_default();
    let unseen = created.saturating_sub(seen);
    let rest = if unseen == 0 {
        String::new()
    } else {
        format!(
            " The other {} {} not been listed since {} created: {} status is not known here \
             {how}.",
            thousands(unseen),
            if unseen == 1 { "has" } else { "have" },
            if unseen == 1 { "it was" } else { "they were" },
            if unseen == 1 { "its" } else { "their" },
        )
    };
    let _ = writeln!(
        page,
        "<p>Live status, as listings saw it: {} (the flows of {} of the {} created rows{last}).{rest}</p>",
        list.join(", "),
        thousands(seen),
        thousands(created),
    );
    Ok(())
}

/// The run to chart: the one asked for, else the latest that made calls, else the latest.
fn charted(runs: &[RunCalls], asked: Option<i64>) -> Option<&RunCalls> {
    match asked {
        Some(id) => runs.iter().find(|r| r.info.id == id),
        None => runs
            .iter()
            .rev()
            .find(|r| r.calls > 0)
            .or_else(|| runs.last()),
    }
}

fn chart(
    conn: &Connection,
    runs: &[RunCalls],
    asked: Option<i64>,
    page: &mut String,
) -> rusqlite::Result<()> {
    page.push_str("<section id=\"calls\">\n");
    let Some(run) = charted(runs, asked) else {
        page.push_str("<h2>Calls per second</h2>\n");
        match asked {
            Some(id) => {
                let _ = writeln!(page, "<p>Run #{id} is not in this state file.</p>");
            }
            None => page.push_str("<p>No run is recorded in this state file.</p>\n"),
        }
        page.push_str("</section>\n");
        return Ok(());
    };
    let id = run.info.id;
    let _ = writeln!(page, "<h2>Calls per second, run #{id}</h2>");
    let mut series = CallSeries::default();
    overview::for_each_call(conn, id, |c| series.add(&c))?;
    let calls = series.totals()[0];
    let _ = write!(
        page,
        "<p class=\"meta\">Started {}",
        when(run.info.started_at_ms)
    );
    let unrecorded = match run.info.finished_at_ms {
        Some(_) => run.info.calls.saturating_sub(calls),
        None => 0,
    };
    if calls == 0 && unrecorded == 0 {
        page.push_str(". It made no call: every row was done already, or it stopped first.</p>\n");
    } else if calls == 0 {
        let _ = writeln!(
            page,
            ". Its {} call{} stopped data tasks: such calls are not recorded one by one, and \
             are not drawn.</p>",
            thousands(unrecorded),
            plural(unrecorded)
        );
    } else {
        drawn(&series, id, unrecorded, page);
    }
    let passes = crate::store::run_record::passes(conn, id)?;
    if !passes.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"meta\">What it did: {}.</p>",
            escape(&super::passes::sentence(&passes, run.info.manifest_rows))
        );
    }
    let later: Vec<String> = runs
        .iter()
        .filter(|r| r.info.id > id)
        .map(|r| format!("#{}", r.info.id))
        .collect();
    if asked.is_none() && !later.is_empty() && calls > 0 {
        let _ = writeln!(
            page,
            "<p>Later run{} {} made no call.</p>",
            plural(later.len() as u64),
            later.join(", ")
        );
    }
    page.push_str("</section>\n");
    Ok(())
}

/// The rest of the chart's line (`calls` recorded, and `unrecorded` calls that stopped data
/// tasks), the chart of run `id`, and its legend.
fn drawn(series: &CallSeries, id: i64, unrecorded: u64, page: &mut String) {
    let [calls, throttled, errors] = series.totals();
    let span = series.span_secs();
    let _ = write!(
        page,
        "; {} call{} over {} (mean {}/s, peak {}/s); {} throttled; {} error{}",
        thousands(calls),
        plural(calls),
        duration(span),
        number((calls as f64 / span.max(1) as f64 * 10.0).round() / 10.0),
        thousands(series.peaks()[0]),
        thousands(throttled),
        thousands(errors),
        plural(errors),
    );
    if series.unended() > 0 {
        let _ = write!(
            page,
            "; {} with no recorded end (the run was stopped)",
            thousands(series.unended())
        );
    }
    if unrecorded > 0 {
        let _ = write!(
            page,
            "; and {} call{} that stopped data tasks, not recorded one by one and not drawn",
            thousands(unrecorded),
            plural(unrecorded)
        );
    }
    page.push_str(".</p>\n");
    let label = format!("Calls, throttled calls and errors per second over run #{id}");
    page.push_str(&html_chart::svg(series, &label));
    let width = series.buckets().first().map_or(1, |b| b.width);
    let _ = write!(
        page,
        "\n<p class=\"legend\"><span class=\"key calls\"></span>calls sent \
         <span class=\"key throttled\"></span>throttled (RequestLimitExceeded) \
         <span class=\"key errors\"></span>other errors (retried or final) \
         <span class=\"key limit\"></span>the API's limit{}</p>\n",
        if width > 1 {
            format!("; each bar is the average of {width} seconds")
        } else {
            String::new()
        }
    );
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
