//! Flags in two stages, as ripgrep does: clap parses the raw flags (`cli`), and [`resolve`]
//! turns them, the environment and the home directory into [`Settings`]: every value checked,
//! every default derived. It is pure (no file is read, no clock or process environment is
//! consulted), so a table test covers every flag, and a property test shows that no input
//! panics. The wiring in `app` does the I/O these settings point at (credentials, the profile's
//! region, the emulator).

pub mod bounds;
mod inputs;
mod profile;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::endpoint::EndpointError;
use crate::api::Endpoint;
use crate::cli::{ApiArgs, ProgressMode, RunArgs, ValidateArgs};

pub use bounds::Problem;
pub use inputs::{Input, STDIN_NAME};
pub use profile::{choose_region, Profile, RegionChoice};

/// The endpoint when neither `--endpoint` nor `BULKFLOW_ENDPOINT` names one.
pub const DEFAULT_ENDPOINT: &str = "https://cfs.tencentcloudapi.com";

/// A command line that cannot run: exit 2, nothing sent. Each message names the flag and, for a
/// number, the allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UsageError {
    /// A numeric flag that is not a number or out of its range.
    #[error("{flag} {value}: {problem}; allowed: {allowed}")]
    Value {
        flag: &'static str,
        /// The value as typed (quoted when it is not plain), or as the number it was.
        value: String,
        problem: Problem,
        allowed: &'static str,
    },
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// An endpoint refused that may hold a secret (a user name, password, query or fragment):
    /// shown with those parts masked.
    #[error("--endpoint {0:?} must be the API root (https://HOST, or http:// on loopback), with no path, query or credentials")]
    EndpointMasked(String),
    #[error("--profile {0:?}: not a tccli profile name (it names ~/.tccli/NAME.credential: not empty, no `/` or `\\`)")]
    Profile(String),
    #[error("TCCLI_PROFILE {0:?}: not a tccli profile name (it names ~/.tccli/NAME.credential: no `/` or `\\`)")]
    ProfileEnv(String),
    #[error("--state {}: that is the manifest; the state file must be another file", .0.display())]
    StateIsManifest(PathBuf),
    #[error("--state: the path is empty")]
    EmptyState,
    #[error("a manifest read from stdin (`-`) needs --format csv or --format jsonl")]
    StdinFormat,
    #[error("a manifest read from stdin (`-`) needs --state FILE: there is no manifest file to put the state file beside, and the same state file resumes the run")]
    StdinState,
    #[error("{0}: the path is empty")]
    EmptyPath(&'static str),
    #[error("--summary-file and --metrics-file name the same file {}; give each its own", .0.display())]
    SameOutput(PathBuf),
    #[error("--wait-timeout applies only with --wait: add --wait, or leave --wait-timeout out")]
    WaitTimeoutAlone,
}

impl UsageError {
    /// The same error for the value as the user typed it.
    pub(crate) fn with_value(self, shown: String) -> UsageError {
        match self {
            UsageError::Value {
                flag,
                problem,
                allowed,
                ..
            } => UsageError::Value {
                flag,
                value: shown,
                problem,
                allowed,
            },
            other => other,
        }
    }

    /// What is wrong without the flag and value, for clap, whose message names both already.
    pub fn reason(&self) -> String {
        match self {
            UsageError::Value {
                problem, allowed, ..
            } => format!("{problem}; allowed: {allowed}"),
            other => other.to_string(),
        }
    }
}

/// Where the calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// `--emulator`: the built-in emulator, started in-process, with its own credentials.
    Emulator,
    /// The API at this endpoint, with credentials from the chain of `api::credentials`.
    Api(Endpoint),
}

/// How fast and how hard a run calls the API: what `engine::DispatchSettings` needs, but the
/// seed (a clock reading, so not part of the pure stage).
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    /// CreateDataFlow calls per second per host; 0 means unpaced.
    pub rate: f64,
    /// DescribeDataFlow calls per second per host: the rate, at most the API's 20/s.
    pub describe_rate: f64,
    pub concurrency: usize,
    pub max_attempts: u32,
    pub request_timeout: Duration,
    pub settle: Duration,
}

/// Everything `run` needs, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The manifest file the run reads: the path given, or (stdin) the spooled copy `app` puts
    /// here.
    pub manifest: PathBuf,
    /// Where the manifest comes from, and its format.
    pub input: Input,
    pub state: PathBuf,
    /// The state file `run` would use without `--state`, for the resume command.
    pub default_state: PathBuf,
    pub service: Service,
    pub profile: Profile,
    pub region: RegionChoice,
    pub pacing: Pacing,
    pub retry_failed: bool,
    pub dry_run: bool,
    pub max_runtime: Option<Duration>,
    pub progress: ProgressMode,
    /// What the run does to the flows.
    pub goal: crate::engine::Goal,
    /// `run --task`: data tasks started and followed after the flows, in order.
    pub tasks: Vec<crate::api::tasks::TaskType>,
    /// `--dry-run --json`: the plan as one JSON object.
    pub json: bool,
    /// `--summary-file`: the closing summary as JSON.
    pub summary_file: Option<PathBuf>,
    /// `--metrics-file`: the figures in the Prometheus text format.
    pub metrics_file: Option<PathBuf>,
}

/// What every command that calls the API (`run`, `plan`, `delete`) resolves from [`ApiArgs`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSettings {
    pub manifest: PathBuf,
    /// Where the manifest comes from, and its format.
    pub input: Input,
    pub state: PathBuf,
    /// The state file without `--state`, for the resume command.
    pub default_state: PathBuf,
    pub service: Service,
    pub profile: Profile,
    pub region: RegionChoice,
    /// Calls per second per host and action; 0 means unpaced.
    pub rate: f64,
    /// DescribeDataFlow calls per second per host: the rate, at most the API's 20/s.
    pub describe_rate: f64,
    /// Calls in flight per host, at most.
    pub concurrency: usize,
    pub request_timeout: Duration,
    pub progress: ProgressMode,
}

/// Everything `validate` needs, resolved the way `run` resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateSettings {
    pub manifest: PathBuf,
    /// Where the manifest comes from, and its format.
    pub input: Input,
    /// `--json`: one object on stdout.
    pub json: bool,
    pub profile: Profile,
    pub region: RegionChoice,
}

/// The default state file: `MANIFEST.bulkflow.db` beside the manifest.
pub fn default_state(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

/// An environment variable, with an empty or blank value counted as unset.
fn var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// `raw` as a message may show it: scheme, host and port, with `***` for any user name,
/// password, path, query and fragment; `(not shown)` when it has no host.
fn masked_url(raw: &str) -> String {
    let parsed = url::Url::parse(raw.trim());
    let Some((url, host)) = parsed
        .as_ref()
        .ok()
        .and_then(|u| u.host_str().map(|h| (u, h)))
    else {
        return "(not shown)".to_owned();
    };
    let mut out = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        out.push_str("***@");
    }
    out.push_str(host);
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    if !matches!(url.path(), "" | "/") {
        out.push_str("/***");
    }
    if url.query().is_some() {
        out.push_str("?***");
    }
    if url.fragment().is_some() {
        out.push_str("#***");
    }
    out
}

/// Concurrency enough for `rate` at a 2 s latency, within `--concurrency`'s range; 64 unpaced.
pub fn default_concurrency(rate: f64) -> usize {
    if rate > 0.0 {
        // `as` saturates; the clamp keeps it in range anyway.
        (rate * 2.0)
            .ceil()
            .clamp(1.0, bounds::CONCURRENCY.max as f64) as usize
    } else {
        64
    }
}

fn seconds(range: &bounds::Real, v: f64) -> Result<Duration, UsageError> {
    let v = range.check(v)?;
    Duration::try_from_secs_f64(v).map_err(|_| UsageError::Value {
        flag: range.flag,
        value: format!("{v:?}"),
        problem: Problem::OutOfRange,
        allowed: range.allowed,
    })
}

/// Resolves the API options `run`, `plan` and `delete` share. `env` reads an environment
/// variable (`BULKFLOW_ENDPOINT`, `TENCENTCLOUD_REGION`); `home` is where `~/.tccli` is.
/// `writes_state`: the command writes a state file, so a manifest from stdin needs `--state`.
/// Checks every value again, whatever clap did, so that arguments built by hand are held to the
/// same ranges.
pub fn resolve_api(
    args: &ApiArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
    writes_state: bool,
) -> Result<ApiSettings, UsageError> {
    let rate = bounds::RATE.check(args.rate)?;
    let concurrency = match args.concurrency {
        Some(n) => {
            let n = bounds::CONCURRENCY.check(u64::try_from(n).unwrap_or(u64::MAX))?;
            // In range, so it fits.
            usize::try_from(n).unwrap_or(1)
        }
        None => default_concurrency(rate),
    };
    let request_timeout = seconds(&bounds::REQUEST_TIMEOUT, args.request_timeout)?;
    let profile = Profile::choose(args.profile.as_deref(), env, home)?;
    let region = choose_region(args.region.as_deref(), env, &profile);
    let service = if args.emulator {
        Service::Emulator
    } else {
        let endpoint = args
            .endpoint
            .clone()
            .or_else(|| var(env, "BULKFLOW_ENDPOINT"))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        Service::Api(Endpoint::parse(&endpoint).map_err(|e| {
            // The endpoint's own messages quote the URL as given.
            if endpoint.contains(['@', '?', '#']) {
                UsageError::EndpointMasked(masked_url(&endpoint))
            } else {
                UsageError::Endpoint(e)
            }
        })?)
    };

    let input = inputs::input(&args.manifest, args.format)?;
    let default_state = default_state(&args.manifest);
    let state = match &args.state {
        Some(s) if s.as_os_str().is_empty() => return Err(UsageError::EmptyState),
        Some(s) if *s == args.manifest => return Err(UsageError::StateIsManifest(s.clone())),
        Some(s) => s.clone(),
        None if input.stdin && writes_state => return Err(UsageError::StdinState),
        None => default_state.clone(),
    };
    // For stdin, the resume command always names the state file.
    let default_state = if input.stdin {
        PathBuf::new()
    } else {
        default_state
    };
    Ok(ApiSettings {
        manifest: args.manifest.clone(),
        input,
        state,
        default_state,
        service,
        profile,
        region,
        rate,
        describe_rate: if rate > 0.0 { rate.min(20.0) } else { 0.0 },
        concurrency,
        request_timeout,
        progress: args.progress,
    })
}

/// Resolves `run`'s flags: the API options as [`resolve_api`] does, then run's own.
pub fn resolve(
    args: &RunArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<Settings, UsageError> {
    // A dry run writes no state; it only needs a name.
    let api = resolve_api(&args.api, env, home, !args.dry_run)?;
    let max_attempts = bounds::MAX_ATTEMPTS.check(u64::from(args.max_attempts))?;
    let pacing = Pacing {
        rate: api.rate,
        describe_rate: api.describe_rate,
        concurrency: api.concurrency,
        max_attempts: u32::try_from(max_attempts).unwrap_or(1),
        request_timeout: api.request_timeout,
        settle: seconds(&bounds::SETTLE, args.settle)?,
    };
    let wait = bounds::wait(args.wait, args.wait_timeout)?;
    let max_runtime = args
        .max_runtime
        .map(|d| bounds::MAX_RUNTIME.check(d))
        .transpose()?;
    let (summary_file, metrics_file) =
        inputs::outputs(args.summary_file.as_deref(), args.metrics_file.as_deref())?;
    Ok(Settings {
        manifest: api.manifest,
        input: api.input,
        state: api.state,
        default_state: api.default_state,
        service: api.service,
        profile: api.profile,
        region: api.region,
        pacing,
        retry_failed: args.retry_failed,
        dry_run: args.dry_run,
        max_runtime,
        progress: api.progress,
        goal: crate::engine::Goal::Create {
            update: args.update,
            rotate: args.rotate_keys,
            wait,
        },
        tasks: args.task.iter().map(|&k| task_type(k)).collect(),
        json: args.json,
        summary_file,
        metrics_file,
    })
}

/// The API's data task type of the flag's value.
pub fn task_type(kind: crate::cli::TaskKind) -> crate::api::tasks::TaskType {
    use crate::api::tasks::TaskType;
    use crate::cli::TaskKind;
    match kind {
        TaskKind::Metaload => TaskType::Metaload,
        TaskKind::Restore => TaskType::Restore,
        TaskKind::Release => TaskType::Release,
        TaskKind::Archive => TaskType::Archive,
    }
}

/// Resolves `validate`'s flags: the region exactly as [`resolve`] chooses it for `run`.
pub fn resolve_validate(
    args: &ValidateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<ValidateSettings, UsageError> {
    let profile = Profile::choose(args.profile.as_deref(), env, home)?;
    let region = choose_region(args.region.as_deref(), env, &profile);
    Ok(ValidateSettings {
        manifest: args.manifest.clone(),
        input: inputs::input(&args.manifest, args.format)?,
        json: args.json,
        profile,
        region,
    })
}
