//! What a command reads before it starts, from the choices `settings` made: the default region
//! (from the profile's file when that is its source), the manifest (a file that must exist, or
//! a private copy of stdin) and how it is read. Every command reads them the same way, so a
//! manifest one accepts the others accept too.

use std::path::{Path, PathBuf};

use crate::api::{credentials, regions};
use crate::manifest::{self, ManifestError, ManifestOptions};
use crate::settings::{Input, Profile, RegionChoice};

use super::failure::Failure;
use super::stdin_spool::{self, Spool};

/// The default region from its chosen source; reads the profile's configure file when that is
/// the source, and checks its region against the list of Tencent Cloud regions (a flag's or
/// the environment's was checked with the flags) unless `allow_unknown`. `Ok(None)` when there
/// is none: rows then need a `Region` value.
pub(super) fn load_region(
    choice: &RegionChoice,
    profile: &Profile,
    allow_unknown: bool,
) -> Result<Option<String>, Failure> {
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
                        return Err(Failure::Usage(format!("TENCENTCLOUD_REGION {msg}")));
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
/// region, unless `allow_unknown`.
fn known(region: Option<&str>, path: &Path, allow_unknown: bool) -> Result<(), Failure> {
    match region.and_then(regions::unknown) {
        Some(msg) if !allow_unknown => Err(Failure::Usage(format!(
            "{}: _sys_param.region {msg}",
            path.display()
        ))),
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
pub(super) fn manifest_exists(input: &Input) -> Result<(), Failure> {
    if input.stdin || input.manifest.exists() {
        return Ok(());
    }
    let near = manifest::nearby::closest_file(&input.manifest);
    Err(Failure::Manifest(ManifestError::Missing {
        path: input.shown(),
        near: near.map(|p| p.display().to_string()),
    }))
}

/// The file to read `input` from: its path, or a private copy of stdin in `dir` (kept while
/// the returned guard lives).
pub(super) fn materialize(
    input: &Input,
    dir: PathBuf,
) -> Result<(PathBuf, Option<Spool>), Failure> {
    let Some(format) = input.format.filter(|_| input.stdin) else {
        return Ok((input.manifest.clone(), None));
    };
    match stdin_spool::spool(&mut std::io::stdin().lock(), &dir, format) {
        Ok(spool) => Ok((spool.path().to_owned(), Some(spool))),
        Err(e) => Err(Failure::Usage(format!(
            "cannot copy the manifest from stdin into {}: {e}",
            dir.display()
        ))),
    }
}
