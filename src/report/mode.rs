//! Bar or plain lines: one pure decision, tested as a table.

use crate::cli::ProgressMode;

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

#[cfg(test)]
mod tests {
    use super::*;
    use ProgressMode::*;

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
