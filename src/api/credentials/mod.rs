//! Where the API key comes from: the environment first, then the tccli profile.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secret::Secret;

/// An API key pair, with the session token of temporary credentials. `Debug` and `Display` show
/// only the start of the id.
#[derive(Clone)]
pub struct Credentials {
    pub secret_id: String,
    pub secret_key: Secret,
    pub token: Option<Secret>,
    /// Where they were found, for messages: `environment` or the profile's path.
    pub source: String,
}

impl Credentials {
    /// The id cut to its first four characters, for messages.
    pub fn masked_id(&self) -> String {
        let head: String = self.secret_id.chars().take(4).collect();
        format!("{head}***")
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.masked_id())
            .field("secret_key", &"***")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.masked_id(), self.source)
    }
}

/// Why no credentials could be had. Messages name the places tried, never a value.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("no API credentials found; tried: {}", .tried.join("; "))]
    NotFound { tried: Vec<String> },
    #[error("{0} is set but {1} is not: set both")]
    HalfSet(&'static str, &'static str),
    #[error("{path}: not a tccli credential file ({reason})")]
    BadProfile { path: String, reason: String },
}

/// Where to look: the environment through a function (so tests can fake it), the profile name,
/// and the home directory.
pub struct Lookup<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub profile: &'a str,
    pub home: Option<PathBuf>,
}

impl Lookup<'_> {
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.trim().is_empty())
    }

    fn profile_file(&self, ext: &str) -> Option<PathBuf> {
        self.home
            .as_ref()
            .map(|h| h.join(".tccli").join(format!("{}.{ext}", self.profile)))
    }
}

#[derive(Deserialize)]
struct ProfileCredential {
    #[serde(rename = "secretId")]
    secret_id: Option<String>,
    #[serde(rename = "secretKey")]
    secret_key: Option<String>,
    token: Option<String>,
}

/// Finds credentials: `TENCENTCLOUD_SECRET_ID`/`TENCENTCLOUD_SECRET_KEY` (and
/// `TENCENTCLOUD_TOKEN`), then `~/.tccli/<profile>.credential`.
pub fn load(lookup: &Lookup<'_>) -> Result<Credentials, CredentialsError> {
    let token = lookup.var("TENCENTCLOUD_TOKEN").map(Secret::new);
    match (
        lookup.var("TENCENTCLOUD_SECRET_ID"),
        lookup.var("TENCENTCLOUD_SECRET_KEY"),
    ) {
        (Some(id), Some(key)) => {
            return Ok(Credentials {
                secret_id: id,
                secret_key: Secret::new(key),
                token,
                source: "environment".into(),
            })
        }
        (Some(_), None) => {
            return Err(CredentialsError::HalfSet(
                "TENCENTCLOUD_SECRET_ID",
                "TENCENTCLOUD_SECRET_KEY",
            ))
        }
        (None, Some(_)) => {
            return Err(CredentialsError::HalfSet(
                "TENCENTCLOUD_SECRET_KEY",
                "TENCENTCLOUD_SECRET_ID",
            ))
        }
        (None, None) => {}
    }
    let mut tried = vec!["TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY are not set".to_owned()];
    match lookup.profile_file("credential") {
        Some(path) => match std::fs::read(&path) {
            Ok(bytes) => return from_profile(&path, &bytes),
            Err(e) => tried.push(format!("{}: {e}", path.display())),
        },
        None => tried.push("no home directory for ~/.tccli".into()),
    }
    Err(CredentialsError::NotFound { tried })
}

fn from_profile(path: &Path, bytes: &[u8]) -> Result<Credentials, CredentialsError> {
    let bad = |reason: &str| CredentialsError::BadProfile {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    };
    // serde_json's type errors can quote values; say only what is wrong.
    let p: ProfileCredential =
        serde_json::from_slice(bytes).map_err(|_| bad("expected a JSON object"))?;
    let id = p
        .secret_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no secretId"))?;
    let key = p
        .secret_key
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no secretKey"))?;
    Ok(Credentials {
        secret_id: id,
        secret_key: Secret::new(key),
        token: p.token.filter(|t| !t.is_empty()).map(Secret::new),
        source: path.display().to_string(),
    })
}

/// The default region: `TENCENTCLOUD_REGION`, then `_sys_param.region` of
/// `~/.tccli/<profile>.configure`. `None` when neither is set.
pub fn default_region(lookup: &Lookup<'_>) -> Option<String> {
    if let Some(r) = lookup.var("TENCENTCLOUD_REGION") {
        return Some(r);
    }
    let bytes = std::fs::read(lookup.profile_file("configure")?).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("_sys_param")?
        .get("region")?
        .as_str()
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup<'a>(env: &'a dyn Fn(&str) -> Option<String>, home: Option<PathBuf>) -> Lookup<'a> {
        Lookup {
            env,
            profile: "default",
            home,
        }
    }

    #[test]
    fn environment_comes_first() {
        let vars: HashMap<&str, &str> = [
            ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
            ("TENCENTCLOUD_SECRET_KEY", "envkey-SECRET"),
            ("TENCENTCLOUD_TOKEN", "tok-SECRET"),
        ]
        .into();
        let env = move |k: &str| vars.get(k).map(|v| v.to_string());
        let c = load(&lookup(&env, None)).unwrap();
        assert_eq!(c.secret_id, "AKIDenv");
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("tok-SECRET"));
        let shown = format!("{c:?} {c}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("AKIDenv"),
            "{shown}"
        );
    }

    #[test]
    fn half_set_environment_is_an_error() {
        let env = |k: &str| (k == "TENCENTCLOUD_SECRET_ID").then(|| "x".to_string());
        let e = load(&lookup(&env, None)).unwrap_err();
        assert!(e.to_string().contains("TENCENTCLOUD_SECRET_KEY"));
    }

    #[test]
    fn profile_file_then_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = |_: &str| None;
        let e = load(&lookup(&env, Some(dir.path().into()))).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("TENCENTCLOUD_SECRET_ID") && msg.contains("default.credential"),
            "{msg}"
        );

        std::fs::create_dir(dir.path().join(".tccli")).unwrap();
        std::fs::write(
            dir.path().join(".tccli/default.credential"),
            r#"{"secretId": "AKIDprof", "secretKey": "profkey-SECRET", "token": ""}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".tccli/default.configure"),
            r#"{"_sys_param": {"region": "ap-shanghai", "output": "json"}}"#,
        )
        .unwrap();
        let c = load(&lookup(&env, Some(dir.path().into()))).unwrap();
        assert_eq!(c.secret_id, "AKIDprof");
        assert!(c.token.is_none());
        assert_eq!(
            default_region(&lookup(&env, Some(dir.path().into()))).as_deref(),
            Some("ap-shanghai")
        );

        std::fs::write(
            dir.path().join(".tccli/default.credential"),
            r#"{"secretId": 5}"#,
        )
        .unwrap();
        let e = load(&lookup(&env, Some(dir.path().into()))).unwrap_err();
        assert!(e.to_string().contains("not a tccli credential file"));
    }
}
