//! The commands that send nothing: `validate` and `run --dry-run`. Both read the manifest with
//! the default region chosen by `settings` in the same way, so a manifest one accepts the other
//! accepts too.

use crate::api::credentials;
use crate::cli::ValidateArgs;
use crate::exit::ExitCode;
use crate::manifest::{self, ManifestError, ManifestOptions, Plan};
use crate::settings::{self, Profile, RegionChoice, Service, Settings};

use super::{env_var, error, home};

/// The default region from its chosen source; reads the profile's configure file when that is
/// the source. `None` when there is none: rows then need a `Region` value.
pub(super) fn load_region(choice: &RegionChoice, profile: &Profile) -> Option<String> {
    let region = match choice {
        RegionChoice::Flag(r) | RegionChoice::Env(r) => Some(r.clone()),
        // The variables were looked at already; only the file is left.
        RegionChoice::Profile(_) => credentials::default_region(&profile.lookup(&|_| None)),
        RegionChoice::Nowhere => None,
    };
    tracing::debug!("default region: {region:?} ({choice:?})");
    region
}

/// Prints a manifest's problems (or the error that stopped reading it) on stderr.
pub(super) fn print_problems(e: &ManifestError) {
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

/// Validates the manifest with the default region `region`; the problems are printed.
fn check(manifest: &std::path::Path, region: Option<String>) -> Result<Plan, ExitCode> {
    manifest::validate(manifest, &ManifestOptions::from_env(region)).map_err(|e| {
        print_problems(&e);
        ExitCode::Usage
    })
}

/// `bulkflow validate`: the manifest checked offline, every problem on stderr.
pub(super) fn validate(args: &ValidateArgs) -> ExitCode {
    let s = match settings::resolve_validate(args, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    match check(&s.manifest, load_region(&s.region, &s.profile)) {
        Ok(plan) => {
            eprintln!("{}: {} rows, valid", s.manifest.display(), plan.rows);
            ExitCode::Ok
        }
        Err(code) => code,
    }
}

/// `bulkflow run --dry-run`: the plan on stdout (it is the output asked for), rows per region
/// and file system. The endpoint is checked for the manifest's regions, as the run would.
pub(super) fn dry_run(s: &Settings, region: Option<String>) -> ExitCode {
    let plan = match check(&s.manifest, region) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    if let Service::Api(endpoint) = &s.service {
        if let Err(e) = endpoint.check_regions(plan.per_group.keys().map(|(r, _)| r.as_str())) {
            error(e);
            return ExitCode::Usage;
        }
    }
    println!(
        "{}: {} rows; nothing sent (dry run)",
        s.manifest.display(),
        plan.rows
    );
    println!("{:<20} {:<24} {:>8}", "region", "file system", "rows");
    for ((region, fs), n) in &plan.per_group {
        println!("{region:<20} {fs:<24} {n:>8}");
    }
    ExitCode::Ok
}
