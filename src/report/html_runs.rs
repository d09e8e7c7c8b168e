//! The table of runs in the HTML report: each run (the latest first) with its calls and what
//! its goal pass did, and a line of totals over every run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::html_text::{duration, escape, plural, thousands, when};
use super::status::goal_word;
use crate::store::overview::RunCalls;

/// At most this many runs (the latest) are listed; the totals cover them all.
pub const RUN_CAP: usize = 50;

/// The runs, latest first, with a line of totals over every run; `charted` is the run the chart
/// shows. A run that ended shows its calls and what its goal pass did as its summary said them
/// (the engine's counts, kept in its record); one that did not end, the calls recorded before
/// they were sent.
pub fn runs(runs: &[RunCalls], charted: Option<i64>, page: &mut String) {
    page.push_str("<section id=\"runs\">\n<h2>Runs</h2>\n");
    if runs.is_empty() {
        page.push_str("<p>None yet.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th>Run</th><th>Service</th><th>Started</th><th>Took</th>\
         <th class=\"num\">Calls</th><th class=\"num\">Throttled</th>\
         <th class=\"num\">Errors</th><th>Done</th><th>Exit</th></tr></thead>\n\
         <tbody>\n",
    );
    let mut done: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    for r in runs.iter().rev().take(RUN_CAP) {
        let took = match r.info.finished_at_ms {
            Some(end) => seconds(end.saturating_sub(r.info.started_at_ms)),
            None => "—".into(),
        };
        let _ = writeln!(
            page,
            "<tr><td>#{}{}{}</td><td>{}</td><td>{}</td><td>{took}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td>{}</td></tr>",
            r.info.id,
            r.info
                .command
                .as_deref()
                .map(|c| format!(" {}", escape(c)))
                .unwrap_or_default(),
            if charted == Some(r.info.id) {
                " <span class=\"tag\">charted</span>"
            } else {
                ""
            },
            match r.service.as_deref() {
                Some("loopback") => "emulator".to_owned(),
                Some(s) => escape(s),
                None => "—".into(),
            },
            when(r.info.started_at_ms),
            thousands(calls_of(r)),
            thousands(throttled_of(r)),
            thousands(r.errors),
            goal_cell(r),
            exit(r),
        );
    }
    for r in runs {
        let d = done
            .entry(goal_word(r.info.command.as_deref()))
            .or_default();
        d.0 = d.0.saturating_add(r.info.created);
        d.1 = d.1.saturating_add(r.info.adopted);
    }
    let sum = |f: fn(&RunCalls) -> u64| runs.iter().map(f).fold(0u64, u64::saturating_add);
    let done: Vec<String> = done
        .iter()
        .map(|(word, (n, adopted))| goal_text(*n, *adopted, word))
        .collect();
    let _ = writeln!(
        page,
        "</tbody>\n<tfoot><tr><td colspan=\"4\">All {} run{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td></td>\
         </tr></tfoot>\n</table></div>",
        runs.len(),
        plural(runs.len() as u64),
        thousands(sum(calls_of)),
        thousands(sum(throttled_of)),
        thousands(sum(|r| r.errors)),
        done.join("; "),
    );
    if runs.len() > RUN_CAP {
        let _ = writeln!(
            page,
            "<p class=\"note\">The {} earlier runs are counted in the totals only.</p>",
            runs.len() - RUN_CAP
        );
    }
    page.push_str("</section>\n");
}

/// The run's calls: as its record says once it ended, as recorded one by one before.
fn calls_of(r: &RunCalls) -> u64 {
    match r.info.finished_at_ms {
        Some(_) => r.info.calls,
        None => r.calls,
    }
}

fn throttled_of(r: &RunCalls) -> u64 {
    match r.info.finished_at_ms {
        Some(_) => r.info.throttled,
        None => r.throttled,
    }
}

/// `120 created`, `0 created, 120 adopted`, `120 deleted`, `120 tasks started`.
fn goal_text(n: u64, adopted: u64, word: &str) -> String {
    match adopted {
        0 => format!("{} {word}", thousands(n)),
        a => format!(
            "{} {word}, {} adopted",
            thousands(n.saturating_sub(a)),
            thousands(a)
        ),
    }
}

/// What the run's goal pass did, or a dash for a run that did not end.
fn goal_cell(r: &RunCalls) -> String {
    match r.info.finished_at_ms {
        Some(_) => goal_text(
            r.info.created,
            r.info.adopted,
            goal_word(r.info.command.as_deref()),
        ),
        None => "—".into(),
    }
}

/// `6.2s` under a minute, `2m05s` and so on above.
fn seconds(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        duration((ms / 1000) as u64)
    }
}

fn exit(r: &RunCalls) -> String {
    let meaning = match r.info.exit_code {
        None if r.info.finished_at_ms.is_none() => return "running, or killed".into(),
        None => return "—".into(),
        Some(0) => "done",
        Some(1) => "rows failed",
        Some(2) => "usage error",
        Some(3) => "fatal API error",
        Some(4) => "interrupted",
        Some(5) => "state in use",
        Some(_) => "?",
    };
    let code = r.info.exit_code.unwrap_or_default();
    let class = if code == 0 { "ok" } else { "bad" };
    format!("<span class=\"exit {class}\">{code}</span> {meaning}")
}
