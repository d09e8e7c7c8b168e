//! The CVM instance role, from the metadata service: plain http, reachable only from inside a
//! CVM, so a machine that is not one is told apart by a short connect timeout.

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::provider::{BoxFuture, Fetch, FetchError, Issued};
use super::{bad_value, Credentials};
use crate::secret::Secret;

/// The metadata service's root, overridable with `BULKFLOW_METADATA_URL` (tests, rehearsals).
pub const DEFAULT_METADATA_URL: &str = "http://metadata.tencentyun.com/latest/meta-data/";

/// The variable that replaces [`DEFAULT_METADATA_URL`].
pub const METADATA_URL_VAR: &str = "BULKFLOW_METADATA_URL";

/// How long to wait for a connection: the metadata service answers at once on a CVM.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one request may take in all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// The metadata service of one machine.
pub struct Metadata {
    http: reqwest::Client,
    /// `.../cam/security-credentials/`.
    roles: Url,
}

/// What asking for the role gave when it gave none: the reason, for the list of places tried.
pub enum NoRole {
    /// Not reachable (not a CVM), or no role bound: the chain goes on.
    Absent(String),
    /// It answered, but not as the metadata service does.
    Broken(String),
}

impl Metadata {
    /// The service at `root` (a URL ending in `/`, e.g. [`DEFAULT_METADATA_URL`]), never
    /// through a proxy. An error names what is wrong with `root`.
    pub fn new(root: &str) -> Result<Metadata, String> {
        let mut root = root.trim().to_owned();
        if !root.ends_with('/') {
            root.push('/');
        }
        let base = Url::parse(&root).map_err(|_| "not a URL".to_owned())?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err("not an http:// or https:// URL".to_owned());
        }
        let roles = base
            .join("cam/security-credentials/")
            .map_err(|_| "not a URL".to_owned())?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Metadata { http, roles })
    }

    /// Where the role is asked for, for messages.
    pub fn roles_url(&self) -> &str {
        self.roles.as_str()
    }

    /// The name of the role bound to this instance.
    pub async fn role(&self) -> Result<String, NoRole> {
        let (status, body) = match self.get(&self.roles).await {
            Ok(answer) => answer,
            Err(e) => return Err(NoRole::Absent(format!("not reachable ({e}): not a CVM?"))),
        };
        if status == 404 {
            return Err(NoRole::Absent("no CAM role bound to this instance".into()));
        }
        if status != 200 {
            return Err(NoRole::Broken(format!("HTTP {status}")));
        }
        let text = String::from_utf8_lossy(&body);
        let role = text.lines().map(str::trim).find(|l| !l.is_empty());
        match role {
            Some(r) if is_role_name(r) => Ok(r.to_owned()),
            Some(_) => Err(NoRole::Broken("the answer is not a role name".into())),
            None => Err(NoRole::Absent("no CAM role bound to this instance".into())),
        }
    }

    /// One GET: status and body, at most [`MAX_ANSWER`] bytes of it.
    async fn get(&self, url: &Url) -> Result<(u16, Vec<u8>), String> {
        let mut response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| super::sts::short_error(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| super::sts::short_error(&e))?
        {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err("the answer is too large".into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

/// CAM role names: letters, digits and `+=,.@_-`, at most 128 characters.
fn is_role_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleCredentials {
    tmp_secret_id: Option<String>,
    tmp_secret_key: Option<String>,
    token: Option<String>,
    expired_time: Option<u64>,
    code: Option<String>,
}

/// The instance role's credentials, asked for again at every refresh.
pub struct CvmRole {
    pub metadata: Metadata,
    pub role: String,
    pub description: String,
}

impl CvmRole {
    async fn fetch_now(&self) -> Result<Issued, FetchError> {
        let url = self
            .metadata
            .roles
            .join(&self.role)
            .map_err(|_| FetchError::permanent("the role name does not make a URL"))?;
        let place = format!("the metadata service ({})", self.metadata.roles_url());
        let (status, body) = self
            .metadata
            .get(&url)
            .await
            .map_err(|e| FetchError::transient(format!("{place}: {e}")))?;
        if status != 200 {
            let message = format!("{place}: HTTP {status} for role {:?}", self.role);
            return Err(if status >= 500 {
                FetchError::transient(message)
            } else {
                FetchError::permanent(message)
            });
        }
        // Never quote the answer: it holds the key.
        let c: RoleCredentials = serde_json::from_slice(&body).map_err(|_| {
            FetchError::permanent(format!("{place}: the answer is not the credentials' JSON"))
        })?;
        if let Some(code) = c.code.as_deref().filter(|c| *c != "Success") {
            let code: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .take(64)
                .collect();
            return Err(FetchError::permanent(format!(
                "{place}: Code {code} instead of Success"
            )));
        }
        let field = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| FetchError::permanent(format!("{place}: the answer has no {name}")))
        };
        let id = field(c.tmp_secret_id, "TmpSecretId")?;
        let key = field(c.tmp_secret_key, "TmpSecretKey")?;
        let token = field(c.token, "Token")?;
        let expires = c.expired_time.ok_or_else(|| {
            FetchError::permanent(format!("{place}: the answer has no ExpiredTime"))
        })?;
        let values = [
            ("TmpSecretId", &id[..]),
            ("TmpSecretKey", &key),
            ("Token", &token),
        ];
        if let Some(problem) = bad_value(&values) {
            return Err(FetchError::permanent(format!(
                "{place}: the answer's {problem}; no call can be signed with it"
            )));
        }
        Ok(Issued {
            credentials: Credentials {
                secret_id: id,
                secret_key: Secret::new(key),
                token: Some(Secret::new(token)),
                source: self.description.clone(),
            },
            expires_at_ms: expires.saturating_mul(1000),
        })
    }
}

impl Fetch for CvmRole {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>> {
        Box::pin(self.fetch_now())
    }
}
