//! STS (`sts`, version `2018-08-13`): `AssumeRole`, signed with long-lived keys, and
//! `AssumeRoleWithWebIdentity` (TKE OIDC), not signed. Both answer temporary credentials.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use super::provider::{BoxFuture, Fetch, FetchError, Issued};
use super::{bad_value, Credentials};
use crate::api::answer::{interpret, source_chain};
use crate::api::client::http_client;
use crate::api::endpoint::{Endpoint, Target};
use crate::api::sign::{self, SignInput};
use crate::api::untrusted::Scrubber;
use crate::api::OutcomeClass;
use crate::secret::Secret;

/// STS's endpoint, overridable with `BULKFLOW_STS_ENDPOINT` (tests, rehearsals).
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com";
/// The variable that replaces [`DEFAULT_STS_ENDPOINT`].
pub const STS_ENDPOINT_VAR: &str = "BULKFLOW_STS_ENDPOINT";
/// STS's API version.
pub const STS_VERSION: &str = "2018-08-13";
/// The region the SDKs send AssumeRole to.
pub const STS_REGION: &str = "ap-guangzhou";
/// How long the credentials asked for live, as the SDKs ask.
pub const DURATION_SECS: u64 = 7200;
const TIMEOUT: Duration = Duration::from_secs(10);

/// One STS endpoint and its HTTP client.
pub struct Sts {
    http: reqwest::Client,
    target: Target,
}

impl Sts {
    /// STS at `endpoint` (https, or http on loopback). An error says what is wrong with it.
    pub fn new(endpoint: &str) -> Result<Sts, String> {
        let target = Endpoint::parse(endpoint)
            .and_then(|e| e.resolve(STS_REGION))
            .map_err(|e| e.to_string().replace("--endpoint", "the STS endpoint"))?;
        let direct = target.is_loopback();
        let http = http_client(TIMEOUT, direct, true)
            .or_else(|_| http_client(TIMEOUT, direct, false))
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Sts { http, target })
    }

    /// Sends `action` with `params`; signs it with `signer` (none: `Authorization: SKIP`).
    /// `secrets` are hidden from any text the answer holds.
    async fn call(
        &self,
        action: &str,
        region: &str,
        params: &Value,
        signer: Option<&Credentials>,
        secrets: &[&Secret],
    ) -> Result<Issued, FetchError> {
        let place = format!("STS {action} ({})", self.target.host);
        let body = serde_json::to_vec(params).unwrap_or_default();
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let content_type = "application/json";
        let authorization = match signer {
            Some(c) => sign::authorization(&SignInput {
                secret_id: &c.secret_id,
                secret_key: c.secret_key.expose(),
                service: "sts",
                host: &self.target.host,
                content_type,
                timestamp,
                payload: &body,
            }),
            None => "SKIP".to_owned(),
        };
        let mut request = self
            .http
            .post(self.target.url.clone())
            .header(CONTENT_TYPE, content_type)
            .header("Authorization", authorization)
            .header("X-TC-Action", action)
            .header("X-TC-Version", STS_VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", region)
            .body(body);
        if let Some(token) = signer.and_then(|c| c.token.as_ref()) {
            request = request.header("X-TC-Token", token.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::transient(format!("{place}: {}", short_error(&e))))?;
        let status = response.status().as_u16();
        let answer_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| FetchError::transient(format!("{place}: {}", short_error(&e))))?;
        // Checked as they came: cleaning the answer escapes a control character, which would
        // hide it.
        if let Some(problem) = unsendable(&bytes) {
            return Err(FetchError::permanent(format!(
                "{place}: the answer's {problem}; no call can be signed with it"
            )));
        }
        let id = signer.map_or("", |c| c.secret_id.as_str());
        let scrubber = Scrubber::new(secrets, id);
        let (resp, _) =
            interpret(status, answer_type.as_deref(), &bytes, &scrubber).map_err(|e| {
                let message = format!("{place}: {e}");
                match e.class {
                    OutcomeClass::Transient | OutcomeClass::Throttled | OutcomeClass::Unknown => {
                        FetchError::transient(message)
                    }
                    _ => FetchError::permanent(message),
                }
            })?;
        issued(&resp, signer.map_or("", |c| c.source.as_str()))
            .map_err(|what| FetchError::permanent(format!("{place}: {what}")))
    }
}

/// What makes the credentials of a raw STS answer unusable (a line break, a space), if anything.
fn unsendable(bytes: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let c = v.get("Response")?.get("Credentials")?;
    let field = |name| c.get(name).and_then(Value::as_str).unwrap_or_default();
    bad_value(&[
        ("TmpSecretId", field("TmpSecretId")),
        ("TmpSecretKey", field("TmpSecretKey")),
        ("Token", field("Token")),
    ])
}

/// The credentials of an STS answer's `Response`; what is wrong with it when they are missing
/// or cannot be sent.
fn issued(resp: &Value, source: &str) -> Result<Issued, String> {
    let none = |name: &str| format!("the answer has no {name}");
    let c = resp.get("Credentials").ok_or_else(|| none("Credentials"))?;
    let text = |name: &str| {
        c.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| none(name))
    };
    let expires = resp
        .get("ExpiredTime")
        .and_then(Value::as_u64)
        .ok_or_else(|| none("ExpiredTime"))?;
    let (id, key, token) = (text("TmpSecretId")?, text("TmpSecretKey")?, text("Token")?);
    let values = [
        ("TmpSecretId", &id[..]),
        ("TmpSecretKey", &key),
        ("Token", &token),
    ];
    if let Some(problem) = bad_value(&values) {
        return Err(format!(
            "the answer's {problem}; no call can be signed with it"
        ));
    }
    Ok(Issued {
        credentials: Credentials {
            secret_id: id,
            secret_key: Secret::new(key),
            token: Some(Secret::new(token)),
            source: source.to_owned(),
        },
        expires_at_ms: expires.saturating_mul(1000),
    })
}

/// A reqwest error in one line, without the URL's query (there is none) or anything sent.
pub fn short_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        format!("could not connect: {}", source_chain(e))
    } else {
        source_chain(e)
    }
}

/// A role session name: `bulkflow-` and the Unix time, as the SDKs make theirs.
pub fn default_session_name() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("bulkflow-{secs}")
}

/// `AssumeRole` with long-lived keys.
pub struct AssumeRole {
    pub sts: Sts,
    pub keys: Credentials,
    pub role_arn: String,
    pub session_name: String,
    pub description: String,
}

impl Fetch for AssumeRole {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>> {
        Box::pin(async move {
            let params = json!({
                "RoleArn": self.role_arn,
                "RoleSessionName": self.session_name,
                "DurationSeconds": DURATION_SECS,
            });
            let secrets: Vec<&Secret> = std::iter::once(&self.keys.secret_key)
                .chain(self.keys.token.as_ref())
                .collect();
            let mut issued = self
                .sts
                .call(
                    "AssumeRole",
                    STS_REGION,
                    &params,
                    Some(&self.keys),
                    &secrets,
                )
                .await?;
            issued.credentials.source = self.description.clone();
            Ok(issued)
        })
    }
}

/// `AssumeRoleWithWebIdentity` with the token of a file, read anew at every fetch (TKE rotates
/// it).
pub struct WebIdentity {
    pub sts: Sts,
    pub region: String,
    pub provider_id: String,
    pub token_file: PathBuf,
    pub role_arn: String,
    pub session_name: String,
    pub description: String,
}

impl Fetch for WebIdentity {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>> {
        Box::pin(async move {
            let token = tokio::fs::read_to_string(&self.token_file)
                .await
                .map_err(|e| {
                    FetchError::transient(format!(
                        "TKE_WEB_IDENTITY_TOKEN_FILE {}: {e}",
                        self.token_file.display()
                    ))
                })?;
            let token = Secret::new(token.trim());
            if token.is_empty() {
                return Err(FetchError::transient(format!(
                    "TKE_WEB_IDENTITY_TOKEN_FILE {}: the file is empty",
                    self.token_file.display()
                )));
            }
            let params = json!({
                "ProviderId": self.provider_id,
                "WebIdentityToken": token.expose(),
                "RoleArn": self.role_arn,
                "RoleSessionName": self.session_name,
                "DurationSeconds": DURATION_SECS,
            });
            let mut issued = self
                .sts
                .call(
                    "AssumeRoleWithWebIdentity",
                    &self.region,
                    &params,
                    None,
                    &[&token],
                )
                .await?;
            issued.credentials.source = self.description.clone();
            Ok(issued)
        })
    }
}
