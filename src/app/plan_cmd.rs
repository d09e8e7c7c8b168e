//! `bulkflow plan`: the API options resolved as for `run`, the file systems listed, every row
//! decided; the plan on stdout (text, or JSON lines with `--json`), progress on stderr. Nothing
//! is sent but DescribeDataFlow, and nothing is written to the state file.

use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cli::PlanArgs;
use crate::exit::ExitCode;
use crate::plan::{self, PlanError, PlanSettings, Progress, RowVerdict, Survey, Verdict};
use crate::report::diag;
use crate::report::mode::Display;
use crate::report::validation::ValidationJson;
use crate::report::{self, progress::plain_every};
use crate::settings::{self, Terminal};

use super::failure::{decided, Failure, Outcome};
use super::inputs::{load_region, manifest_exists, manifest_options, materialize};
use super::run_cmd::{connect, runtime};
use super::stdin_spool;
use super::stop::watch_signals;
use super::{env_var, home, stdout};

/// `bulkflow plan`.
pub(super) fn plan(args: &PlanArgs, terminal: &Terminal) -> Outcome {
    let s = settings::resolve_api(&args.api, &env_var, home(), false)?;
    let region = load_region(&s.region, &s.profile, s.allow_unknown_region)?;
    manifest_exists(&s.input)?;
    // Read from stdin, the manifest is copied aside first: it is read more than once.
    let (manifest, _spool) = materialize(&s.input, stdin_spool::dir_for(None))?;
    // Checked offline first, as `validate` would: an invalid manifest needs no credentials.
    let manifest_options = manifest_options(&s.input, region, s.allow_unknown_region);
    let validated = validated(&manifest, &manifest_options, args.json, &s.input.shown())?;
    // A manifest from stdin has a state file only when `--state` names one.
    let state = (!s.input.stdin || args.api.state.is_some()).then(|| s.state.clone());
    let rt = runtime()?;
    let conn = connect(&rt, &s.service, &s.profile, terminal.quiet)?;
    let settings = PlanSettings {
        manifest,
        validated,
        state,
        endpoint: conn.endpoint,
        credentials: conn.credentials,
        manifest_options,
        describe_rate: s.describe_rate,
        concurrency: s.concurrency,
        request_timeout: s.request_timeout,
    };
    let display = terminal.display(s.progress);
    let started = std::time::Instant::now();
    let surveyed = rt.block_on(survey(settings, display));
    drop(conn.emulator);
    rt.shutdown_timeout(Duration::from_secs(1));
    let survey = surveyed.ok_or_else(|| Failure::Interrupted("interrupted: no plan".into()))??;
    finish(survey, args.json, &s.input.shown(), terminal.quiet, started)
}

/// Writes the plan and says how long it took.
fn finish(
    survey: Survey,
    json: bool,
    shown: &str,
    quiet: bool,
    started: std::time::Instant,
) -> Outcome {
    let file_systems = survey.live.file_systems().len();
    let flows = survey.live.len();
    let code = match write(survey, json, shown) {
        Ok(code) => code,
        // The reader went away (`| head`): what it read was written.
        Err(PlanError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::Ok,
        Err(e) => return Err(e.into()),
    };
    if !quiet {
        diag::info(format_args!(
            "plan: {file_systems} file systems listed ({flows} flows) in {:.1}s; nothing changed",
            started.elapsed().as_secs_f64()
        ));
    }
    decided(code)
}

/// The manifest validated; else its problems (on stdout as `validate --json` writes them, with
/// `--json`).
fn validated(
    manifest: &std::path::Path,
    options: &crate::manifest::ManifestOptions,
    json: bool,
    shown: &str,
) -> Result<plan::Validated, Failure> {
    match plan::validate(manifest, options) {
        Ok(v) => Ok(v),
        Err(e) if json => {
            let line = ValidationJson::of(shown, &Err(e)).to_line();
            stdout(&format!("{line}\n"))?;
            Err(Failure::ManifestShown)
        }
        Err(e) => Err(e.into()),
    }
}

/// Lists and surveys with the progress shown; `None` when a signal stopped it.
async fn survey(settings: PlanSettings, display: Display) -> Option<Result<Survey, PlanError>> {
    let cancel = CancellationToken::new();
    tokio::spawn(watch_signals(cancel.clone()));
    let progress = Arc::new(Progress::default());
    let shown = tokio::spawn(show(progress.clone(), display));
    let surveyed = tokio::select! {
        r = plan::survey(settings, &progress) => Some(r),
        _ = cancel.cancelled() => None,
    };
    shown.abort();
    let _ = shown.await;
    surveyed
}

/// Decides every row and writes the plan on stdout; its exit code.
fn write(survey: Survey, json: bool, manifest: &str) -> Result<ExitCode, PlanError> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut attention: Vec<RowVerdict> = Vec::new();
    let summary = survey.judge(|row| {
        if json {
            serde_json::to_writer(&mut out, row)?;
            out.write_all(b"\n")
        } else {
            let needs = Verdict::ALL
                .iter()
                .any(|v| v.as_str() == row.verdict && v.needs_attention());
            if needs {
                attention.push(row.clone());
            }
            Ok(())
        }
    })?;
    if json {
        writeln!(out, "{}", summary.json())?;
    } else {
        out.write_all(report::plan::counts(manifest, &summary).as_bytes())?;
        out.write_all(report::plan::attention(&attention).as_bytes())?;
    }
    out.flush()?;
    Ok(summary.exit_code())
}

/// Shows the listings' progress on stderr until aborted.
async fn show(progress: Arc<Progress>, display: Display) {
    let start = Instant::now();
    match display {
        Display::Nothing => {}
        Display::Plain => {
            let every = plain_every();
            loop {
                tokio::time::sleep(every).await;
                diag::emit(&report::plan::progress_line(&progress, start.elapsed()));
            }
        }
        Display::Bar => {
            let bar =
                ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner:.green} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} file systems listed, {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            // Cleared when the task is aborted, whatever it was doing.
            struct Clear(ProgressBar);
            impl Drop for Clear {
                fn drop(&mut self) {
                    self.0.finish_and_clear();
                }
            }
            let bar = Clear(bar);
            loop {
                use std::sync::atomic::Ordering::Relaxed;
                bar.0.set_length(progress.total.load(Relaxed));
                bar.0.set_position(progress.done.load(Relaxed));
                bar.0
                    .set_message(format!("{} flows", progress.flows.load(Relaxed)));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
