//! Bar or plain lines, colour or none: pure decisions, tested as tables.

use crate::cli::{ColorChoice, ProgressMode};

/// What progress looks like for this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Bar,
    Plain,
    Nothing,
}

/// Decides the display from the flag and the place: a bar only on a real terminal outside CI
/// (unless asked for), plain lines for cron, pipes, CI and `TERM=dumb`.
pub fn decide(flag: ProgressMode, stderr_is_terminal: bool, ci: bool, term_dumb: bool) -> Display {
    match flag {
        ProgressMode::Bar => Display::Bar,
        ProgressMode::Plain => Display::Plain,
        ProgressMode::None => Display::Nothing,
        ProgressMode::Auto if stderr_is_terminal && !ci && !term_dumb => Display::Bar,
        ProgressMode::Auto => Display::Plain,
    }
}

/// Whether logs and the bar use ANSI colours: `--color always` or `never` as said; `auto` only
/// on a terminal that is not `TERM=dumb`, and not when `NO_COLOR` has a value (any non-empty
/// value; <https://no-color.org>: a flag on the command line wins over the variable).
pub fn color(
    choice: ColorChoice,
    no_color: Option<&str>,
    stderr_is_terminal: bool,
    term_dumb: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stderr_is_terminal && !term_dumb && no_color.is_none_or(str::is_empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProgressMode::*;

    #[test]
    fn colour_table() {
        use ColorChoice::{Always, Auto, Never};
        // `None` is `ProgressMode::None` here.
        let unset: Option<&str> = Option::None;
        let rows = [
            (Auto, unset, true, false, true),
            (Auto, Some(""), true, false, true),
            (Auto, Some("1"), true, false, false),
            (Auto, Some("0"), true, false, false),
            (Auto, unset, false, false, false),
            (Auto, unset, true, true, false),
            (Always, Some("1"), false, true, true),
            (Never, unset, true, false, false),
        ];
        for (choice, no_color, tty, dumb, want) in rows {
            assert_eq!(
                color(choice, no_color, tty, dumb),
                want,
                "{choice:?} NO_COLOR={no_color:?} tty={tty} dumb={dumb}"
            );
        }
    }

    #[test]
    fn table() {
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
        for (flag, tty, ci, dumb, want) in rows {
            assert_eq!(
                decide(flag, tty, ci, dumb),
                want,
                "{flag:?} tty={tty} ci={ci} dumb={dumb}"
            );
        }
    }
}
