//! The signature check of API 3.0, through the same functions the client signs with: the
//! emulator's own keys, or temporary credentials it issued (valid until they expire).

use crate::api::sign::{
    canonical_request, parse_authorization, signature, string_to_sign, utc_date,
};
use crate::secret::Secret;

use super::clock::wall_unix_ms;
use super::http::Request;
use super::response::ApiError;
use super::service::Service;

/// Most seconds a request's timestamp may be from the emulator's clock.
pub(crate) const MAX_SKEW_SECS: u64 = 300;

/// The key to check a signature by `secret_id` with, the token the request must carry, and
/// until when (unix milliseconds) they are good: the emulator's own keys, or temporary ones it
/// issued.
fn credentials(
    emulator: &Service,
    secret_id: &str,
) -> Result<(Secret, Option<Secret>, Option<u64>), ApiError> {
    let config = emulator.config();
    if secret_id == config.secret_id {
        Ok((config.secret_key.clone(), config.token.clone(), None))
    } else if let Some(t) = emulator.issuer().get(secret_id) {
        Ok((t.key, Some(t.token), Some(t.expires_ms)))
    } else {
        Err(ApiError::new(
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        ))
    }
}

/// Checks the `Authorization` header of a request for `service` stamped `timestamp`, at `now`
/// (unix seconds), and its `X-TC-Token`: the configured one for the emulator's keys, the issued
/// one for temporary credentials, which are refused with `AuthFailure.TokenFailure` once
/// expired.
pub(crate) fn verify_as(
    req: &Request<'_>,
    emulator: &Service,
    service: &str,
    timestamp: i64,
    now: i64,
) -> Result<(), ApiError> {
    let auth = req
        .header_str("authorization")
        .and_then(parse_authorization)
        .ok_or(ApiError::new(
            "AuthFailure.InvalidAuthorization",
            "Authorization is missing or not of the form `TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.",
        ))?;
    let (key, token, expires_ms) = credentials(emulator, &auth.secret_id)?;
    if auth.service != service {
        return Err(ApiError::owned(
            "AuthFailure.SignatureFailure",
            format!(
                "The credential scope names service `{}`, not `{service}`.",
                auth.service
            ),
        ));
    }
    if auth.date != utc_date(timestamp) {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The date in the credential scope is not the UTC date of X-TC-Timestamp.",
        ));
    }
    if now.abs_diff(timestamp) > MAX_SKEW_SECS {
        return Err(ApiError::owned(
            "AuthFailure.SignatureExpire",
            format!("Signature expired, timestamp {timestamp} is more than {MAX_SKEW_SECS} s from the server time {now}."),
        ));
    }
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let Some(value) = req.header_str(name) else {
            return Err(ApiError::owned(
                "AuthFailure.SignatureFailure",
                format!("The signed header `{name}` is missing from the request."),
            ));
        };
        signed.push((name.as_str(), value));
    }
    let (canonical, _) = canonical_request(&signed, req.body());
    let sts = string_to_sign(timestamp, &auth.date, &auth.service, &canonical);
    let expected = signature(key.expose(), &auth.date, &auth.service, &sts);
    if expected != auth.signature {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        ));
    }
    if let Some(token) = &token {
        if req.header("x-tc-token") != Some(token.expose().as_bytes()) {
            return Err(ApiError::new(
                "AuthFailure.TokenFailure",
                "The X-TC-Token is missing or not valid.",
            ));
        }
    }
    if expires_ms.is_some_and(|e| wall_unix_ms() >= e) {
        return Err(ApiError::new(
            "AuthFailure.TokenFailure",
            "The token has expired.",
        ));
    }
    Ok(())
}
