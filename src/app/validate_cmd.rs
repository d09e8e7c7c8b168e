//! The commands that send nothing: `validate` and `run --dry-run`. Both read the manifest as
//! every command does (`inputs`). Their findings go to stdout as one JSON object with `--json`;
//! otherwise the problems are diagnostics on stderr and the dry run's plan is a table on stdout.

use std::path::Path;

use crate::cli::ValidateArgs;
use crate::manifest::{self, ManifestError, Plan};
use crate::report::diag::{self, Diag, Level};
use crate::report::validation::ValidationJson;
use crate::settings::{self, Service, Settings};

use super::failure::{Failure, Outcome};
use super::inputs::{load_region, manifest_options, materialize};
use super::{env_var, home, stdin_spool, stdout};

/// `bulkflow validate`: the manifest checked offline, every problem on stderr (or the whole
/// finding on stdout with `--json`).
pub(super) fn validate(args: &ValidateArgs) -> Outcome {
    let s = settings::resolve_validate(args, &env_var, home())?;
    let (path, _spool) = materialize(&s.input, stdin_spool::dir_for(None))?;
    let region = load_region(&s.region, &s.profile, s.allow_unknown_region)?;
    let opts = manifest_options(&s.input, region, s.allow_unknown_region);
    let result = manifest::validate(&path, &opts);
    if s.json {
        return json(&s.input.shown(), result);
    }
    let plan = result?;
    let text = format!("{}: {} rows, valid", s.input.shown(), plan.rows);
    let mut d = Diag::new(Level::Info, &text)
        .field("manifest", s.input.shown())
        .field("rows", plan.rows);
    d.text = text;
    diag::emit(&d);
    Ok(())
}

/// The finding as one JSON object on stdout: exit 0 for a valid manifest, 2 otherwise.
fn json(shown: &str, result: Result<Plan, ManifestError>) -> Outcome {
    stdout(&format!(
        "{}\n",
        ValidationJson::of(shown, &result).to_line()
    ))?;
    result.map(|_| ()).map_err(|_| Failure::ManifestShown)
}

/// `bulkflow run --dry-run`: the plan on stdout (it is the output asked for), rows per region
/// and file system, as a table or (`--json`) the object `validate --json` writes. The endpoint
/// is checked for the manifest's regions, as the run would.
pub(super) fn dry_run(s: &Settings, manifest: &Path, region: Option<String>) -> Outcome {
    let opts = manifest_options(&s.input, region, s.allow_unknown_region);
    let result = manifest::validate(manifest, &opts);
    if let (Ok(plan), Service::Api(endpoint)) = (&result, &s.service) {
        endpoint
            .check_regions(plan.per_group.keys().map(|(r, _)| r.as_str()))
            .map_err(|e| Failure::Usage(e.to_string()))?;
    }
    if s.json {
        return json(&s.input.shown(), result);
    }
    let plan = result?;
    let mut out = format!(
        "{}: {} rows; nothing sent (dry run)\n{:<20} {:<24} {:>8}\n",
        s.input.shown(),
        plan.rows,
        "region",
        "file system",
        "rows"
    );
    for ((region, fs), n) in &plan.per_group {
        out.push_str(&format!("{region:<20} {fs:<24} {n:>8}\n"));
    }
    stdout(&out)
}
