//! The emulator as the CVM metadata service and as STS, for rehearsals and tests of temporary
//! credentials: it issues credentials that live `token_ttl`, and the signature check accepts
//! them until they expire, then answers `AuthFailure.TokenFailure`.
//!
//! - `GET /latest/meta-data/cam/security-credentials/` names the role ([`ROLE_NAME`]);
//!   `GET .../ROLE` gives `TmpSecretId`, `TmpSecretKey`, `Token`, `ExpiredTime`, `Code`.
//! - `POST /` with `X-TC-Action: AssumeRole` (signed with the emulator's keys, service `sts`) or
//!   `AssumeRoleWithWebIdentity` (not signed) answers `Credentials` and `ExpiredTime`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::api::sign::sha256_hex;
use crate::secret::Secret;

use super::auth;
use super::call::Reply;
use super::config::EmulatorConfig;
use super::http::Request;
use super::response::{self, ApiError};
use super::shared::{unix_now, Shared};

/// The CAM role the emulator's metadata service names.
pub const ROLE_NAME: &str = "bulkflow-emulator-role";
/// STS's API version.
const STS_VERSION: &str = "2018-08-13";
/// Where the metadata service's role credentials live.
const ROLES_PATH: &str = "/latest/meta-data/cam/security-credentials/";
/// Issued credentials are forgotten this long after they expired (a call with them is then
/// `AuthFailure.SecretIdNotFound`, as for any unknown id).
const FORGET_AFTER_MS: u64 = 3_600_000;
/// Web identity tokens kept for tests to read.
const KEEP_WEB_TOKENS: usize = 100;

/// Temporary credentials the emulator issued.
#[derive(Debug, Clone)]
pub(crate) struct Temporary {
    pub(crate) key: Secret,
    pub(crate) token: Secret,
    pub(crate) expires_ms: u64,
}

/// Every temporary credential issued, by id.
#[derive(Debug, Default)]
pub(crate) struct Issuer {
    inner: Mutex<IssuerInner>,
}

#[derive(Debug, Default)]
struct IssuerInner {
    by_id: HashMap<String, Temporary>,
    issued: u64,
    web_tokens: Vec<String>,
}

/// Unix milliseconds by the system clock.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Issuer {
    fn lock(&self) -> std::sync::MutexGuard<'_, IssuerInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues credentials that expire `config.token_ttl` after `now_ms`: the `Credentials`
    /// object and `ExpiredTime` (whole seconds, rounded down: never later than the truth).
    fn issue(&self, config: &EmulatorConfig, now_ms: u64) -> (Temporary, String) {
        let mut inner = self.lock();
        inner.issued += 1;
        let n = inner.issued;
        let ttl_ms = u64::try_from(config.token_ttl.as_millis()).unwrap_or(u64::MAX);
        let seed = format!("{}:{}:{n}", config.seed, config.secret_key.expose());
        let id = format!(
            "AKIDtmp{n:06}{}",
            &sha256_hex(format!("{seed}:id").as_bytes())[..12]
        );
        let t = Temporary {
            key: Secret::new(sha256_hex(format!("{seed}:key").as_bytes())),
            token: Secret::new(format!(
                "tok-{}",
                sha256_hex(format!("{seed}:token").as_bytes())
            )),
            expires_ms: now_ms.saturating_add(ttl_ms),
        };
        inner
            .by_id
            .retain(|_, c| c.expires_ms.saturating_add(FORGET_AFTER_MS) > now_ms);
        inner.by_id.insert(id.clone(), t.clone());
        (t, id)
    }

    /// The credentials issued under `id`, expired or not.
    pub(crate) fn get(&self, id: &str) -> Option<Temporary> {
        self.lock().by_id.get(id).cloned()
    }

    /// How many credentials were issued.
    pub(crate) fn issued(&self) -> u64 {
        self.lock().issued
    }

    /// The web identity tokens received, oldest first (the last hundred).
    pub(crate) fn web_identity_tokens(&self) -> Vec<String> {
        self.lock().web_tokens.clone()
    }

    fn record_web_token(&self, token: &str) {
        let mut inner = self.lock();
        if inner.web_tokens.len() >= KEEP_WEB_TOKENS {
            inner.web_tokens.remove(0);
        }
        inner.web_tokens.push(token.to_owned());
    }
}

/// Answers a request for the metadata service or STS; `None` for the CFS API's requests.
pub(crate) fn route(shared: &Shared, req: &Request<'_>) -> Option<Reply> {
    if req.is_get() && req.path().starts_with("/latest/meta-data/") {
        return Some(metadata(shared, req.path()));
    }
    let action = req.header_str("x-tc-action")?;
    if !matches!(action, "AssumeRole" | "AssumeRoleWithWebIdentity") || !req.is_root() {
        return None;
    }
    let rid = shared.request_id();
    Some(match sts(shared, req, action) {
        Ok(fields) => Reply::Answer("200 OK", response::success(&rid, fields)),
        Err(e) => Reply::Answer("200 OK", response::error(&rid, &e)),
    })
}

fn metadata(shared: &Shared, path: &str) -> Reply {
    let not_found = || Reply::Answer("404 Not Found", b"Not Found".to_vec());
    let Some(role) = path.strip_prefix(ROLES_PATH) else {
        return not_found();
    };
    match role {
        "" => Reply::Answer("200 OK", ROLE_NAME.as_bytes().to_vec()),
        ROLE_NAME => {
            let now = unix_ms();
            let (t, id) = shared.issuer().issue(shared.config(), now);
            let body = json!({
                "TmpSecretId": id,
                "TmpSecretKey": t.key.expose(),
                "Token": t.token.expose(),
                "ExpiredTime": t.expires_ms / 1000,
                "Expiration": crate::report::json_log::rfc3339_utc(i64::try_from(t.expires_ms).unwrap_or(i64::MAX)),
                "Code": "Success",
            });
            Reply::Answer("200 OK", serde_json::to_vec(&body).unwrap_or_default())
        }
        _ => not_found(),
    }
}

fn sts(shared: &Shared, req: &Request<'_>, action: &str) -> Result<Map<String, Value>, ApiError> {
    if req.header("x-tc-version") != Some(STS_VERSION.as_bytes()) {
        return Err(ApiError::new(
            "NoSuchVersion",
            "X-TC-Version must be 2018-08-13.",
        ));
    }
    let params: Value = serde_json::from_slice(req.body())
        .map_err(|_| ApiError::new("InvalidParameter", "The body is not a JSON object."))?;
    let text = |name: &'static str| {
        params
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::owned(
                    "MissingParameter",
                    format!("The parameter {name} is missing."),
                )
            })
    };
    if action == "AssumeRole" {
        let timestamp = req
            .header_str("x-tc-timestamp")
            .and_then(|t| t.trim().parse::<i64>().ok())
            .ok_or_else(|| {
                ApiError::new("InvalidParameter", "The header X-TC-Timestamp is required.")
            })?;
        auth::verify_as(req, shared, "sts", timestamp, unix_now())?;
    } else {
        text("ProviderId")?;
        shared.issuer().record_web_token(text("WebIdentityToken")?);
    }
    text("RoleArn")?;
    text("RoleSessionName")?;
    let (t, id) = shared.issuer().issue(shared.config(), unix_ms());
    let mut m = Map::new();
    m.insert(
        "Credentials".to_owned(),
        json!({"TmpSecretId": id, "TmpSecretKey": t.key.expose(), "Token": t.token.expose()}),
    );
    m.insert("ExpiredTime".to_owned(), Value::from(t.expires_ms / 1000));
    m.insert(
        "Expiration".to_owned(),
        Value::from(crate::report::json_log::rfc3339_utc(
            i64::try_from(t.expires_ms).unwrap_or(i64::MAX),
        )),
    );
    Ok(m)
}
