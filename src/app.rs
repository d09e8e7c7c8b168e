//! The binary's commands wired together: the flags resolved into settings (`settings`), the
//! library called, and every command's end one [`Outcome`]: `Ok`, or a [`Failure`] that says
//! itself on stderr and knows SPEC's exit code. `main` turns it into the process's exit code;
//! nothing else ends the process (a second stop signal too goes through it: `stop`).

mod delete_cmd;
mod delete_preview;
mod failure;
mod inputs;
mod outputs;
mod plan_cmd;
mod quit;
mod report_cmd;
mod run_cmd;
mod state_file;
mod stdin_spool;
mod stop;
mod task_cmd;
mod validate_cmd;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::report::diag::{self, LogFormat};
use crate::report::logging;
use crate::settings::{self, Terminal};

pub use failure::{Failure, Outcome};

/// Runs the command line; a failure is said on stderr before it is returned.
pub fn main() -> Outcome {
    let outcome = match Cli::try_parse() {
        Ok(cli) => {
            let terminal =
                settings::resolve_terminal(&cli, &env_var, std::io::stderr().is_terminal());
            diag::set_format(terminal.log_format);
            diag::set_color(terminal.color);
            logging::init(
                terminal.verbose,
                terminal.quiet,
                terminal.log_format,
                terminal.color,
            );
            stop::run_until_quit(move || command(cli.command, &terminal))
        }
        Err(e) if e.use_stderr() => {
            // The command line is wrong, so `--log-format` was not parsed: looked for by hand.
            if asks_for_json_logs(std::env::args_os()) {
                diag::set_format(LogFormat::Json);
            }
            Err(Failure::CommandLine(e))
        }
        Err(e) => {
            // --help and --version, on stdout.
            let _ = e.print();
            Ok(())
        }
    };
    if let Err(failure) = &outcome {
        failure.say();
    }
    outcome
}

/// Runs one command.
fn command(command: Command, terminal: &Terminal) -> Outcome {
    match command {
        Command::Run(args) => run_cmd::run(&args, terminal),
        Command::Plan(args) => plan_cmd::plan(&args, terminal),
        Command::Delete(args) => delete_cmd::delete(&args, terminal),
        Command::Task(args) => task_cmd::task(&args, terminal),
        Command::Validate(args) => validate_cmd::validate(&args),
        Command::Status(args) => report_cmd::status(&args),
        Command::Report(args) => report_cmd::report(&args),
        Command::Emulator(args) => {
            let s = settings::resolve_emulator(&args);
            Ok(crate::emulator::foreground::run(
                s.config,
                s.preexisting.as_deref(),
            )?)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "bulkflow",
                &mut std::io::stdout(),
            );
            Ok(())
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

/// The process environment, for `settings` and the credential lookup.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// Writes a command's output on stdout. A closed pipe (`| head`) is not an error; no panic,
/// as `println!` would.
fn stdout(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Stdout(e)),
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
