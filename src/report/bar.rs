//! The progress bar's line, as a pure function of the terminal's width and the figures: the
//! fields that do not fit are dropped, least useful first, so that the line never wraps (a
//! wrapped bar redraws as a new line on every tick).

use std::fmt::Write;
use std::time::Duration;

/// What the bar shows at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub done: u64,
    pub total: u64,
    /// What the rows that reached the pass's goal are called: `created`, `available`, ...
    pub word: &'static str,
    /// Rows the pass brought to its goal by its calls (or found so)...
    pub created: u64,
    /// ... and by adopting what existed with their source (shown when there are any).
    pub adopted: u64,
    pub failed: u64,
    pub retrying: u64,
    pub unknown: u64,
    /// Rows finished per second, lately.
    pub rate: f64,
    /// The time left, when known (`3m05s`).
    pub eta: Option<String>,
    pub elapsed: Duration,
    /// Which frame of the spinner to show.
    pub frame: usize,
    /// While data tasks are followed: the bar and the count are in bytes.
    pub bytes: Option<ByteFigures>,
}

/// The data tasks a pass follows, for the bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByteFigures {
    pub done: u64,
    pub total: u64,
    /// Bytes per second, lately.
    pub rate: f64,
    /// Tasks per status: `40 running, 50 finished`.
    pub statuses: String,
}

/// The widest bar, and the narrowest worth drawing.
const MAX_BAR: usize = 30;
const MIN_BAR: usize = 10;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The fields that can be left out, in the order they are dropped as the width narrows. The
/// count (`done/total`) and the failures are always shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Rate,
    Elapsed,
    Unknown,
    Retrying,
    Spinner,
    Eta,
    Bar,
    Created,
}

const DROP_ORDER: [Part; 8] = [
    Part::Rate,
    Part::Elapsed,
    Part::Unknown,
    Part::Retrying,
    Part::Spinner,
    Part::Eta,
    Part::Bar,
    Part::Created,
];

const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BLUE: &str = "\x1b[34m";
const RESET: &str = "\x1b[0m";

/// The bar's line for a terminal `width` columns wide: at most `width - 1` columns (the last
/// column is left free, where some terminals wrap), with ANSI colours when `color`. Escape codes
/// take no column.
pub fn line(width: usize, f: &Figures, color: bool) -> String {
    let budget = width.saturating_sub(1);
    for dropped in 0..=DROP_ORDER.len() {
        let shown = |p: Part| !DROP_ORDER[..dropped].contains(&p);
        let bare = compose(f, &shown, 0, false);
        let used = bare.chars().count();
        if !shown(Part::Bar) {
            if used <= budget {
                return compose(f, &shown, 0, color);
            }
            continue;
        }
        // The bar and the space after it.
        let room = budget.saturating_sub(used + 1);
        if room >= MIN_BAR {
            return compose(f, &shown, room.min(MAX_BAR), color);
        }
    }
    // Not even `done/total · failed N` fits: as much of it as does.
    compose(f, &|_| false, 0, false)
        .chars()
        .take(budget)
        .collect()
}

/// The line with the fields `shown` keeps and a bar of `bar` columns (none when the bar is not
/// shown).
fn compose(f: &Figures, shown: &dyn Fn(Part) -> bool, bar: usize, color: bool) -> String {
    let paint = |out: &mut String, code: &str, text: &str| {
        if color {
            let _ = write!(out, "{code}{text}{RESET}");
        } else {
            out.push_str(text);
        }
    };
    let mut out = String::new();
    if shown(Part::Spinner) {
        let c = SPINNER[f.frame % SPINNER.len()].to_string();
        paint(&mut out, GREEN, &c);
        out.push(' ');
    }
    if shown(Part::Elapsed) {
        let s = f.elapsed.as_secs();
        let _ = write!(out, "[{:02}:{:02}:{:02}] ", s / 3600, s / 60 % 60, s % 60);
    }
    let (done, total) = f
        .bytes
        .as_ref()
        .map_or((f.done, f.total), |b| (b.done, b.total));
    if shown(Part::Bar) && bar > 0 {
        let filled = if total == 0 {
            0
        } else {
            // At most `bar`, so the cast back is exact.
            ((done.min(total) as u128 * bar as u128) / total as u128) as usize
        };
        paint(&mut out, CYAN, &"█".repeat(filled));
        paint(&mut out, BLUE, &"░".repeat(bar - filled));
        out.push(' ');
    }
    if let Some(b) = &f.bytes {
        return compose_bytes(out, f, b, shown);
    }
    let _ = write!(out, "{}/{}", f.done, f.total);
    let mut stats = Vec::new();
    if shown(Part::Created) {
        stats.push(format!("{} {}", f.word, f.created));
        if f.adopted > 0 {
            stats.push(format!("adopted {}", f.adopted));
        }
    }
    stats.push(format!("failed {}", f.failed));
    if shown(Part::Retrying) {
        stats.push(format!("retrying {}", f.retrying));
    }
    if shown(Part::Unknown) {
        stats.push(format!("unknown {}", f.unknown));
    }
    if shown(Part::Rate) {
        stats.push(format!("{:.1}/s", f.rate));
    }
    if let (true, Some(eta)) = (shown(Part::Eta), &f.eta) {
        stats.push(format!("ETA {eta}"));
    }
    let _ = write!(out, " {}", stats.join(" · "));
    out
}

/// The rest of the line while data tasks are followed: bytes done of total, the tasks per
/// status, the rows failed, the rate in bytes per second, the time left.
fn compose_bytes(
    mut out: String,
    f: &Figures,
    b: &ByteFigures,
    shown: &dyn Fn(Part) -> bool,
) -> String {
    use indicatif::BinaryBytes;
    let _ = write!(out, "{}/{}", BinaryBytes(b.done), BinaryBytes(b.total));
    let mut stats = Vec::new();
    if shown(Part::Created) {
        stats.push(b.statuses.clone());
    }
    stats.push(format!("failed {}", f.failed));
    if shown(Part::Rate) {
        stats.push(format!("{}/s", BinaryBytes(b.rate.max(0.0) as u64)));
    }
    if let (true, Some(eta)) = (shown(Part::Eta), &f.eta) {
        stats.push(format!("ETA {eta}"));
    }
    let _ = write!(out, " {}", stats.join(" · "));
    out
}

/// The terminal's width in columns: stderr's, else `COLUMNS`, else 80.
pub fn terminal_width() -> usize {
    if let Some((_, cols)) = console::Term::stderr().size_checked() {
        return usize::from(cols);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr;

    use super::*;

    /// The text without its escape codes.
    fn visible(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Figures as wide as a run of a million rows, a day in.
    fn large() -> Figures {
        Figures {
            done: 480_000,
            total: 1_200_000,
            word: "created",
            created: 470_000,
            adopted: 0,
            failed: 10_000,
            retrying: 2_000,
            unknown: 1_000,
            rate: 19.8,
            eta: Some("10h00m".into()),
            elapsed: Duration::from_secs(25 * 3600 + 61),
            frame: 3,
            bytes: None,
        }
    }

    fn small() -> Figures {
        Figures {
            done: 48,
            total: 120,
            word: "created",
            created: 47,
            failed: 1,
            rate: 19.8,
            eta: Some("4s".into()),
            elapsed: Duration::from_secs(3),
            ..Figures::default()
        }
    }

    #[test]
    fn every_line_fits_its_terminal() {
        for width in [60, 80, 120] {
            for f in [large(), small(), Figures::default()] {
                for color in [false, true] {
                    let l = line(width, &f, color);
                    let shown = visible(&l);
                    assert!(
                        shown.width() <= width,
                        "{width} columns, {} used: {shown:?}",
                        shown.width()
                    );
                    assert!(!shown.contains('\n'), "{shown:?}");
                    assert_eq!(l.contains('\x1b'), color, "{l:?}");
                }
            }
        }
    }

    #[test]
    fn fields_go_as_the_width_narrows() {
        let f = large();
        let wide = line(120, &f, false);
        assert!(wide.contains("created 470000 · failed 10000"), "{wide}");
        assert!(
            wide.contains("480000/1200000") && wide.contains('█'),
            "{wide}"
        );
        assert!(wide.contains("unknown 1000"), "{wide}");
        let mid = line(80, &f, false);
        assert!(mid.contains('█') && mid.contains("failed 10000"), "{mid}");
        assert!(!mid.contains("19.8/s"), "{mid}");
        let narrow = line(60, &f, false);
        assert!(narrow.contains("480000/1200000"), "{narrow}");
        assert!(narrow.contains("failed 10000"), "{narrow}");
        let tiny = line(12, &f, false);
        assert_eq!(tiny, "480000/1200", "{tiny}");
        assert_eq!(line(0, &f, true), "");
    }

    #[test]
    fn a_small_run_shows_everything_at_120_columns() {
        let l = line(120, &small(), false);
        assert!(l.starts_with("⠋ [00:00:03] ████████████░"), "{l}");
        assert!(
            l.ends_with(
                "░ 48/120 created 47 · failed 1 · retrying 0 · unknown 0 · 19.8/s · ETA 4s"
            ),
            "{l}"
        );
        assert_eq!(l.chars().filter(|&c| c == '█' || c == '░').count(), MAX_BAR);
        let l = line(80, &small(), false);
        assert!(l.starts_with("⠋ █"), "{l}");
        assert!(
            l.ends_with(" 48/120 created 47 · failed 1 · retrying 0 · unknown 0 · ETA 4s"),
            "{l}"
        );
    }
}
