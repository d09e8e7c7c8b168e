//! The chart of the HTML report: one run's calls, throttled calls and errors per second, drawn
//! here as inline SVG (no script, no font or file from elsewhere). Calls count at the second they
//! were sent; throttled calls and errors at the second their answer came.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::html_text::{duration, escape, number};
use crate::store::overview::CallTime;

/// At most this many bars: a longer run is drawn in buckets of several seconds, each showing
/// its average per second.
pub const MAX_BARS: u64 = 240;

/// The service's limit per endpoint host, drawn as a reference line.
const API_LIMIT: f64 = 20.0;

const CALLS: usize = 0;
const THROTTLED: usize = 1;
const ERRORS: usize = 2;

/// One run's calls, counted per second since its first call.
#[derive(Debug, Clone, Default)]
pub struct CallSeries {
    first_ms: Option<i64>,
    per_second: BTreeMap<u64, [u64; 3]>,
    unended: u64,
}

/// A bucket of the chart: its first second, its width in seconds, and its average calls,
/// throttled calls and errors per second.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Seconds from the first call to the bucket's start.
    pub start: u64,
    /// Seconds the bucket covers.
    pub width: u64,
    /// Calls, throttled calls and errors per second, averaged over the bucket.
    pub rates: [f64; 3],
}

impl CallSeries {
    /// Counts one call; calls come in the order they were sent, the first one setting second 0
    /// (a time before it counts in second 0).
    pub fn add(&mut self, call: &CallTime) {
        let first = *self.first_ms.get_or_insert(call.sent_at_ms);
        let second = |ms: i64| (ms.saturating_sub(first).max(0) / 1000) as u64;
        self.bump(second(call.sent_at_ms), CALLS);
        let answered = second(call.ended_at_ms.unwrap_or(call.sent_at_ms));
        match call.outcome.as_deref() {
            None => self.unended += 1,
            Some("throttled") => self.bump(answered, THROTTLED),
            Some("success") => {}
            Some(_) => self.bump(answered, ERRORS),
        }
    }

    fn bump(&mut self, second: u64, series: usize) {
        let slot = &mut self.per_second.entry(second).or_default()[series];
        *slot = slot.saturating_add(1);
    }

    /// When the first call was sent, in milliseconds since the epoch.
    pub fn first_ms(&self) -> Option<i64> {
        self.first_ms
    }

    /// Seconds from the first call to the last second anything happened in, inclusive.
    pub fn span_secs(&self) -> u64 {
        self.per_second
            .last_key_value()
            .map_or(0, |(s, _)| s.saturating_add(1))
    }

    /// Calls, throttled calls and errors, in all.
    pub fn totals(&self) -> [u64; 3] {
        self.fold(|a, b| a.saturating_add(b))
    }

    /// The most calls, throttled calls and errors in any one second.
    pub fn peaks(&self) -> [u64; 3] {
        self.fold(u64::max)
    }

    /// Calls whose end was never recorded (their run was killed while they were in flight).
    pub fn unended(&self) -> u64 {
        self.unended
    }

    fn fold(&self, f: impl Fn(u64, u64) -> u64) -> [u64; 3] {
        let mut out = [0; 3];
        for v in self.per_second.values() {
            for (o, x) in out.iter_mut().zip(v) {
                *o = f(*o, *x);
            }
        }
        out
    }

    /// The bars: the whole span in at most [`MAX_BARS`] buckets of equal width.
    pub fn buckets(&self) -> Vec<Bucket> {
        let span = self.span_secs();
        if span == 0 {
            return Vec::new();
        }
        let width = span.div_ceil(MAX_BARS).max(1);
        let n = span.div_ceil(width);
        let mut sums = vec![[0u64; 3]; n as usize];
        for (second, v) in &self.per_second {
            let i = ((second / width) as usize).min(sums.len() - 1);
            for (s, x) in sums[i].iter_mut().zip(v) {
                *s = s.saturating_add(*x);
            }
        }
        sums.iter()
            .enumerate()
            .map(|(i, s)| Bucket {
                start: i as u64 * width,
                width,
                rates: s.map(|x| x as f64 / width as f64),
            })
            .collect()
    }
}

// The drawing's frame, in SVG user units.
const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 330.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// The chart as an `<svg>` element; `label` names it for screen readers.
pub fn svg(series: &CallSeries, label: &str) -> String {
    let buckets = series.buckets();
    let top_value = buckets
        .iter()
        .flat_map(|b| b.rates)
        .fold(API_LIMIT, f64::max)
        * 1.08;
    let step = nice_step(top_value / 5.0);
    let frame = Frame {
        span: series.span_secs().max(1),
        y_top: (top_value / step).ceil() * step,
    };
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{}\">",
        escape(label)
    );
    frame.grid(&mut s, step);
    frame.bars(&mut s, &buckets);
    // Throttled calls and errors as step lines, when there are any.
    let totals = series.totals();
    for (k, class) in [(THROTTLED, "throttled"), (ERRORS, "errors")] {
        if totals[k] != 0 {
            frame.step_line(&mut s, &buckets, k, class);
        }
    }
    frame.axes(&mut s);
    frame.time_labels(&mut s);
    let _ = write!(
        s,
        "<text class=\"xtitle\" x=\"{:.1}\" y=\"{:.1}\">time since the first call</text></svg>",
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 4.0
    );
    s
}

/// The horizontal lines of a chart's grid, from 0 to `y_top` every `step`, each labelled at its
/// left (the calls' chart and the data tasks' chart draw theirs with it).
pub struct Rule {
    /// Where the plot starts and ends, left to right.
    pub left: f64,
    pub right: f64,
    pub y_top: f64,
    pub step: f64,
}

impl Rule {
    /// Draws the lines; `y` places a value, `label` words it.
    pub fn draw(&self, s: &mut String, y: impl Fn(f64) -> f64, label: impl Fn(f64) -> String) {
        let mut v = 0.0;
        while v <= self.y_top + self.step / 2.0 {
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
                 <text class=\"ylabel\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                self.left,
                self.right,
                self.left - 6.0,
                y(v) + 4.0,
                label(v),
                yy = y(v),
            );
            v += self.step;
        }
    }
}

/// Where the chart's values go in the drawing.
struct Frame {
    /// Seconds from the first call to the last, at least 1: the x axis.
    span: u64,
    /// The value at the top of the y axis.
    y_top: f64,
}

impl Frame {
    /// The x of a second since the first call.
    fn x(&self, second: u64) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * (second as f64 / self.span as f64)
    }

    /// The y of a value per second.
    fn y(&self, v: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / self.y_top)
    }

    /// The x of a bucket's start and end.
    fn xs(&self, b: &Bucket) -> (f64, f64) {
        let end = b.start.saturating_add(b.width).min(self.span);
        (self.x(b.start), self.x(end))
    }

    /// Horizontal grid lines every `step`, and the y axis's labels.
    fn grid(&self, s: &mut String, step: f64) {
        let rule = Rule {
            left: LEFT,
            right: WIDTH - RIGHT,
            y_top: self.y_top,
            step,
        };
        rule.draw(s, |v| self.y(v), number);
    }

    /// The bars of calls, each with its numbers as a tooltip.
    fn bars(&self, s: &mut String, buckets: &[Bucket]) {
        for b in buckets {
            if b.rates[CALLS] <= 0.0 {
                continue;
            }
            let (x0, x1) = self.xs(b);
            let gap = ((x1 - x0) * 0.12).min(2.0);
            let _ = write!(
                s,
                "<rect class=\"calls\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\">\
                 <title>{}</title></rect>",
                x0 + gap / 2.0,
                self.y(b.rates[CALLS]),
                (x1 - x0 - gap).max(0.5),
                (self.y(0.0) - self.y(b.rates[CALLS])).max(0.0),
                escape(&tooltip(b)),
            );
        }
    }

    /// The rate `k` of the buckets as a step line of `class`: one outline per stretch of
    /// buckets above zero, so that no line runs along the axis.
    fn step_line(&self, s: &mut String, buckets: &[Bucket], k: usize, class: &str) {
        let _ = write!(s, "<path class=\"{class}\" d=\"");
        let mut above = false;
        for b in buckets {
            let (x0, x1) = self.xs(b);
            let v = b.rates[k];
            if v > 0.0 {
                if !above {
                    let _ = write!(s, "M{x0:.1} {:.1}", self.y(0.0));
                }
                let _ = write!(s, " V{:.1} H{x1:.1}", self.y(v));
            } else if above {
                let _ = write!(s, " V{:.1} ", self.y(0.0));
            }
            above = v > 0.0;
        }
        if above {
            let _ = write!(s, " V{:.1}", self.y(0.0));
        }
        s.push_str("\"/>");
    }

    /// The service's limit, and the axes.
    fn axes(&self, s: &mut String) {
        let _ = write!(
            s,
            "<line class=\"limit\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\"/>\
             <text class=\"limitlabel\" x=\"{:.1}\" y=\"{:.1}\">20/s: the API's limit per host</text>\
             <line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{b:.1}\" y2=\"{b:.1}\"/>\
             <line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{b:.1}\"/>",
            WIDTH - RIGHT,
            WIDTH - RIGHT - 4.0,
            self.y(API_LIMIT) - 5.0,
            WIDTH - RIGHT,
            ly = self.y(API_LIMIT),
            b = self.y(0.0),
        );
    }

    /// The x axis's ticks and labels: time since the first call.
    fn time_labels(&self, s: &mut String) {
        let tick = time_step(self.span);
        let mut t = 0u64;
        while t <= self.span {
            let _ = write!(
                s,
                "<line class=\"axis\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                 <text class=\"xlabel\" x=\"{xx:.1}\" y=\"{:.1}\">{}</text>",
                self.y(0.0),
                self.y(0.0) + 4.0,
                self.y(0.0) + 18.0,
                duration(t),
                xx = self.x(t),
            );
            match t.checked_add(tick) {
                Some(next) => t = next,
                None => break,
            }
        }
    }
}

fn tooltip(b: &Bucket) -> String {
    let [calls, throttled, errors] = b.rates;
    let end = b.start.saturating_add(b.width);
    if b.width == 1 {
        format!(
            "{}: {} calls, {} throttled, {} errors",
            duration(b.start),
            number(calls),
            number(throttled),
            number(errors)
        )
    } else {
        format!(
            "{} to {}: {}/s calls, {}/s throttled, {}/s errors (averages)",
            duration(b.start),
            duration(end),
            number(calls),
            number(throttled),
            number(errors)
        )
    }
}

/// A step of 1, 2 or 5 times a power of ten, at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    let f = raw / power;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * power
}

/// Seconds between the x axis's labels: a round step that leaves at most ten.
pub fn time_step(span: u64) -> u64 {
    const STEPS: [u64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800];
    if let Some(s) = STEPS.iter().find(|s| span / **s <= 10) {
        return *s;
    }
    let mut step: u64 = 3600;
    while span / step > 10 {
        step = step.saturating_mul(2);
    }
    step
}
