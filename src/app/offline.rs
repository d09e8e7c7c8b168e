//! The commands that send nothing: `validate` and `run --dry-run`. Both read the manifest with
//! the default region chosen by `settings` in the same way, so a manifest one accepts the other
//! accepts too. Their findings go to stdout as one JSON object with `--json`; otherwise the
//! problems are diagnostics on stderr and the dry run's plan is a table on stdout.

use std::path::{Path, PathBuf};

use crate::api::{credentials, regions};
use crate::cli::ValidateArgs;
use crate::exit::ExitCode;
use crate::manifest::{self, ManifestError, ManifestOptions, Plan};
use crate::report::diag::{self, Diag, Level};
use crate::report::validation::ValidationJson;
use crate::settings::{self, Input, Profile, RegionChoice, Service, Settings};

use super::stdin_spool::{self, Spool};
use super::{env_var, error, home, stdout};

/// The default region from its chosen source; reads the profile's configure file when that is
/// the source, and checks its region against the list of Tencent Cloud regions (a flag's or
/// the environment's was checked with the flags) unless `allow_unknown`. `Ok(None)` when there
/// is none: rows then need a `Region` value; the exit code (said on stderr) when the profile's
/// region is unknown.
pub(super) fn load_region(
    choice: &RegionChoice,
    profile: &Profile,
    allow_unknown: bool,
) -> Result<Option<String>, ExitCode> {
    let region = match choice {
        RegionChoice::Flag(r) | RegionChoice::Env(r) => Some(r.clone()),
        // The variables were looked at already; only the file is left.
        RegionChoice::Profile(path) => {
            let region = credentials::default_region(&profile.lookup(&|_| None));
            known(region.as_deref(), path, allow_unknown)?;
            region
        }
        RegionChoice::ProfileThenEnv(path, var) => {
            match credentials::default_region(&profile.lookup(&|_| None)) {
                Some(region) => {
                    known(Some(&region), path, allow_unknown)?;
                    Some(region)
                }
                // The variable was not checked with the flags: the file came first.
                None => match regions::unknown(var) {
                    Some(msg) if !allow_unknown => {
                        error(format!("TENCENTCLOUD_REGION {msg}"));
                        return Err(ExitCode::Usage);
                    }
                    _ => Some(var.clone()),
                },
            }
        }
        RegionChoice::Nowhere => None,
    };
    tracing::debug!("default region: {region:?} ({choice:?})");
    Ok(region)
}

/// Refuses a profile's region (`_sys_param.region` of `path`) that is not a Tencent Cloud
/// region, unless `allow_unknown`: said on stderr, exit 2.
fn known(region: Option<&str>, path: &Path, allow_unknown: bool) -> Result<(), ExitCode> {
    match region.and_then(regions::unknown) {
        Some(msg) if !allow_unknown => {
            error(format!("{}: _sys_param.region {msg}", path.display()));
            Err(ExitCode::Usage)
        }
        _ => Ok(()),
    }
}

/// How the manifest of `input` is read: its format and name when it came from stdin, and
/// whether a region not in the list is allowed.
pub(super) fn manifest_options(
    input: &Input,
    region: Option<String>,
    allow_unknown_region: bool,
) -> ManifestOptions {
    ManifestOptions::from_env(region)
        .with_format(input.format)
        .named(input.display_name())
        .allowing_unknown_regions(allow_unknown_region)
}

/// Refuses a manifest file that does not exist, with the file of its directory it most likely
/// meant: said before anything starts (the emulator, the credentials), which the engine would
/// say only after them.
pub(super) fn manifest_exists(input: &Input) -> Result<(), ExitCode> {
    if input.stdin || input.manifest.exists() {
        return Ok(());
    }
    let near = manifest::nearby::closest_file(&input.manifest);
    error(ManifestError::Missing {
        path: input.shown(),
        near: near.map(|p| p.display().to_string()),
    });
    Err(ExitCode::Usage)
}

/// The file to read `input` from: its path, or a private copy of stdin in `dir` (kept while
/// the returned guard lives). The exit code when stdin cannot be copied.
pub(super) fn materialize(
    input: &Input,
    dir: PathBuf,
) -> Result<(PathBuf, Option<Spool>), ExitCode> {
    let Some(format) = input.format.filter(|_| input.stdin) else {
        return Ok((input.manifest.clone(), None));
    };
    match stdin_spool::spool(&mut std::io::stdin().lock(), &dir, format) {
        Ok(spool) => Ok((spool.path().to_owned(), Some(spool))),
        Err(e) => {
            error(format!(
                "cannot copy the manifest from stdin into {}: {e}",
                dir.display()
            ));
            Err(ExitCode::Usage)
        }
    }
}

/// Prints a manifest's problems (or the error that stopped reading it) on stderr.
pub(super) fn print_problems(e: &ManifestError) {
    diag::print_manifest_error(e);
}

/// `bulkflow validate`: the manifest checked offline, every problem on stderr (or the whole
/// finding on stdout with `--json`).
pub(super) fn validate(args: &ValidateArgs) -> ExitCode {
    let s = match settings::resolve_validate(args, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    let (path, _spool) = match materialize(&s.input, stdin_spool::dir_for(None)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let region = match load_region(&s.region, &s.profile, s.allow_unknown_region) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let opts = manifest_options(&s.input, region, s.allow_unknown_region);
    let result = manifest::validate(&path, &opts);
    if s.json {
        let code = outcome(&result);
        return match stdout(&format!(
            "{}\n",
            ValidationJson::of(&s.input.shown(), &result).to_line()
        )) {
            ExitCode::Ok => code,
            other => other,
        };
    }
    match result {
        Ok(plan) => {
            let text = format!("{}: {} rows, valid", s.input.shown(), plan.rows);
            let mut d = Diag::new(Level::Info, &text)
                .field("manifest", s.input.shown())
                .field("rows", plan.rows);
            d.text = text;
            diag::emit(&d);
            ExitCode::Ok
        }
        Err(e) => {
            print_problems(&e);
            ExitCode::Usage
        }
    }
}

/// Exit 0 for a valid manifest, 2 otherwise.
fn outcome(result: &Result<Plan, ManifestError>) -> ExitCode {
    if result.is_ok() {
        ExitCode::Ok
    } else {
        ExitCode::Usage
    }
}

/// `bulkflow run --dry-run`: the plan on stdout (it is the output asked for), rows per region
/// and file system, as a table or (`--json`) the object `validate --json` writes. The endpoint
/// is checked for the manifest's regions, as the run would.
pub(super) fn dry_run(s: &Settings, manifest: &Path, region: Option<String>) -> ExitCode {
    let opts = manifest_options(&s.input, region, s.allow_unknown_region);
    let result = manifest::validate(manifest, &opts);
    if let (Ok(plan), Service::Api(endpoint)) = (&result, &s.service) {
        if let Err(e) = endpoint.check_regions(plan.per_group.keys().map(|(r, _)| r.as_str())) {
            error(e);
            return ExitCode::Usage;
        }
    }
    if s.json {
        let code = outcome(&result);
        let line = ValidationJson::of(&s.input.shown(), &result).to_line();
        return match stdout(&format!("{line}\n")) {
            ExitCode::Ok => code,
            other => other,
        };
    }
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => {
            print_problems(&e);
            return ExitCode::Usage;
        }
    };
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
