//! The CVM instance role, from the metadata service: plain http, reachable only from inside a
//! CVM, so a machine that is not one is told apart by a short connect timeout. Only a connection
//! refused or not made within that time means "not a CVM": a service that takes the connection
//! and then does not answer is a CVM's, failing for now, and is asked again before the run stops
//! (exit 3) naming it.

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
/// Questions for the role to a service that takes the connection but does not answer.
const ROLE_ATTEMPTS: u32 = 3;
/// The pause between them.
const ROLE_PAUSE: Duration = Duration::from_millis(500);

/// Why a GET gave no answer.
enum GetError {
    /// No connection: refused, not made in time, or the name does not resolve.
    Unreachable(String),
    /// Connected, but no complete answer (in time).
    NoAnswer(String),
}

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
        Metadata::with_timeouts(root, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// [`Metadata::new`] with other timeouts (tests).
    pub(super) fn with_timeouts(
        root: &str,
        connect: Duration,
        request: Duration,
    ) -> Result<Metadata, String> {
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
        crate::api::tls::ensure_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .timeout(request)
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
        let mut attempt = 1;
        let (status, body) = loop {
            match self.get(&self.roles).await {
                Ok(answer) => break answer,
                Err(GetError::Unreachable(e)) => {
                    return Err(NoRole::Absent(format!("not reachable ({e}): not a CVM?")))
                }
                Err(GetError::NoAnswer(_)) if attempt < ROLE_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(ROLE_PAUSE).await;
                }
                Err(GetError::NoAnswer(e)) => {
                    return Err(NoRole::Broken(format!(
                        "it took the connection but gave no answer ({e}), {ROLE_ATTEMPTS} times: a metadata service that is failing for now; run again"
                    )))
                }
            }
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
    async fn get(&self, url: &Url) -> Result<(u16, Vec<u8>), GetError> {
        let failed = |e: reqwest::Error| {
            let text = super::sts::short_error(&e);
            if e.is_connect() {
                GetError::Unreachable(text)
            } else {
                GetError::NoAnswer(text)
            }
        };
        let mut response = self.http.get(url.clone()).send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(GetError::NoAnswer("the answer is too large".into()));
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
        let (status, body) = self.metadata.get(&url).await.map_err(|e| {
            let (GetError::Unreachable(e) | GetError::NoAnswer(e)) = e;
            FetchError::transient(format!("{place}: {e}"))
        })?;
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

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A service that takes every connection and never answers; counts the connections.
    fn silent() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/latest/meta-data/",
            listener.local_addr().expect("addr")
        );
        let taken = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&taken);
        std::thread::spawn(move || {
            let mut open = Vec::new();
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                open.push(stream);
            }
        });
        (url, taken)
    }

    #[tokio::test]
    async fn a_service_that_takes_the_connection_and_stays_silent_is_a_cvms_failing_one() {
        let (url, taken) = silent();
        let md = Metadata::with_timeouts(&url, Duration::from_secs(1), Duration::from_millis(200))
            .expect("metadata");
        match md.role().await {
            Err(NoRole::Broken(reason)) => {
                assert!(reason.contains("gave no answer"), "{reason}");
                assert!(reason.contains("3 times"), "{reason}");
            }
            Err(NoRole::Absent(reason)) => panic!("taken for not a CVM: {reason}"),
            Ok(role) => panic!("a role: {role}"),
        }
        assert_eq!(taken.load(Ordering::SeqCst), ROLE_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn a_refused_connection_means_not_a_cvm() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("addr")
            .port();
        let md =
            Metadata::new(&format!("http://127.0.0.1:{port}/latest/meta-data/")).expect("metadata");
        assert!(matches!(md.role().await, Err(NoRole::Absent(_))));
    }
}
