//! The binary's commands wired together: flags resolved into settings (`settings`), the library
//! called, and every outcome turned into SPEC's exit code ([`ExitCode`]).

mod delete_cmd;
mod delete_preview;
mod offline;
mod outputs;
mod plan_cmd;
mod run_cmd;
mod state_file;
mod stdin_spool;
mod task_cmd;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, LogFormat, ReportArgs, StateLocation, StatusArgs};
use crate::exit::ExitCode;
use crate::report::{diag, export, logging, mode, report_file, status};
use crate::store::{self, RowState};

pub use crate::settings::default_state;

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // The command line is wrong, so `--log-format` was not parsed: looked for by hand.
            if asks_for_json_logs(std::env::args_os()) {
                diag::set_format(LogFormat::Json);
                let text = e.render().to_string();
                let text = text.trim();
                diag::error(text.strip_prefix("error: ").unwrap_or(text));
            } else {
                let _ = e.print();
            }
            return ExitCode::Usage.code();
        }
        Err(e) => {
            // --help and --version, on stdout.
            let _ = e.print();
            return ExitCode::Ok.code();
        }
    };
    let color = mode::color(
        cli.color,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::io::stderr().is_terminal(),
        std::env::var("TERM").is_ok_and(|t| t == "dumb"),
    );
    diag::set_format(cli.log_format);
    diag::set_color(color);
    logging::init(cli.verbose, cli.quiet, cli.log_format, color);
    match cli.command {
        Command::Run(args) => run_cmd::run(&args, cli.quiet).code(),
        Command::Plan(args) => plan_cmd::plan(&args, cli.quiet).code(),
        Command::Delete(args) => delete_cmd::delete(&args, cli.quiet).code(),
        Command::Task(args) => task_cmd::task(&args, cli.quiet).code(),
        Command::Validate(args) => offline::validate(&args).code(),
        Command::Status(args) => status_cmd(args).code(),
        Command::Report(args) => report_cmd(args).code(),
        Command::Emulator(args) => {
            let s = crate::settings::resolve_emulator(&args);
            match crate::emulator::foreground::run(s.config, s.preexisting.as_deref()) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("bulkflow emulator: {e}");
                    2
                }
            }
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "bulkflow",
                &mut std::io::stdout(),
            );
            ExitCode::Ok.code()
        }
    }
}

/// Whether a command line clap refused asked for `--log-format json`, so that even its usage
/// error is a JSON line.
fn asks_for_json_logs(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let mut previous_was_flag = false;
    for arg in args {
        if arg == "--" {
            break;
        }
        if (previous_was_flag && arg == "json") || arg == "--log-format=json" {
            return true;
        }
        previous_was_flag = arg == "--log-format";
    }
    false
}

/// `bulkflow: error: {msg}`, or its JSON object: what ends a command.
fn error(msg: impl std::fmt::Display) {
    diag::error(msg);
}

/// The process environment, for `settings::resolve` and the credential lookup.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// First Ctrl-C, SIGTERM or SIGHUP: stop starting calls and finish those in flight. Second: exit
/// now; the calls in flight are already recorded as `unknown` and the next run resolves them.
/// After a hangup stderr may be gone: what is said here may be lost, never panics.
///
/// The handlers are installed before this returns (call it inside the runtime), so that a
/// command starts its work only once they listen; the future it returns does the watching.
fn watch_signals(cancel: CancellationToken) -> impl std::future::Future<Output = ()> {
    let signals = crate::signals::StopSignals::listen().ok();
    if signals.is_some() {
        // From here on a signal is this handler's, not the stdin copy's watcher's.
        stdin_spool::hand_over();
    }
    async move {
        let Some(mut signals) = signals else {
            return;
        };
        for n in 0..2 {
            let Some(name) = signals.recv().await else {
                return;
            };
            if n == 0 {
                cancel.cancel();
                diag::warn(format_args!(
                    "{name}: stopping: finishing the calls in flight (again to quit at once)"
                ));
            } else {
                diag::warn(format_args!("{name}: quitting at once; the rows in flight are `unknown` and the next run resolves them"));
                let _ = std::io::stderr().flush();
                // `exit` runs no destructor: the copy of a manifest read from stdin goes now.
                stdin_spool::remove_now();
                std::process::exit(ExitCode::Interrupted.code());
            }
        }
    }
}

/// Writes a command's output on stdout. A closed pipe (`| head`) is not an error; no panic,
/// as `println!` would.
fn stdout(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::Ok,
        Err(e) => {
            error(format!("stdout: {e}"));
            ExitCode::Usage
        }
    }
}

fn state_of(loc: &StateLocation) -> PathBuf {
    match (&loc.state, &loc.manifest) {
        (Some(s), _) => s.clone(),
        (None, Some(m)) => default_state(m),
        (None, None) => PathBuf::from("bulkflow.db"),
    }
}

/// Why there is no state file at `path` for `status` or `report`, with a did-you-mean: a usage
/// error (exit 2), not a state file in use or unreadable (exit 5, which cron jobs alert on).
fn missing_state(loc: &StateLocation, path: &Path) -> String {
    let near = |p: &Path| match crate::manifest::nearby::closest_file(p) {
        Some(n) => format!("; did you mean {}?", n.display()),
        None => String::new(),
    };
    match (&loc.state, &loc.manifest) {
        (None, Some(m)) if !m.exists() => {
            format!("{}: no such file{}", m.display(), near(m))
        }
        (None, Some(m)) => format!(
            "{}: no state file: no run of {} has recorded anything there (or its runs were \
             given --state FILE: pass the same --state here)",
            path.display(),
            m.display()
        ),
        _ => format!("{}: no such state file{}", path.display(), near(path)),
    }
}

/// Opens an existing state file for `status` and `report`; the exit code when it cannot be.
fn open_state(loc: &StateLocation) -> Result<(PathBuf, rusqlite::Connection), ExitCode> {
    let path = state_of(loc);
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        error(missing_state(loc, &path));
        return Err(ExitCode::Usage);
    }
    match store::open(&path, false) {
        Ok(c) => Ok((path, c)),
        Err(e) => {
            error(e);
            Err(ExitCode::State)
        }
    }
}

fn status_cmd(args: StatusArgs) -> ExitCode {
    let (path, conn) = match open_state(&args.location) {
        Ok(pc) => pc,
        Err(code) => return code,
    };
    match status::load(&conn, &path) {
        Ok(s) if args.json => stdout(&format!("{}\n", s.json())),
        Ok(s) => stdout(&s.text()),
        Err(e) => {
            error(format!("{}: {e}", path.display()));
            ExitCode::State
        }
    }
}

fn report_cmd(args: ReportArgs) -> ExitCode {
    let (path, conn) = match open_state(&args.location) {
        Ok(pc) => pc,
        Err(code) => return code,
    };
    let req = export::ReportRequest {
        format: args.format,
        only: args.only.as_deref().and_then(RowState::parse),
        run: args.run,
        state_file: Some(path.clone()),
    };
    if let Some(id) = args.run {
        if let Err(e) = report_file::check_run(&conn, &path, args.format, id) {
            error(&e);
            return e.exit_code();
        }
    }
    let result = match &args.output {
        Some(out) => {
            let manifest = args.location.manifest.as_deref();
            return match report_file::write(&conn, &path, manifest, &req, out) {
                Ok(()) => ExitCode::Ok,
                Err(e) => {
                    error(&e);
                    e.exit_code()
                }
            };
        }
        None => export::write_request(&conn, &req, std::io::stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::Ok,
        Err(store::read::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::Ok
        }
        Err(e) => {
            error(format!("{}: {e}", path.display()));
            ExitCode::State
        }
    }
}

#[cfg(test)]
mod tests {
    use super::asks_for_json_logs;

    #[test]
    fn json_logs_are_found_on_a_command_line_clap_refused() {
        let asks = |args: &[&str]| asks_for_json_logs(args.iter().map(|a| a.into()));
        assert!(asks(&["bulkflow", "--log-format", "json", "run", "--bad"]));
        assert!(asks(&["bulkflow", "run", "--bad", "--log-format=json"]));
        assert!(!asks(&["bulkflow", "run", "json", "--log-format", "text"]));
        assert!(!asks(&["bulkflow", "run", "--", "--log-format", "json"]));
        assert!(!asks(&["bulkflow", "run", "--state", "json"]));
    }
}
