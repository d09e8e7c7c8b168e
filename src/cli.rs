//! The command line, as clap sees it: definitions, and the numeric flags' ranges (`bounds`),
//! which clap's value parsers check. `settings` resolves them: checks them again and derives the
//! defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod bounds;
pub mod emulator;
mod reading;
pub use emulator::EmulatorArgs;
pub use reading::{ReportArgs, ReportFormat, StateLocation, StatusArgs, ValidateArgs};

const AFTER_HELP: &str = "\
Examples:
  bulkflow run samples/flows.csv --emulator        rehearse against the built-in emulator
  bulkflow validate flows.csv                       check a manifest offline
  bulkflow plan flows.csv --region ap-guangzhou     what exists, what a run would do (read-only)
  bulkflow run flows.csv --region ap-guangzhou      create the flows (credentials from
                                                    TENCENTCLOUD_SECRET_ID/_KEY or ~/.tccli)
  bulkflow report flows.csv --only failed           what failed, and why

A run records every row in flows.csv.bulkflow.db; running the same command again resumes it
and never creates a flow twice.";

/// `bulkflow --version`: the version, the commit it was built from (`unknown` outside a git
/// checkout) and the target (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BULKFLOW_COMMIT"),
    ", ",
    env!("BULKFLOW_TARGET"),
    ")"
);

/// The heading of the options every subcommand takes, so that they are not mixed into its own.
const GLOBAL: &str = "Global options";

/// Create Tencent Cloud CFS data flows in bulk: paced under the API limit, resumable, exactly
/// once per manifest row.
#[derive(Debug, Parser)]
#[command(name = "bulkflow", version = VERSION, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More diagnostics on stderr (-v, -vv).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = GLOBAL)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    pub quiet: bool,
    /// Format of diagnostics on stderr: text, or one JSON object per line.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = LogFormat::Text,
        global = true,
        help_heading = GLOBAL
    )]
    pub log_format: LogFormat,
    /// ANSI colours in logs and the progress bar: auto (on a terminal, unless NO_COLOR is set),
    /// always, never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto,
        global = true,
        help_heading = GLOBAL
    )]
    pub color: ColorChoice,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create every data flow the manifest lists; resumes by itself.
    Run(RunArgs),
    /// Compare the manifest with the live flows and the state file; changes nothing.
    Plan(PlanArgs),
    /// Delete the flows of the manifest's rows (never a flow with another source).
    Delete(DeleteArgs),
    /// Start one data task per row's flow (metaload, restore, release, archive), or stop them;
    /// with --wait, follow them to their end, in bytes.
    Task(TaskArgs),
    /// Check the manifest offline; no network, no state written.
    Validate(ValidateArgs),
    /// Counts per state and the last run's rate and timing.
    Status(StatusArgs),
    /// Every row's outcome as CSV or JSON Lines, or the whole state as one HTML page.
    Report(ReportArgs),
    /// A local CFS API emulator for rehearsals and tests.
    Emulator(EmulatorArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// A bar on a terminal, plain lines otherwise.
    Auto,
    /// Always the bar.
    Bar,
    /// A line every 10 seconds.
    Plain,
    /// Nothing but the summary.
    None,
}

/// Format of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// When to use ANSI colours. `Auto`: on a terminal, unless NO_COLOR is set to a value or TERM
/// is dumb. (The variants carry no doc comment: clap would turn every help page into its long
/// form to show them.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A manifest's format, when its name does not say it (stdin) or says it wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManifestFormat {
    /// CSV with a header row.
    Csv,
    /// JSON Lines: one object per line.
    Jsonl,
}

/// The options every command that calls the API takes (`run`, `plan`, `delete`, `task`): the
/// manifest, where the calls go, with which credentials and region, how fast, and what is shown
/// meanwhile.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The manifest: .csv (with a header row), .jsonl or .ndjson; `-` reads it from stdin (with
    /// --format; `run` and `delete` also need --state).
    pub manifest: PathBuf,
    /// The manifest's format, whatever its name says; required when it is `-` (stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ManifestFormat>,
    /// SQLite state file; the same file resumes the run [default: MANIFEST.bulkflow.db].
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// API endpoint; `{region}` in it is replaced by each row's region [env: BULKFLOW_ENDPOINT]
    /// [default: https://cfs.tencentcloudapi.com].
    #[arg(long, value_name = "URL", conflicts_with = "emulator")]
    pub endpoint: Option<String>,
    /// Default X-TC-Region; a Region column overrides it per row [env: TENCENTCLOUD_REGION]
    /// [default: the tccli profile's region].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Accept a region (--region or a Region value) that is not in bulkflow's list of Tencent
    /// Cloud regions: for a region newer than this release.
    #[arg(long)]
    pub allow_unknown_region: bool,
    /// The tccli profile to read credentials and region from (~/.tccli/NAME.credential and
    /// NAME.configure); a named profile is the only source of credentials [env: TCCLI_PROFILE]
    /// [default: the environment, then the profile `default`, the SDK credentials file, the CVM
    /// role, TKE OIDC].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Ceiling on calls per second of each action, per endpoint host (DescribeDataFlow: at most
    /// 20): 0 (no pacing) or 0.01 to 1000000 calls per second.
    #[arg(long, value_name = "N", default_value_t = 20.0, value_parser = bounds::rate_arg, allow_negative_numbers = true)]
    pub rate: f64,
    /// Ceiling on calls in flight per endpoint host: 1 to 4096 [default: enough for the rate at
    /// 2 s latency].
    #[arg(long, value_name = "N", value_parser = bounds::concurrency_arg, allow_negative_numbers = true)]
    pub concurrency: Option<usize>,
    /// Timeout of one call: 0.001 to 3600 seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = bounds::request_timeout_arg, allow_negative_numbers = true)]
    pub request_timeout: f64,
    /// Progress display.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Start the built-in emulator in-process and run against it (no credentials needed).
    #[arg(long)]
    pub emulator: bool,
}

/// The options of every command that changes flows and records them in the state file (`run`,
/// `delete`, `task`): retries, how long it may go, which state file it may take over, and the
/// files it leaves for scripts.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Attempts per row for transient failures and throttling: 1 to 100.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = bounds::max_attempts_arg, allow_negative_numbers = true)]
    pub max_attempts: u32,
    /// How long after a call of unknown outcome to wait before listing the file system: 0 to 3600
    /// seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = bounds::settle_arg, allow_negative_numbers = true)]
    pub settle: f64,
    /// Stop submitting after this long, finish in-flight calls, exit 4: 1s to 365d (e.g. 90s,
    /// 50m, 2h, 1h30m, 7d; a bare number is seconds).
    #[arg(long, value_name = "DURATION", value_parser = bounds::max_runtime_arg)]
    pub max_runtime: Option<std::time::Duration>,
    /// Use a state file whose runs were of another manifest (one that still exists at the path
    /// its last run recorded); its rows that this manifest lacks become `left the manifest`. A
    /// state file whose recorded manifest is gone (moved or renamed) is taken without it.
    #[arg(long)]
    pub adopt_state: bool,
    /// Also write the closing summary as one JSON object to FILE (whole or not at all; not the
    /// state file or the manifest).
    #[arg(long, value_name = "FILE")]
    pub summary_file: Option<PathBuf>,
    /// Write the run's figures to PATH in the Prometheus text format, when the run starts, each
    /// minute and at the end (for node_exporter's textfile collector).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
}

/// `bulkflow run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Also re-attempt rows that failed permanently in an earlier run.
    #[arg(long)]
    pub retry_failed: bool,
    /// Check the flags and the manifest and print the plan (rows per region and file system) on
    /// stdout; no calls, no state written.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: the plan as one JSON object on stdout (the keys of `validate --json`).
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// After creating, keep listing until every row's flow is `available` or `unavailable`.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this long (exit 4; run again to keep waiting): 1s to
    /// 365d [default: 30m].
    #[arg(long, value_name = "DURATION", value_parser = bounds::wait_timeout_arg)]
    pub wait_timeout: Option<std::time::Duration>,
    /// ModifyDataFlow for rows whose flow's name, AutoRefresh or Kafka fields differ from the
    /// manifest (fields the manifest leaves empty are not changed).
    #[arg(long)]
    pub update: bool,
    /// ModifyDataFlow with the manifest's SecretId/SecretKey (and Password) for every row's
    /// flow; an interrupted rotation resumes without resending rows already rotated.
    #[arg(long)]
    pub rotate_keys: bool,
    /// After the flows are available (with --wait), start one data task of this type per row
    /// and follow it to its end; may be given more than once: the types run in that order.
    #[arg(long, value_enum, value_name = "TYPE", requires = "wait")]
    pub task: Vec<TaskKind>,
}

/// A data task's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskKind {
    /// Load the bucket's metadata: its files appear on the file system.
    Metaload,
    /// Preload the bucket's data onto the file system.
    Restore,
    /// Free the cached copy.
    Release,
    /// Move data down to the bucket.
    Archive,
}

/// `bulkflow task`.
#[derive(Debug, Args)]
pub struct TaskArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// The type of task to start (or, with --stop, to stop).
    #[arg(
        long = "type",
        value_enum,
        value_name = "TYPE",
        required_unless_present = "stop"
    )]
    pub kind: Option<TaskKind>,
    /// Stop the rows' queued or running tasks (of --type, else of every type) instead.
    #[arg(long, conflicts_with_all = ["overwrite", "again"])]
    pub stop: bool,
    /// IsOverwrite: a file on both sides is overwritten (with release: the hot copy is freed).
    #[arg(long)]
    pub overwrite: bool,
    /// Start a new task for rows whose last task of the type has ended (finished, failed or
    /// stopped); without it, a row's task is started once and then followed (--retry-failed:
    /// a new task only for rows whose last one failed, was stopped or had failed files).
    #[arg(long)]
    pub again: bool,
    /// Start a new task only for rows whose last task of the type failed, was stopped or had
    /// failed files.
    #[arg(long, conflicts_with = "stop")]
    pub retry_failed: bool,
    /// Follow the tasks to their end (or, with --stop, until they have stopped).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this long (exit 4; run again to keep waiting): 1s to
    /// 365d [default: 30m].
    #[arg(long, value_name = "DURATION", value_parser = bounds::wait_timeout_arg)]
    pub wait_timeout: Option<std::time::Duration>,
}

/// `bulkflow plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// One JSON object per manifest row on stdout, then one summary object.
    #[arg(long)]
    pub json: bool,
}

/// `bulkflow delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Print what would be deleted (rows per region and file system) on stdout; no calls, no
    /// state written.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete without asking (required without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Stop every queued or running data task on the rows' flows first, whoever started it,
    /// and wait until they are stopped (without it, a flow busy with a task bulkflow did not
    /// start is left alone: DataFlowBusy).
    #[arg(long)]
    pub stop_tasks: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
