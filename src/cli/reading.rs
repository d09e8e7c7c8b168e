//! The flags of the commands that only read: `validate` (the manifest, offline), `status` and
//! `report` (the state file).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::ManifestFormat;

/// `bulkflow validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The manifest: .csv, .jsonl or .ndjson; `-` reads it from stdin (with --format).
    pub manifest: PathBuf,
    /// The manifest's format, whatever its name says; required when it is `-` (stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ManifestFormat>,
    /// One JSON object on stdout: manifest, rows, valid, problems, per_group.
    #[arg(long)]
    pub json: bool,
    /// Default region for rows without a Region column, as for `run` [env: TENCENTCLOUD_REGION]
    /// [default: the tccli profile's region].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Accept a region that is not in bulkflow's list of Tencent Cloud regions, as for `run`.
    #[arg(long)]
    pub allow_unknown_region: bool,
    /// The tccli profile whose region (~/.tccli/NAME.configure) is the default, as for `run`
    /// [env: TCCLI_PROFILE] [default: default].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Where a state file is: beside a manifest, or named.
#[derive(Debug, Args)]
pub struct StateLocation {
    /// The manifest whose state to read (its MANIFEST.bulkflow.db).
    #[arg(required_unless_present = "state")]
    pub manifest: Option<PathBuf>,
    /// The state file itself.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// `bulkflow status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub location: StateLocation,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Jsonl,
    Html,
}

/// `bulkflow report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub location: StateLocation,
    /// Output format: one line per row (csv, jsonl), or one self-contained page (html).
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
    /// Only rows in this state.
    #[arg(long, value_name = "STATE", value_parser = ["pending", "retrying", "unknown", "created", "failed", "deleted"])]
    pub only: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --format html: chart this run's calls [default: the latest run that made calls].
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
}
