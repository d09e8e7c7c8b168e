//! The binary's commands: flags resolved into settings, the library called, and every outcome
//! turned into SPEC's exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, Parser};
use tokio_util::sync::CancellationToken;

use crate::api::credentials::{self, Lookup};
use crate::api::{Credentials, Endpoint};
use crate::cli::{Cli, Command, ReportArgs, RunArgs, StateLocation, StatusArgs, ValidateArgs};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::engine::{self, DispatchSettings, EventSink, RunError, RunSettings};
use crate::manifest::{self, ManifestError, ManifestOptions};
use crate::report::{export, logging, mode, progress, report_file, status, summary};
use crate::secret::Secret;
use crate::store::{self, RowState};

/// Exit codes (SPEC "Exit codes").
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILED_ROWS: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const FATAL: i32 = 3;
    pub const INTERRUPTED: i32 = 4;
    pub const STATE: i32 = 5;
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    logging::init(cli.verbose, cli.quiet, cli.log_format, ansi);
    match cli.command {
        Command::Run(args) => run(args, cli.quiet),
        Command::Validate(args) => validate(args),
        Command::Status(args) => status_cmd(args),
        Command::Report(args) => report_cmd(args),
        Command::Emulator(args) => crate::emulator::args::main(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "bulkflow",
                &mut std::io::stdout(),
            );
            exit::OK
        }
    }
}

fn error(msg: impl std::fmt::Display) {
    eprintln!("bulkflow: error: {msg}");
}

/// The default state file: `MANIFEST.bulkflow.db` beside the manifest.
pub fn default_state(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

fn print_problems(e: &ManifestError) {
    if let ManifestError::Invalid { problems, total } = e {
        for p in problems {
            eprintln!("{p}");
        }
        if *total > problems.len() as u64 {
            eprintln!("... and {} more", *total - problems.len() as u64);
        }
        eprintln!("bulkflow: {total} problem(s) in the manifest; nothing was sent");
    } else {
        error(e);
    }
}

fn validate(args: ValidateArgs) -> i32 {
    let opts = ManifestOptions::from_env(args.region);
    match manifest::validate(&args.manifest, &opts) {
        Ok(plan) => {
            eprintln!("{}: {} rows, valid", args.manifest.display(), plan.rows);
            exit::OK
        }
        Err(e) => {
            print_problems(&e);
            exit::USAGE
        }
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// The emulator `run --emulator` starts: realistic latency and the real 20/s limit.
fn rehearsal_emulator() -> std::io::Result<(Emulator, EmulatorConfig)> {
    let config = EmulatorConfig {
        rate: 20,
        latency_ms: (60, 250),
        seed: crate::store::now_ms() as u64,
        ..EmulatorConfig::default()
    };
    Ok((Emulator::start(config.clone())?, config))
}

fn run(args: RunArgs, quiet: bool) -> i32 {
    if !args.rate.is_finite() || args.rate < 0.0 {
        error("--rate must be a number of calls per second, 0 or more");
        return exit::USAGE;
    }
    if args.max_attempts == 0
        || !args.request_timeout.is_finite()
        || args.request_timeout <= 0.0
        || !args.settle.is_finite()
        || args.settle < 0.0
    {
        error("--max-attempts, --request-timeout must be positive and --settle not negative");
        return exit::USAGE;
    }
    let lookup = Lookup {
        env: &env_var,
        profile: &args.profile,
        home: home(),
    };
    let region = args
        .region
        .clone()
        .or_else(|| credentials::default_region(&lookup));
    let opts = ManifestOptions::from_env(region);
    if args.dry_run {
        return dry_run(&args.manifest, &opts);
    }
    let state = args
        .state
        .clone()
        .unwrap_or_else(|| default_state(&args.manifest));

    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            error(format!("cannot start the async runtime: {e}"));
            return exit::USAGE;
        }
    };
    // Built here so that it lives, and serves, for the whole run.
    let mut emulator = None;
    let (endpoint, creds) = if args.emulator {
        match rehearsal_emulator() {
            Ok((emu, config)) => {
                let url = emu.url();
                eprintln!(
                    "bulkflow: rehearsing against the built-in emulator at {url} (20 calls/s)"
                );
                emulator = Some(emu);
                (
                    Endpoint::parse(&url),
                    Ok(Credentials {
                        secret_id: config.secret_id,
                        secret_key: Secret::new(config.secret_key.expose()),
                        token: None,
                        source: "the built-in emulator".into(),
                    }),
                )
            }
            Err(e) => {
                error(format!("cannot start the emulator: {e}"));
                return exit::USAGE;
            }
        }
    } else {
        (Endpoint::parse(&args.endpoint), credentials::load(&lookup))
    };
    let endpoint = match endpoint {
        Ok(e) => e,
        Err(e) => {
            error(e);
            return exit::USAGE;
        }
    };
    let creds = match creds {
        Ok(c) => c,
        Err(e) => {
            error(format!(
                "{e}. Set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or write ~/.tccli/{}.credential (tccli configure), or rehearse with --emulator",
                args.profile
            ));
            return exit::USAGE;
        }
    };
    tracing::info!("credentials: {creds}");
    let concurrency = args.concurrency.unwrap_or(if args.rate > 0.0 {
        (args.rate * 2.0).ceil().max(1.0) as usize
    } else {
        64
    });
    let settings = RunSettings {
        manifest: args.manifest.clone(),
        state: state.clone(),
        endpoint,
        credentials: creds,
        manifest_options: opts,
        dispatch: DispatchSettings {
            rate: args.rate,
            describe_rate: if args.rate > 0.0 {
                args.rate.min(20.0)
            } else {
                0.0
            },
            concurrency: concurrency.max(1),
            max_attempts: args.max_attempts,
            request_timeout: Duration::from_secs_f64(args.request_timeout),
            settle: Duration::from_secs_f64(args.settle),
            seed: crate::store::now_ms() as u64,
        },
        retry_failed: args.retry_failed,
        max_runtime: args.max_runtime,
    };
    let display = if quiet {
        mode::Display::Nothing
    } else {
        mode::decide(
            args.progress,
            std::io::stderr().is_terminal(),
            std::env::var_os("CI").is_some(),
            std::env::var("TERM").is_ok_and(|t| t == "dumb"),
        )
    };
    let resume = summary::resume_command(&args.manifest, &state, &default_state(&args.manifest));
    let code = rt.block_on(async move {
        let cancel = CancellationToken::new();
        tokio::spawn(watch_signals(cancel.clone()));
        let (events, rx) = EventSink::channel();
        let reporter = tokio::spawn(progress::consume(rx, display));
        let result = engine::run(settings, events, cancel).await;
        let _ = reporter.await;
        match result {
            Ok(s) => {
                eprintln!("{}", summary::render(&s, &resume));
                s.exit_code()
            }
            Err(RunError::Manifest(e)) => {
                print_problems(&e);
                exit::USAGE
            }
            Err(e) => {
                error(&e);
                e.exit_code()
            }
        }
    });
    drop(emulator);
    rt.shutdown_timeout(Duration::from_secs(1));
    code
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
            std::process::exit(exit::INTERRUPTED);
        }
    }
}

fn dry_run(manifest_path: &Path, opts: &ManifestOptions) -> i32 {
    match manifest::validate(manifest_path, opts) {
        Ok(plan) => {
            println!(
                "{}: {} rows; nothing sent (dry run)",
                manifest_path.display(),
                plan.rows
            );
            println!("{:<20} {:<24} {:>8}", "region", "file system", "rows");
            for ((region, fs), n) in &plan.per_group {
                println!("{region:<20} {fs:<24} {n:>8}");
            }
            exit::OK
        }
        Err(e) => {
            print_problems(&e);
            exit::USAGE
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
fn open_state(loc: &StateLocation) -> Result<(PathBuf, rusqlite::Connection), i32> {
    let path = state_of(loc);
    match store::open(&path, false) {
        Ok(c) => Ok((path, c)),
        Err(e) => {
            error(e);
            Err(exit::STATE)
        }
    }
}

fn status_cmd(args: StatusArgs) -> i32 {
    let (path, conn) = match open_state(&args.location) {
        Ok(pc) => pc,
        Err(code) => return code,
    };
    match status::load(&conn, &path) {
        Ok(s) if args.json => {
            println!("{}", s.json());
            exit::OK
        }
        Ok(s) => {
            print!("{}", s.text());
            exit::OK
        }
        Err(e) => {
            error(format!("{}: {e}", path.display()));
            exit::STATE
        }
    }
}

fn report_cmd(args: ReportArgs) -> i32 {
    let (path, conn) = match open_state(&args.location) {
        Ok(pc) => pc,
        Err(code) => return code,
    };
    let only = args.only.as_deref().and_then(RowState::parse);
    let result = match &args.output {
        Some(out) => {
            let manifest = args.location.manifest.as_deref();
            return match report_file::write(&conn, &path, manifest, args.format, only, out) {
                Ok(()) => exit::OK,
                Err(e) => {
                    error(&e);
                    e.exit_code()
                }
            };
        }
        None => export::write(&conn, args.format, only, std::io::stdout().lock()),
    };
    match result {
        Ok(()) => exit::OK,
        Err(store::read::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            exit::OK
        }
        Err(e) => {
            error(format!("{}: {e}", path.display()));
            exit::STATE
        }
    }
}
