//! Bar or plain lines, colour or none: pure decisions from what was asked and where stderr goes,
//! tested as tables.

/// Where stderr goes, as the process found it: whether it is a terminal, and what the
/// environment says (`CI`, `TERM=dumb`, `NO_COLOR`). Read once, by `settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    /// stderr is a terminal.
    pub terminal: bool,
    /// `CI` is set: a CI job's log, even where it looks like a terminal.
    pub ci: bool,
    /// `TERM=dumb`: a terminal that takes no cursor moves and no colours.
    pub dumb: bool,
    /// `NO_COLOR` has a value (any non-empty value; <https://no-color.org>).
    pub no_color: bool,
}

/// The progress display asked for (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A bar on a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// Always the bar.
    Bar,
    /// A line every 10 seconds.
    Plain,
    /// Nothing but the summary.
    None,
}

/// Whether colours were asked for (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colors {
    /// On a terminal, unless `NO_COLOR` or `TERM=dumb` says otherwise.
    #[default]
    Auto,
    Always,
    Never,
}

/// What progress looks like for this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Bar,
    Plain,
    Nothing,
}

/// Decides the display from the flag and the place: a bar only on a real terminal outside CI
/// (unless asked for), plain lines for cron, pipes, CI and `TERM=dumb`.
pub fn decide(asked: Progress, place: &Place) -> Display {
    match asked {
        Progress::Bar => Display::Bar,
        Progress::Plain => Display::Plain,
        Progress::None => Display::Nothing,
        Progress::Auto if place.terminal && !place.ci && !place.dumb => Display::Bar,
        Progress::Auto => Display::Plain,
    }
}

/// Whether logs and the bar use ANSI colours: `--color always` or `never` as said; `auto` only
/// on a terminal that is not `TERM=dumb`, and not when `NO_COLOR` has a value (a flag on the
/// command line wins over the variable).
pub fn color(asked: Colors, place: &Place) -> bool {
    match asked {
        Colors::Always => true,
        Colors::Never => false,
        Colors::Auto => place.terminal && !place.dumb && !place.no_color,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(terminal: bool, ci: bool, dumb: bool, no_color: bool) -> Place {
        Place {
            terminal,
            ci,
            dumb,
            no_color,
        }
    }

    #[test]
    fn colour_table() {
        use Colors::{Always, Auto, Never};
        let rows = [
            (Auto, false, true, false, true),
            (Auto, true, true, false, false),
            (Auto, false, false, false, false),
            (Auto, false, true, true, false),
            (Always, true, false, true, true),
            (Never, false, true, false, false),
        ];
        for (asked, no_color, tty, dumb, want) in rows {
            let at = place(tty, false, dumb, no_color);
            assert_eq!(color(asked, &at), want, "{asked:?} {at:?}");
        }
    }

    #[test]
    fn table() {
        use Progress::*;
        let rows = [
            (Auto, true, false, false, Display::Bar),
            (Auto, false, false, false, Display::Plain),
            (Auto, true, true, false, Display::Plain),
            (Auto, true, false, true, Display::Plain),
            (Bar, false, true, true, Display::Bar),
            (Plain, true, false, false, Display::Plain),
            (None, true, false, false, Display::Nothing),
            (None, false, true, false, Display::Nothing),
        ];
        for (asked, tty, ci, dumb, want) in rows {
            let at = place(tty, ci, dumb, false);
            assert_eq!(decide(asked, &at), want, "{asked:?} {at:?}");
        }
    }
}
