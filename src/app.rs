//! The binary's commands wired together: flags resolved into settings (`settings`), the library
//! called, and every outcome turned into SPEC's exit code ([`ExitCode`]).

mod delete_cmd;
mod offline;
mod run_cmd;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, ReportArgs, StateLocation, StatusArgs};
use crate::exit::ExitCode;
use crate::report::{export, logging, report_file, status};
use crate::store::{self, RowState};

pub use crate::settings::default_state;

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
            return code.code();
        }
    };
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    logging::init(cli.verbose, cli.quiet, cli.log_format, ansi);
    match cli.command {
        Command::Run(args) => run_cmd::run(&args, cli.quiet).code(),
        Command::Delete(args) => delete_cmd::delete(&args, cli.quiet).code(),
        Command::Validate(args) => offline::validate(&args).code(),
        Command::Status(args) => status_cmd(args).code(),
        Command::Report(args) => report_cmd(args).code(),
        Command::Emulator(args) => crate::emulator::args::main(args),
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

fn error(msg: impl std::fmt::Display) {
    eprintln!("bulkflow: error: {msg}");
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
async fn watch_signals(cancel: CancellationToken) {
    let Ok(mut signals) = crate::signals::StopSignals::listen() else {
        return;
    };
    for n in 0..2 {
        let Some(name) = signals.recv().await else {
            return;
        };
        let mut err = std::io::stderr();
        if n == 0 {
            cancel.cancel();
            let _ = writeln!(
                err,
                "bulkflow: {name}: stopping: finishing the calls in flight (again to quit at once)"
            );
        } else {
            let _ = writeln!(err, "bulkflow: {name}: quitting at once; the rows in flight are `unknown` and the next run resolves them");
            let _ = err.flush();
            std::process::exit(ExitCode::Interrupted.code());
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

/// Opens an existing state file for `status` and `report`; the exit code when it cannot be.
fn open_state(loc: &StateLocation) -> Result<(PathBuf, rusqlite::Connection), ExitCode> {
    let path = state_of(loc);
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
        Ok(s) if args.json => {
            println!("{}", s.json());
            ExitCode::Ok
        }
        Ok(s) => {
            print!("{}", s.text());
            ExitCode::Ok
        }
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
