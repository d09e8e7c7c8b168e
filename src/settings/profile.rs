//! The tccli profile and the default region: where to look, decided without reading anything.
//! The wiring in `app` reads the files (credentials, `_sys_param.region`) from these choices.

use std::path::PathBuf;

use crate::api::credentials::{Lookup, SYSTEM_CREDENTIALS_FILE};

use super::UsageError;

/// The tccli profile: its name (checked to be a file name, since it becomes one), whether it
/// was named (then it is the only source of credentials, as in tccli), and the home directory
/// its files are under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// Named by `--profile` or `TCCLI_PROFILE`, rather than the `default` of the chain.
    pub explicit: bool,
    pub home: Option<PathBuf>,
}

/// True when `name` cannot be a profile's file name.
fn bad_name(name: &str) -> bool {
    name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control)
}

impl Profile {
    /// Checks `--profile NAME`: it names `~/.tccli/NAME.credential`, so it must not be empty or
    /// leave the directory. The profile is explicit.
    pub fn new(name: &str, home: Option<PathBuf>) -> Result<Profile, UsageError> {
        if bad_name(name) {
            return Err(UsageError::Profile(name.chars().take(40).collect()));
        }
        Ok(Profile {
            name: name.to_owned(),
            explicit: true,
            home,
        })
    }

    /// The profile named by `--profile` (`flag`), else by `TCCLI_PROFILE`, else `default`, not
    /// explicit. A blank `TCCLI_PROFILE` counts as unset.
    pub fn choose(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
    ) -> Result<Profile, UsageError> {
        if let Some(name) = flag {
            return Profile::new(name, home);
        }
        match env("TCCLI_PROFILE").filter(|v| !v.trim().is_empty()) {
            Some(name) if bad_name(&name) => {
                Err(UsageError::ProfileEnv(name.chars().take(40).collect()))
            }
            Some(name) => Profile::new(&name, home),
            None => Ok(Profile {
                name: "default".to_owned(),
                explicit: false,
                home,
            }),
        }
    }

    /// `~/.tccli/NAME.EXT`, when there is a home directory.
    pub fn file(&self, ext: &str) -> Option<PathBuf> {
        self.home
            .as_ref()
            .map(|h| h.join(".tccli").join(format!("{}.{ext}", self.name)))
    }

    /// Where `api::credentials` looks, with `env` for the variables.
    pub fn lookup<'a>(&'a self, env: &'a dyn Fn(&str) -> Option<String>) -> Lookup<'a> {
        Lookup {
            env,
            profile: &self.name,
            explicit: self.explicit,
            home: self.home.clone(),
            system_file: PathBuf::from(SYSTEM_CREDENTIALS_FILE),
        }
    }
}

/// Where the default region (for rows without a `Region` value) comes from, first match wins:
/// `--region`, `TENCENTCLOUD_REGION`, `_sys_param.region` of `~/.tccli/PROFILE.configure`; with
/// a named profile (`--profile`, `TCCLI_PROFILE`), its region comes before the variable, as in
/// tccli. `run`, `run --dry-run` and `validate` all choose it here, so they agree on every
/// manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionChoice {
    /// `--region R`.
    Flag(String),
    /// `TENCENTCLOUD_REGION`.
    Env(String),
    /// The profile's configure file, read when the command starts; it may hold no region.
    Profile(PathBuf),
    /// A named profile's configure file, and `TENCENTCLOUD_REGION` when the file holds none.
    ProfileThenEnv(PathBuf, String),
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
    let var = env("TENCENTCLOUD_REGION").filter(|r| !r.trim().is_empty());
    match (profile.file("configure"), var) {
        (Some(path), Some(r)) if profile.explicit => RegionChoice::ProfileThenEnv(path, r),
        (_, Some(r)) => RegionChoice::Env(r),
        (Some(path), None) => RegionChoice::Profile(path),
        (None, None) => RegionChoice::Nowhere,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_profile_is_explicit_and_the_flag_wins_over_tccli_profile() {
        let home = Some(PathBuf::from("/home/u"));
        let env_prod = |k: &str| (k == "TCCLI_PROFILE").then(|| "prod".to_owned());
        let env_blank = |k: &str| (k == "TCCLI_PROFILE").then(|| " ".to_owned());
        let env_bad = |k: &str| (k == "TCCLI_PROFILE").then(|| "../x".to_owned());
        let none = |_: &str| None;
        // (flag, environment, name, explicit)
        type Env<'a> = &'a dyn Fn(&str) -> Option<String>;
        let table: [(Option<&str>, Env<'_>, &str, bool); 5] = [
            (None, &none, "default", false),
            (None, &env_blank, "default", false),
            (None, &env_prod, "prod", true),
            (Some("test"), &env_prod, "test", true),
            (Some("default"), &none, "default", true),
        ];
        for (flag, env, name, explicit) in table {
            let p = Profile::choose(flag, env, home.clone()).unwrap();
            assert_eq!((p.name.as_str(), p.explicit), (name, explicit), "{flag:?}");
            let l = p.lookup(env);
            assert_eq!((l.profile, l.explicit), (name, explicit));
        }
        let e = Profile::choose(None, &env_bad, home.clone()).unwrap_err();
        assert!(e.to_string().starts_with("TCCLI_PROFILE "), "{e}");
        let e = Profile::choose(Some("a/b"), &env_prod, home).unwrap_err();
        assert!(e.to_string().starts_with("--profile "), "{e}");
    }
}
