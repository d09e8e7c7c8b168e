//! Where the API key comes from, in the order of Tencent Cloud's own tools (tccli and the SDKs),
//! and keeping temporary credentials fresh for a run that outlives them.
//!
//! [`discover`] walks the chain (see [`chain`]) and returns a [`CredentialProvider`]: fixed keys,
//! or temporary ones that it refreshes before they expire. The client asks the provider for the
//! current credentials at the moment it signs each call.

pub mod chain;
mod files;
mod metadata;
pub mod plan;
pub mod provider;
mod sts;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_tests;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::secret::{mask_id, Secret};

pub use chain::{discover, plan};
pub use plan::Plan;
pub use provider::{Clock, CredentialProvider, Fetch, FetchError, Issued, Signing};

/// The credentials file of the SDKs for the whole machine, read after `~/.tencentcloud`.
pub const SYSTEM_CREDENTIALS_FILE: &str = "/etc/tencentcloud/credentials";

/// An API key pair, with the session token of temporary credentials. `Debug` and `Display` show
/// only the start of the id.
#[derive(Clone)]
pub struct Credentials {
    pub secret_id: String,
    pub secret_key: Secret,
    pub token: Option<Secret>,
    /// Where they were found, for messages: `environment`, a file's path, a role.
    pub source: String,
}

impl Credentials {
    /// The id cut to its first four characters, for messages.
    pub fn masked_id(&self) -> String {
        mask_id(&self.secret_id)
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
    #[error("no API credentials found; looked at, in order: {}", .tried.join("; "))]
    NotFound { tried: Vec<String> },
    #[error("{0} is set but {1} is not: set both")]
    HalfSet(&'static str, &'static str),
    #[error("{path}: not a tccli credential file ({reason})")]
    BadProfile { path: String, reason: String },
    #[error("{path}: not a credentials file of the SDKs ({reason})")]
    BadFile { path: String, reason: String },
    #[error("{name}: {reason}")]
    BadSetting { name: &'static str, reason: String },
    /// The chosen source exists but gave no credentials: the metadata service or STS failed or
    /// refused.
    #[error("{source_name}: {reason}")]
    Unavailable { source_name: String, reason: String },
}

impl CredentialsError {
    /// True when a service was asked and refused or failed (exit 3); the others are mistakes in
    /// the configuration, found before anything was sent (exit 2).
    pub fn is_service_failure(&self) -> bool {
        matches!(self, CredentialsError::Unavailable { .. })
    }
}

/// Where to look: the environment through a function (so tests can fake it), the tccli profile,
/// the home directory, and the machine-wide credentials file.
pub struct Lookup<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The tccli profile's name (`default` unless named).
    pub profile: &'a str,
    /// True when the profile was named (`--profile` or `TCCLI_PROFILE`): then it is the only
    /// source, as in tccli.
    pub explicit: bool,
    pub home: Option<PathBuf>,
    /// [`SYSTEM_CREDENTIALS_FILE`], or a test's own file.
    pub system_file: PathBuf,
}

impl Lookup<'_> {
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.trim().is_empty())
    }

    fn profile_file(&self, ext: &str) -> Option<PathBuf> {
        self.tccli_file(self.profile, ext)
    }

    fn tccli_file(&self, profile: &str, ext: &str) -> Option<PathBuf> {
        self.home
            .as_ref()
            .map(|h| h.join(".tccli").join(format!("{profile}.{ext}")))
    }

    /// `path` for messages: `~/...` when under the home directory.
    fn shown(&self, path: &Path) -> String {
        match self.home.as_ref().and_then(|h| path.strip_prefix(h).ok()) {
            Some(rest) => format!("~/{}", rest.display()),
            None => path.display().to_string(),
        }
    }
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

/// What makes a credential value unusable, said without quoting it; `None` for a value that can
/// be sent. A SecretId and a token travel in HTTP headers, which cannot carry a line break or a
/// control character, and every key Tencent Cloud issues is printable ASCII without spaces: a
/// value with anything else comes from a file with CRLF line endings, a paste or a broken
/// service, and would only fail every call.
pub fn value_problem(value: &str) -> Option<&'static str> {
    if value.ends_with('\r') {
        Some("ends with a carriage return (\\r): a file with Windows (CRLF) line endings?")
    } else if value.contains(['\r', '\n']) {
        Some("holds a line break")
    } else if value.chars().any(char::is_control) {
        Some("holds a control character")
    } else if value.chars().any(char::is_whitespace) {
        Some("holds a space")
    } else if !value.is_ascii() {
        Some("holds a character outside ASCII")
    } else {
        None
    }
}

/// The first of `values` (a name for messages, the value) that cannot be sent, as
/// `NAME problem`.
pub fn bad_value(values: &[(&str, &str)]) -> Option<String> {
    values
        .iter()
        .find_map(|(name, v)| value_problem(v).map(|p| format!("{name} {p}")))
}

/// The role's name in an ARN (`qcs::cam::uin/100000000001:roleName/migrate` is `migrate`), for
/// messages; the whole ARN when it has no `roleName/`.
pub fn role_name(arn: &str) -> &str {
    arn.rsplit_once("roleName/").map_or(arn, |(_, name)| name)
}
