//! Where stderr goes and how things are shown there: the global flags (`--log-format`, `--color`,
//! `-v`, `-q`) and the environment (`CI`, `TERM`, `NO_COLOR`), read once, here; and clap's
//! display enums turned into `report`'s.

use crate::cli::{
    Cli, ColorChoice, LogFormat as LogFlag, ProgressMode, ReportFormat as FormatFlag,
};
use crate::report::diag::LogFormat;
use crate::report::export::ReportFormat;
use crate::report::mode::{self, Colors, Display, Place, Progress};

/// How diagnostics and progress are shown on stderr, for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terminal {
    pub log_format: LogFormat,
    /// ANSI colours in logs and the bar.
    pub color: bool,
    /// `-v` given this many times.
    pub verbose: u8,
    /// `-q`: only errors, and no progress.
    pub quiet: bool,
    /// Where stderr goes.
    pub place: Place,
}

impl Terminal {
    /// How a command's progress is shown: nothing with `-q`, else as asked where stderr goes.
    pub fn display(&self, asked: Progress) -> Display {
        if self.quiet {
            Display::Nothing
        } else {
            mode::decide(asked, &self.place)
        }
    }
}

/// Where stderr goes: `stderr_is_terminal` as the process found it, and the environment as
/// `env` reads it (`CI` set at all, `TERM=dumb`, `NO_COLOR` with a value).
pub fn place(env: &dyn Fn(&str) -> Option<String>, stderr_is_terminal: bool) -> Place {
    Place {
        terminal: stderr_is_terminal,
        ci: env("CI").is_some(),
        dumb: env("TERM").is_some_and(|t| t == "dumb"),
        no_color: env("NO_COLOR").is_some_and(|v| !v.is_empty()),
    }
}

/// The global flags and the place, resolved.
pub fn resolve_terminal(
    cli: &Cli,
    env: &dyn Fn(&str) -> Option<String>,
    stderr_is_terminal: bool,
) -> Terminal {
    let place = place(env, stderr_is_terminal);
    let colors = match cli.color {
        ColorChoice::Auto => Colors::Auto,
        ColorChoice::Always => Colors::Always,
        ColorChoice::Never => Colors::Never,
    };
    Terminal {
        log_format: log_format(cli.log_format),
        color: mode::color(colors, &place),
        verbose: cli.verbose,
        quiet: cli.quiet,
        place,
    }
}

/// `--log-format` as `report` takes it.
pub fn log_format(flag: LogFlag) -> LogFormat {
    match flag {
        LogFlag::Text => LogFormat::Text,
        LogFlag::Json => LogFormat::Json,
    }
}

/// `--progress` as `report` takes it.
pub fn progress(flag: ProgressMode) -> Progress {
    match flag {
        ProgressMode::Auto => Progress::Auto,
        ProgressMode::Bar => Progress::Bar,
        ProgressMode::Plain => Progress::Plain,
        ProgressMode::None => Progress::None,
    }
}

/// `report --format` as `report` takes it.
pub fn report_format(flag: FormatFlag) -> ReportFormat {
    match flag {
        FormatFlag::Csv => ReportFormat::Csv,
        FormatFlag::Jsonl => ReportFormat::Jsonl,
        FormatFlag::Html => ReportFormat::Html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_place_is_read_from_the_environment_once() {
        let at = |vars: &[(&str, &str)], tty| place(&env(vars), tty);
        assert_eq!(
            at(&[], true),
            Place {
                terminal: true,
                ..Place::default()
            }
        );
        assert!(at(&[("CI", "")], false).ci, "CI set, even empty");
        assert!(at(&[("TERM", "dumb")], true).dumb);
        assert!(!at(&[("TERM", "xterm")], true).dumb);
        assert!(at(&[("NO_COLOR", "1")], true).no_color);
        assert!(at(&[("NO_COLOR", "0")], true).no_color, "any value");
        assert!(
            !at(&[("NO_COLOR", "")], true).no_color,
            "an empty value is none"
        );
    }

    #[test]
    fn colours_and_progress_follow_the_flags_and_the_place() {
        use clap::Parser;
        let cli = |args: &[&str]| {
            Cli::try_parse_from(["bulkflow"].iter().chain(args).chain(&["status", "m.csv"]))
                .expect("parses")
        };
        let tty = resolve_terminal(&cli(&[]), &env(&[]), true);
        assert!(tty.color);
        assert_eq!(tty.display(Progress::Auto), Display::Bar);
        let no_color = resolve_terminal(&cli(&[]), &env(&[("NO_COLOR", "1")]), true);
        assert!(!no_color.color);
        let forced = resolve_terminal(
            &cli(&["--color", "always"]),
            &env(&[("NO_COLOR", "1")]),
            false,
        );
        assert!(forced.color, "the flag wins over the variable");
        let ci = resolve_terminal(&cli(&[]), &env(&[("CI", "true")]), true);
        assert_eq!(ci.display(Progress::Auto), Display::Plain);
        let quiet = resolve_terminal(&cli(&["-q"]), &env(&[]), true);
        assert_eq!(quiet.display(Progress::Bar), Display::Nothing);
        let json = resolve_terminal(&cli(&["--log-format", "json"]), &env(&[]), true);
        assert_eq!(json.log_format, LogFormat::Json);
    }
}
