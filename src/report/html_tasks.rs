//! The HTML report's data tasks: the manifest's rows' latest tasks per file system and type,
//! with the bytes they moved of the bytes they have to move, and a chart of the bytes a run's
//! tasks had moved over time (from the samples the run took while it followed them).

use std::fmt::Write as _;

use indicatif::BinaryBytes;

use super::html_chart::{nice_step, time_step, Rule};
use super::html_tables::ROW_CAP;
use super::html_text::{duration, escape, thousands};
use crate::api::tasks::TaskType;
use crate::store::task_overview::{BytesAt, FsTasks, RunBytes};

const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// The section, when the state file has data tasks (nothing otherwise): the table, then the
/// chart of run `run` when it took samples.
pub fn section(groups: &[FsTasks], samples: Option<&RunBytes>, page: &mut String) {
    if groups.is_empty() {
        return;
    }
    page.push_str(
        "<section id=\"tasks\">\n<h2>Data tasks per file system</h2>\n<p class=\"meta\">Each \
         row's latest task of each type, as last listed: bytes moved of the bytes to move, and \
         the tasks by status. Failed files are listed per task by \
         <code>bulkflow report --format csv</code> (<code>task_failed_list</code>).</p>\n",
    );
    table(groups, page);
    if let Some(RunBytes { run, series }) = samples {
        let _ = writeln!(
            page,
            "<h2 class=\"second\">Bytes moved over time, run #{run}</h2>"
        );
        page.push_str(&chart(series, *run));
        page.push_str("\n<p class=\"legend\">");
        for (kind, _) in series {
            let _ = write!(
                page,
                "<span class=\"key task-{k}\"></span>{k} done (the dashed line: its total) ",
                k = kind.as_str()
            );
        }
        page.push_str("</p>\n");
    }
    page.push_str("</section>\n");
}

fn table(groups: &[FsTasks], page: &mut String) {
    page.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th>Region</th><th>File system</th>\
         <th>Type</th><th class=\"num\">Tasks</th><th class=\"num\">Bytes moved</th>\
         <th class=\"num\">Queued or running</th><th class=\"num\">Finished</th>\
         <th class=\"num\">Failed</th><th class=\"num\">Stopped</th>\
         <th class=\"num\">Not started</th><th class=\"num\">Refused</th>\
         <th class=\"num\">With failed files</th></tr></thead>\n<tbody>\n",
    );
    let mut totals: Vec<FsTasks> = Vec::new();
    for g in groups {
        let t = match totals.iter_mut().find(|t| t.kind == g.kind) {
            Some(t) => t,
            None => {
                totals.push(FsTasks {
                    kind: g.kind.clone(),
                    ..FsTasks::default()
                });
                totals.last_mut().expect("just pushed")
            }
        };
        add(t, g);
    }
    for g in groups.iter().take(ROW_CAP) {
        let _ = write!(
            page,
            "<tr><td>{}</td><td><code>{}</code></td>",
            escape(&g.region),
            escape(&g.file_system_id)
        );
        cells(g, page);
    }
    page.push_str("</tbody>\n<tfoot>\n");
    for t in &totals {
        page.push_str("<tr><td colspan=\"2\">All file systems</td>");
        cells(t, page);
    }
    page.push_str("</tfoot>\n</table></div>\n");
    if groups.len() > ROW_CAP {
        let _ = writeln!(
            page,
            "<p class=\"note\">{} more lines, counted in the totals only.</p>",
            thousands((groups.len() - ROW_CAP) as u64)
        );
    }
}

fn add(t: &mut FsTasks, g: &FsTasks) {
    let sum = |a: &mut u64, b: u64| *a = a.saturating_add(b);
    sum(&mut t.tasks, g.tasks);
    sum(&mut t.live, g.live);
    sum(&mut t.finished, g.finished);
    sum(&mut t.failed, g.failed);
    sum(&mut t.stopped, g.stopped);
    sum(&mut t.not_started, g.not_started);
    sum(&mut t.refused, g.refused);
    sum(&mut t.with_failed_files, g.with_failed_files);
    sum(&mut t.volume.bytes_done, g.volume.bytes_done);
    sum(&mut t.volume.bytes_total, g.volume.bytes_total);
}

/// A line's cells from the type on; a count that needs attention is marked.
fn cells(g: &FsTasks, page: &mut String) {
    let n = |v: u64, hot: bool| {
        let class = if hot && v > 0 { "num failed" } else { "num" };
        format!("<td class=\"{class}\">{}</td>", thousands(v))
    };
    let v = &g.volume;
    let share = if v.bytes_total > 0 {
        format!(
            " ({:.1}%)",
            v.bytes_done as f64 * 100.0 / v.bytes_total as f64
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        page,
        "<td>{}</td>{}<td class=\"num\">{} of {}{share}</td>{}{}{}{}{}{}{}</tr>",
        escape(&g.kind),
        n(g.tasks, false),
        BinaryBytes(v.bytes_done),
        BinaryBytes(v.bytes_total),
        n(g.live, false),
        n(g.finished, false),
        n(g.failed, true),
        n(g.stopped, true),
        n(g.not_started, false),
        n(g.refused, true),
        n(g.with_failed_files, true),
    );
}

/// The chart: one line of bytes done per type over the seconds since the run's first sample,
/// and a dashed line of its total as last sampled.
fn chart(series: &[(TaskType, Vec<BytesAt>)], run: i64) -> String {
    let first = series
        .iter()
        .filter_map(|(_, s)| s.first().map(|b| b.at_ms))
        .min()
        .unwrap_or(0);
    let last = series
        .iter()
        .filter_map(|(_, s)| s.last().map(|b| b.at_ms))
        .max()
        .unwrap_or(first);
    let top_value = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|b| b.total.max(b.done)))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.08;
    let step = nice_step(top_value / 5.0);
    let plot = Plot {
        first,
        span: (last.saturating_sub(first).max(0) as f64 / 1000.0).max(1.0),
        y_top: (top_value / step).ceil() * step,
    };
    let mut s = String::with_capacity(8 * 1024);
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"Bytes moved by the data tasks of each type over run #{run}\">"
    );
    plot.grid(&mut s, step);
    plot.time_labels(&mut s);
    for (kind, samples) in series {
        plot.lines(&mut s, kind.as_str(), samples);
    }
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
         <text class=\"xtitle\" x=\"{:.1}\" y=\"{:.1}\">time since the first sample</text></svg>",
        WIDTH - RIGHT,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 4.0,
        yy = plot.y(0.0),
    );
    s
}

/// Where the chart's samples go in the drawing.
struct Plot {
    /// The run's first sample, in ms.
    first: i64,
    /// Seconds from the first sample to the last, at least 1: the x axis.
    span: f64,
    /// The bytes at the top of the y axis.
    y_top: f64,
}

impl Plot {
    /// The x of a sample's time.
    fn x(&self, ms: i64) -> f64 {
        let secs = ms.saturating_sub(self.first).max(0) as f64 / 1000.0;
        LEFT + (WIDTH - LEFT - RIGHT) * (secs / self.span)
    }

    /// The y of a number of bytes.
    fn y(&self, v: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / self.y_top)
    }

    /// Horizontal grid lines every `step`, and the y axis's labels.
    fn grid(&self, s: &mut String, step: f64) {
        let rule = Rule {
            left: LEFT,
            right: WIDTH - RIGHT,
            y_top: self.y_top,
            step,
        };
        rule.draw(s, |v| self.y(v), |v| BinaryBytes(v as u64).to_string());
    }

    /// The x axis's labels: time since the first sample.
    fn time_labels(&self, s: &mut String) {
        let tick = time_step(self.span.ceil() as u64);
        let mut t = 0;
        while t as f64 <= self.span {
            let _ = write!(
                s,
                "<text class=\"xlabel\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                self.x(self.first.saturating_add((t * 1000) as i64)),
                HEIGHT - BOTTOM + 16.0,
                duration(t)
            );
            t += tick;
        }
    }

    /// One type's bytes done over time, and its total as last sampled.
    fn lines(&self, s: &mut String, k: &str, samples: &[BytesAt]) {
        let points: Vec<String> = samples
            .iter()
            .map(|b| format!("{:.1},{:.1}", self.x(b.at_ms), self.y(b.done as f64)))
            .collect();
        let _ = write!(
            s,
            "<polyline class=\"task-{k}\" points=\"{}\"><title>{k}</title></polyline>",
            points.join(" ")
        );
        if let Some(b) = samples.last() {
            let _ = write!(
                s,
                "<line class=\"task-{k} total\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" \
                 y2=\"{yy:.1}\"><title>{k}: {} to move</title></line>",
                WIDTH - RIGHT,
                BinaryBytes(b.total),
                yy = self.y(b.total as f64),
            );
        }
    }
}
