//! Flags in two stages, as ripgrep does: clap parses the raw flags (`cli`), and [`resolve`]
//! turns them, the environment and the home directory into [`Settings`]: every value checked,
//! every default derived. It is pure (no file is read, no clock or process environment is
//! consulted), so a table test covers every flag, and a property test shows that no input
//! panics. The wiring in `app` does the I/O these settings point at (credentials, the profile's
//! region, the emulator).

mod api;
mod commands;
mod emulator;
mod inputs;
mod profile;
pub mod resume;
mod terminal;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::endpoint::EndpointError;
use crate::api::Endpoint;
use crate::cli::bounds::BadValue;
use crate::report::mode::Progress;

pub use crate::cli::bounds::Problem;
pub use api::{default_concurrency, resolve_api, resolve_exec, ExecSettings};
pub use commands::{
    resolve, resolve_delete, resolve_task, resolve_validate, resume_command, task_type,
    DEFAULT_WAIT_TIMEOUT,
};
pub use emulator::{resolve_emulator, EmulatorSettings};
pub use inputs::{Input, STDIN_NAME};
pub use profile::{choose_region, Profile, RegionChoice};
pub use resume::{Resume, Verb};
pub use terminal::{log_format, place, progress, report_format, resolve_terminal, Terminal};

/// The endpoint when neither `--endpoint` nor `BULKFLOW_ENDPOINT` names one.
pub const DEFAULT_ENDPOINT: &str = "https://cfs.tencentcloudapi.com";

/// A command line that cannot run: exit 2, nothing sent. Each message names the flag and, for a
/// number, the allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UsageError {
    /// A numeric flag that is not a number or out of its range.
    #[error(transparent)]
    Value(#[from] BadValue),
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
    #[error("task needs --type TYPE (metaload, restore, release, archive), or --stop")]
    TaskType,
    /// A default region (`--region`, `TENCENTCLOUD_REGION`) not in the list of regions.
    #[error("{source_name} {message}")]
    UnknownRegion {
        /// Where the region came from: `--region`, `TENCENTCLOUD_REGION`.
        source_name: &'static str,
        /// What is wrong, with the closest known region.
        message: String,
    },
    #[error("--wait-timeout applies only with --wait: add --wait, or leave --wait-timeout out")]
    WaitTimeoutAlone,
}

/// Where the calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// `--emulator`: the built-in emulator, started in-process, with its own credentials.
    Emulator,
    /// The API at this endpoint, with credentials from the chain of `api::credentials`.
    Api(Endpoint),
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
    pub pacing: crate::engine::Pacing,
    pub retry_failed: bool,
    pub dry_run: bool,
    pub max_runtime: Option<Duration>,
    pub progress: Progress,
    /// What the run does to the flows.
    pub goal: crate::engine::Goal,
    /// `run --task`: data tasks started and followed after the flows, in order.
    pub tasks: Vec<crate::api::tasks::TaskType>,
    /// `delete --stop-tasks`: stop every task on the rows' flows first, whoever started it.
    pub stop_tasks: bool,
    /// `--dry-run --json`: the plan as one JSON object.
    pub json: bool,
    /// `--summary-file`: the closing summary as JSON.
    pub summary_file: Option<PathBuf>,
    /// `--metrics-file`: the figures in the Prometheus text format.
    pub metrics_file: Option<PathBuf>,
    /// `--allow-unknown-region`: a region not in `api::regions` is taken as it is.
    pub allow_unknown_region: bool,
    /// `--adopt-state`: a state file of another manifest may be used.
    pub adopt_state: bool,
    /// The command that resumes this one.
    pub resume: Resume,
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
    pub progress: Progress,
    /// `--allow-unknown-region`.
    pub allow_unknown_region: bool,
    /// Where the calls go, as the resume command names it.
    pub destination: resume::Destination,
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
    /// `--allow-unknown-region`.
    pub allow_unknown_region: bool,
}

/// The default state file: `MANIFEST.bulkflow.db` beside the manifest.
pub fn default_state(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}
