//! The tccli profile and the default region: where to look, decided without reading anything.
//! The wiring in `app` reads the files (credentials, `_sys_param.region`) from these choices.

use std::path::PathBuf;

use crate::api::credentials::Lookup;

use super::UsageError;

/// The tccli profile: its name (checked to be a file name, since it becomes one) and the home
/// directory its files are under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub home: Option<PathBuf>,
}

impl Profile {
    /// Checks `--profile NAME`: it names `~/.tccli/NAME.credential`, so it must not be empty or
    /// leave the directory.
    pub fn new(name: &str, home: Option<PathBuf>) -> Result<Profile, UsageError> {
        let bad = name.is_empty()
            || name == "."
            || name == ".."
            || name.contains(['/', '\\', '\0'])
            || name.chars().any(char::is_control);
        if bad {
            return Err(UsageError::Profile(name.chars().take(40).collect()));
        }
        Ok(Profile {
            name: name.to_owned(),
            home,
        })
    }

    /// `~/.tccli/NAME.EXT`, when there is a home directory.
    pub fn file(&self, ext: &str) -> Option<PathBuf> {
        self.home
            .as_ref()
            .map(|h| h.join(".tccli").join(format!("{}.{ext}", self.name)))
    }

    /// Where `api::credentials` looks for this profile, with `env` for the variables.
    pub fn lookup<'a>(&'a self, env: &'a dyn Fn(&str) -> Option<String>) -> Lookup<'a> {
        Lookup {
            env,
            profile: &self.name,
            home: self.home.clone(),
        }
    }
}

/// Where the default region (for rows without a `Region` value) comes from, first match wins:
/// `--region`, `TENCENTCLOUD_REGION`, `_sys_param.region` of `~/.tccli/PROFILE.configure`.
/// `run`, `run --dry-run` and `validate` all choose it here, so they agree on every manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionChoice {
    /// `--region R`.
    Flag(String),
    /// `TENCENTCLOUD_REGION`.
    Env(String),
    /// The profile's configure file, read when the command starts; it may hold no region.
    Profile(PathBuf),
    /// No home directory: only the manifest's `Region` values.
    Nowhere,
}

/// Chooses the source of the default region. An empty or blank value counts as unset, as it
/// does for the credential variables (a script's unset `$REGION` must not become a region).
pub fn choose_region(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    profile: &Profile,
) -> RegionChoice {
    if let Some(r) = flag.filter(|r| !r.trim().is_empty()) {
        return RegionChoice::Flag(r.to_owned());
    }
    if let Some(r) = env("TENCENTCLOUD_REGION").filter(|r| !r.trim().is_empty()) {
        return RegionChoice::Env(r);
    }
    match profile.file("configure") {
        Some(path) => RegionChoice::Profile(path),
        None => RegionChoice::Nowhere,
    }
}
