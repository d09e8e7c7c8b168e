//! `bulkflow run`: resolved settings in, the engine run on a runtime, its outcome an exit code.
//! Everything that does I/O before the run (credentials, the profile's region, the emulator)
//! happens here, from the choices `settings::resolve` made.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::api::credentials::{self, CredentialsError};
use crate::api::{CredentialProvider, Credentials, Endpoint};
use crate::cli::RunArgs;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::engine::{self, EventSink, RunSettings};
use crate::report::diag::{self, Level};
use crate::report::{progress, summary};
use crate::secret::Secret;
use crate::settings::{self, Profile, Service, Settings, Terminal};

use super::failure::{decided, Failure, Outcome};
use super::inputs::{load_region, manifest_exists, manifest_options, materialize};
use super::outputs::RunOutputs;
use super::stdin_spool::{self, Spool};
use super::stop::watch_signals;
use super::validate_cmd::dry_run;
use super::{env_var, home};

/// The runtime a command's calls run on.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))
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

/// `bulkflow run`.
pub(super) fn run(args: &RunArgs, terminal: &Terminal) -> Outcome {
    let s = settings::resolve(args, &env_var, home())?;
    let region = load_region(&s.region, &s.profile, s.allow_unknown_region)?;
    if s.dry_run {
        let (manifest, _spool) = materialize(&s.input, stdin_spool::dir_for(None))?;
        return dry_run(&s, &manifest, region);
    }
    let (s, _spool, mut out) = prepare(s)?;
    let outcome = execute(&s, region, terminal, &mut out);
    out.finish(outcome)
}

/// What a run needs before it starts: its output files checked, and a manifest from stdin
/// copied beside the state file (the guard removes the copy).
pub(super) fn prepare(mut s: Settings) -> Result<(Settings, Option<Spool>, RunOutputs), Failure> {
    let mut out = RunOutputs::new(&s)?;
    let checked = manifest_exists(&s.input)
        .and_then(|()| super::state_file::check_owner(&s))
        .and_then(|()| materialize(&s.input, stdin_spool::dir_for(Some(&s.state))));
    match checked {
        Ok((manifest, spool)) => {
            s.manifest = manifest;
            Ok((s, spool, out))
        }
        Err(failure) => {
            out.write(Some(&failure));
            Err(failure)
        }
    }
}

/// Where the calls go and with which credentials; holds the in-process emulator of a
/// rehearsal, which serves for as long as this lives.
pub(super) struct Connection {
    pub(super) endpoint: Endpoint,
    pub(super) credentials: CredentialProvider,
    pub(super) emulator: Option<Emulator>,
}

/// Starts the emulator for a rehearsal, or finds the credentials for the API (on `rt`).
pub(super) fn connect(
    rt: &tokio::runtime::Runtime,
    service: &Service,
    profile: &Profile,
    quiet: bool,
) -> Result<Connection, Failure> {
    match service {
        Service::Emulator => {
            let (emu, config) = rehearsal_emulator()
                .map_err(|e| Failure::Usage(format!("cannot start the emulator: {e}")))?;
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
            let endpoint = Endpoint::parse(&url).map_err(|e| Failure::Usage(e.to_string()))?;
            Ok(Connection {
                endpoint,
                credentials,
                emulator: Some(emu),
            })
        }
        Service::Api(endpoint) => {
            let credentials = rt
                .block_on(credentials::discover(&profile.lookup(&env_var)))
                .map_err(|e| credentials_error(e, profile))?;
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
    terminal: &Terminal,
    out: &mut RunOutputs,
) -> Outcome {
    let rt = runtime()?;
    let conn = connect(&rt, &s.service, &s.profile, terminal.quiet)?;
    let outcome = rt.block_on(engine_run(
        s,
        conn.endpoint,
        conn.credentials,
        region,
        terminal,
        out,
    ));
    drop(conn.emulator);
    rt.shutdown_timeout(Duration::from_secs(1));
    outcome
}

/// Why there are no credentials, and what to do: 3 when a service (STS, the metadata service)
/// refused or failed, 2 when nothing was found or a file is wrong.
fn credentials_error(error: CredentialsError, profile: &Profile) -> Failure {
    let advice = if error.is_service_failure() {
        "Nothing was sent; run again once the credentials work".to_owned()
    } else {
        let hint = if profile.explicit {
            format!(
                "write ~/.tccli/{}.credential (tccli configure --profile {0}), or name another profile",
                profile.name
            )
        } else {
            "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or write ~/.tccli/default.credential (tccli configure), or run on a CVM with a CAM role".to_owned()
        };
        format!("To fix: {hint}; or rehearse with --emulator")
    };
    Failure::Credentials { error, advice }
}

/// The run itself, with the progress display and the closing summary.
async fn engine_run(
    s: &Settings,
    endpoint: Endpoint,
    credentials: CredentialProvider,
    region: Option<String>,
    terminal: &Terminal,
    out: &mut RunOutputs,
) -> Outcome {
    let provider = credentials.clone();
    let run_settings = RunSettings {
        manifest: s.manifest.clone(),
        state: s.state.clone(),
        endpoint,
        credentials,
        manifest_options: manifest_options(&s.input, region, s.allow_unknown_region),
        pacing: s.pacing,
        seed: crate::clock::now_ms() as u64,
        retry_failed: s.retry_failed,
        max_runtime: s.max_runtime,
        goal: s.goal.clone(),
        tasks: s.tasks.clone(),
        stop_tasks: s.stop_tasks,
    };
    let display = terminal.display(s.progress);
    let cancel = CancellationToken::new();
    tokio::spawn(watch_signals(cancel.clone()));
    let (events, rx) = EventSink::channel();
    let consumer = progress::Consumer {
        display,
        color: terminal.color,
        metrics: out.take_metrics(),
    };
    let reporter = tokio::spawn(progress::consume(rx, consumer));
    let result = engine::run(run_settings, events, cancel).await;
    if let Ok(consumed) = reporter.await {
        out.consumed(consumed);
    }
    let end = result?;
    // Before the summary, which is the last line (a JSON log's closing object).
    if let Some(line) = summary::credentials_line(&provider) {
        diag::info(line.strip_prefix("bulkflow: ").unwrap_or(&line));
    }
    out.ended(&end);
    decided(end.exit_code())
}
