//! The emulator as the CVM metadata service and as STS, for rehearsals and tests of temporary
//! credentials (issued by [`super::issuer`]):
//!
//! - `GET /latest/meta-data/cam/security-credentials/` names the role ([`ROLE_NAME`]);
//!   `GET .../ROLE` gives `TmpSecretId`, `TmpSecretKey`, `Token`, `ExpiredTime`, `Code`.
//! - `POST /` with `X-TC-Action: AssumeRole` (signed with the emulator's keys, service `sts`) or
//!   `AssumeRoleWithWebIdentity` (not signed) answers `Credentials` and `ExpiredTime`.

use serde_json::{json, Map, Value};

use super::auth;
use super::clock::{rfc3339_utc, wall_unix_ms, wall_unix_secs};
use super::http::Request;
use super::reply::Reply;
use super::response::{self, ApiError};
use super::service::Service;

/// The CAM role the emulator's metadata service names.
pub const ROLE_NAME: &str = "bulkflow-emulator-role";
/// STS's API version.
const STS_VERSION: &str = "2018-08-13";
/// Where the metadata service's role credentials live.
const ROLES_PATH: &str = "/latest/meta-data/cam/security-credentials/";

/// Answers a request for the metadata service or STS; `None` for the CFS API's requests.
pub(crate) fn route(service: &Service, req: &Request<'_>) -> Option<Reply> {
    if req.is_get() && req.path().starts_with("/latest/meta-data/") {
        return Some(metadata(service, req.path()));
    }
    let action = req.header_str("x-tc-action")?;
    if !matches!(action, "AssumeRole" | "AssumeRoleWithWebIdentity") || !req.is_root() {
        return None;
    }
    let rid = service.request_id();
    Some(match sts(service, req, action) {
        Ok(fields) => Reply::Answer("200 OK", response::success(&rid, fields)),
        Err(e) => Reply::Answer("200 OK", response::error(&rid, &e)),
    })
}

fn metadata(service: &Service, path: &str) -> Reply {
    let not_found = || Reply::Answer("404 Not Found", b"Not Found".to_vec());
    let Some(role) = path.strip_prefix(ROLES_PATH) else {
        return not_found();
    };
    match role {
        "" => Reply::Answer("200 OK", ROLE_NAME.as_bytes().to_vec()),
        ROLE_NAME => {
            let now = wall_unix_ms();
            let (t, id) = service.issuer().issue(service.config(), now);
            let body = json!({
                "TmpSecretId": id,
                "TmpSecretKey": t.key.expose(),
                "Token": t.token.expose(),
                "ExpiredTime": t.expires_ms / 1000,
                "Expiration": rfc3339_utc(i64::try_from(t.expires_ms).unwrap_or(i64::MAX)),
                "Code": "Success",
            });
            Reply::Answer("200 OK", serde_json::to_vec(&body).unwrap_or_default())
        }
        _ => not_found(),
    }
}

fn sts(service: &Service, req: &Request<'_>, action: &str) -> Result<Map<String, Value>, ApiError> {
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
        auth::verify_as(req, service, "sts", timestamp, wall_unix_secs())?;
    } else {
        text("ProviderId")?;
        service.issuer().record_web_token(text("WebIdentityToken")?);
    }
    text("RoleArn")?;
    text("RoleSessionName")?;
    let (t, id) = service.issuer().issue(service.config(), wall_unix_ms());
    let mut m = Map::new();
    m.insert(
        "Credentials".to_owned(),
        json!({"TmpSecretId": id, "TmpSecretKey": t.key.expose(), "Token": t.token.expose()}),
    );
    m.insert("ExpiredTime".to_owned(), Value::from(t.expires_ms / 1000));
    m.insert(
        "Expiration".to_owned(),
        Value::from(rfc3339_utc(i64::try_from(t.expires_ms).unwrap_or(i64::MAX))),
    );
    Ok(m)
}
