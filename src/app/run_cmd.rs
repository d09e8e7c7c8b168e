//! `bulkflow run`: resolved settings in, the engine run on a runtime, its outcome an exit code.
//! Everything that does I/O before the run (credentials, the profile's region, the emulator)
//! happens here, from the choices `settings::resolve` made.

use std::io::IsTerminal;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::api::credentials::{self, CredentialsError};
use crate::api::{CredentialProvider, Credentials, Endpoint};
use crate::cli::RunArgs;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::engine::{self, DispatchSettings, EventSink, RunError, RunSettings};
use crate::exit::ExitCode;
use crate::report::diag::{self, Level};
use crate::report::{mode, progress, summary};
use crate::secret::Secret;
use crate::settings::{self, Pacing, Profile, Service, Settings};

use super::offline::{
    dry_run, load_region, manifest_exists, manifest_options, materialize, print_problems,
};
use super::outputs::RunOutputs;
use super::stdin_spool::{self, Spool};
use super::{env_var, error, home, watch_signals};

pub(super) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
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

/// The engine's dispatch settings from the resolved pacing; the seed is a clock reading.
fn dispatch(p: &Pacing) -> DispatchSettings {
    DispatchSettings {
        rate: p.rate,
        describe_rate: p.describe_rate,
        concurrency: p.concurrency,
        max_attempts: p.max_attempts,
        request_timeout: p.request_timeout,
        settle: p.settle,
        seed: crate::store::now_ms() as u64,
    }
}

/// `bulkflow run`.
pub(super) fn run(args: &RunArgs, quiet: bool) -> ExitCode {
    let s = match settings::resolve(args, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    let region = match load_region(&s.region, &s.profile, s.allow_unknown_region) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if s.dry_run {
        let (manifest, _spool) = match materialize(&s.input, stdin_spool::dir_for(None)) {
            Ok(m) => m,
            Err(code) => return code,
        };
        return dry_run(&s, &manifest, region);
    }
    let (s, _spool, mut out) = match prepare(s) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let code = execute(&s, region, quiet, &mut out);
    out.finish(code)
}

/// What a run needs before it starts: its output files checked, and a manifest from stdin
/// copied beside the state file (the guard removes the copy).
pub(super) fn prepare(mut s: Settings) -> Result<(Settings, Option<Spool>, RunOutputs), ExitCode> {
    let out = RunOutputs::new(&s)?;
    if let Err(code) = manifest_exists(&s.input) {
        return Err(out.finish(code));
    }
    if let Err(code) = super::state_file::check_owner(&s) {
        return Err(out.finish(code));
    }
    let (manifest, spool) = match materialize(&s.input, stdin_spool::dir_for(Some(&s.state))) {
        Ok(m) => m,
        Err(code) => return Err(out.finish(code)),
    };
    s.manifest = manifest;
    Ok((s, spool, out))
}

/// Where the calls go and with which credentials; holds the in-process emulator of a
/// rehearsal, which serves for as long as this lives.
pub(super) struct Connection {
    pub(super) endpoint: Endpoint,
    pub(super) credentials: CredentialProvider,
    pub(super) emulator: Option<Emulator>,
}

/// Starts the emulator for a rehearsal, or finds the credentials for the API (on `rt`); the
/// exit code (said on stderr) when neither can be done.
pub(super) fn connect(
    rt: &tokio::runtime::Runtime,
    service: &Service,
    profile: &Profile,
    quiet: bool,
) -> Result<Connection, ExitCode> {
    match service {
        Service::Emulator => {
            let (emu, config) = rehearsal_emulator().map_err(|e| {
                error(format!("cannot start the emulator: {e}"));
                ExitCode::Usage
            })?;
            let url = emu.url();
            diag::emit(&diag::Diag::new(
                Level::Info,
                format_args!("rehearsing against the built-in emulator at {url} (20 calls/s)"),
            ));
            let credentials = CredentialProvider::from(Credentials {
                secret_id: config.secret_id,
                secret_key: Secret::new(config.secret_key.expose()),
                token: None,
                source: "the built-in emulator".into(),
            });
            let endpoint = Endpoint::parse(&url).map_err(|e| {
                error(e);
                ExitCode::Usage
            })?;
            Ok(Connection {
                endpoint,
                credentials,
                emulator: Some(emu),
            })
        }
        Service::Api(endpoint) => {
            let credentials = rt
                .block_on(credentials::discover(&profile.lookup(&env_var)))
                .map_err(|e| credentials_error(&e, profile))?;
            if !quiet {
                diag::info(format_args!("credentials: {}", credentials.description()));
            }
            Ok(Connection {
                endpoint: endpoint.clone(),
                credentials,
                emulator: None,
            })
        }
    }
}

/// Starts the runtime (and the emulator, for a rehearsal), loads the credentials and runs.
pub(super) fn execute(
    s: &Settings,
    region: Option<String>,
    quiet: bool,
    out: &mut RunOutputs,
) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            error(format!("cannot start the async runtime: {e}"));
            return ExitCode::Usage;
        }
    };
    let conn = match connect(&rt, &s.service, &s.profile, quiet) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let code = rt.block_on(engine_run(
        s,
        conn.endpoint,
        conn.credentials,
        region,
        quiet,
        out,
    ));
    drop(conn.emulator);
    rt.shutdown_timeout(Duration::from_secs(1));
    code
}

/// Why there are no credentials, and the exit code: 3 when a service (STS, the metadata
/// service) refused or failed, 2 when nothing was found or a file is wrong.
fn credentials_error(e: &CredentialsError, profile: &Profile) -> ExitCode {
    if e.is_service_failure() {
        error(format!(
            "{e}. Nothing was sent; run again once the credentials work"
        ));
        return ExitCode::Fatal;
    }
    let hint = if profile.explicit {
        format!(
            "write ~/.tccli/{}.credential (tccli configure --profile {0}), or name another profile",
            profile.name
        )
    } else {
        "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or write ~/.tccli/default.credential (tccli configure), or run on a CVM with a CAM role".to_owned()
    };
    error(format!("{e}. To fix: {hint}; or rehearse with --emulator"));
    ExitCode::Usage
}

/// The run itself, with the progress display and the closing summary.
async fn engine_run(
    s: &Settings,
    endpoint: Endpoint,
    credentials: CredentialProvider,
    region: Option<String>,
    quiet: bool,
    out: &mut RunOutputs,
) -> ExitCode {
    let provider = credentials.clone();
    let run_settings = RunSettings {
        manifest: s.manifest.clone(),
        state: s.state.clone(),
        endpoint,
        credentials,
        manifest_options: manifest_options(&s.input, region, s.allow_unknown_region),
        dispatch: dispatch(&s.pacing),
        retry_failed: s.retry_failed,
        max_runtime: s.max_runtime,
        goal: s.goal.clone(),
        tasks: s.tasks.clone(),
        stop_tasks: s.stop_tasks,
    };
    let display = if quiet {
        mode::Display::Nothing
    } else {
        mode::decide(
            s.progress,
            std::io::stderr().is_terminal(),
            std::env::var_os("CI").is_some(),
            std::env::var("TERM").is_ok_and(|t| t == "dumb"),
        )
    };
    let cancel = CancellationToken::new();
    tokio::spawn(watch_signals(cancel.clone()));
    let (events, rx) = EventSink::channel();
    let consumer = progress::Consumer {
        display,
        color: diag::color(),
        metrics: out.take_metrics(),
    };
    let reporter = tokio::spawn(progress::consume(rx, consumer));
    let result = engine::run(run_settings, events, cancel).await;
    if let Ok(consumed) = reporter.await {
        out.consumed(consumed);
    }
    match result {
        Ok(end) => {
            // Before the summary, which is the last line (a JSON log's closing object).
            if let Some(line) = summary::credentials_line(&provider) {
                diag::info(line.strip_prefix("bulkflow: ").unwrap_or(&line));
            }
            out.ended(&end);
            end.exit_code()
        }
        Err(RunError::Manifest(e)) => {
            print_problems(&e);
            ExitCode::Usage
        }
        Err(e) => {
            error(&e);
            e.exit_code()
        }
    }
}
