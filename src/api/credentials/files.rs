//! The two files users already have: a tccli profile (`~/.tccli/NAME.credential`, JSON) and the
//! SDKs' credentials file (INI, `[default]`).

use std::io::ErrorKind;
use std::path::Path;

use serde::Deserialize;

use super::{bad_value, value_problem, Credentials, CredentialsError};
use crate::secret::Secret;

/// What a tccli profile says.
#[derive(Debug)]
pub enum ProfileSays {
    /// Keys, perhaps with a session token.
    Keys(Credentials),
    /// `"type": "cvm-role"`: the instance role.
    CvmRole,
    /// `"role-arn"` (and `"role-session-name"`): assume that role with the profile's keys.
    AssumeRole {
        keys: Credentials,
        role_arn: String,
        session_name: Option<String>,
    },
    /// Neither keys nor a role (tccli writes such a file when only the region was configured).
    Nothing,
}

#[derive(Deserialize)]
struct ProfileCredential {
    #[serde(rename = "secretId")]
    secret_id: Option<String>,
    #[serde(rename = "secretKey")]
    secret_key: Option<String>,
    token: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "role-arn")]
    role_arn: Option<String>,
    #[serde(rename = "role-session-name")]
    role_session_name: Option<String>,
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Reads a tccli profile; `None` when the file does not exist. `shown` names it in messages
/// and is the credentials' `source`.
pub fn read_profile(path: &Path, shown: &str) -> Result<Option<ProfileSays>, CredentialsError> {
    let bad = |reason: &str| CredentialsError::BadProfile {
        path: shown.to_owned(),
        reason: reason.to_owned(),
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(&format!("cannot be read: {e}"))),
    };
    // serde_json's type errors can quote values; say only what is wrong.
    let p: ProfileCredential =
        serde_json::from_slice(&bytes).map_err(|_| bad("expected a JSON object"))?;
    if let Some(kind) = nonempty(p.kind) {
        if kind == "cvm-role" {
            return Ok(Some(ProfileSays::CvmRole));
        }
        // Not quoted: a hand-edited file could hold anything there.
        return Err(bad("its \"type\" is not \"cvm-role\""));
    }
    let checked = [
        ("secretId", &p.secret_id),
        ("secretKey", &p.secret_key),
        ("token", &p.token),
        ("role-arn", &p.role_arn),
        ("role-session-name", &p.role_session_name),
    ]
    .map(|(name, v)| (name, v.as_deref().map(str::trim).unwrap_or_default()));
    if let Some(problem) = bad_value(&checked) {
        return Err(bad(&format!("its {problem}")));
    }
    let keys = match (nonempty(p.secret_id), nonempty(p.secret_key)) {
        (Some(id), Some(key)) => Credentials {
            secret_id: id,
            secret_key: Secret::new(key),
            token: nonempty(p.token).map(Secret::new),
            source: shown.to_owned(),
        },
        (None, None) if nonempty(p.role_arn.clone()).is_none() => {
            return Ok(Some(ProfileSays::Nothing))
        }
        (_, None) => return Err(bad("no secretKey")),
        (None, _) => return Err(bad("no secretId")),
    };
    Ok(Some(match nonempty(p.role_arn) {
        Some(role_arn) => ProfileSays::AssumeRole {
            keys,
            role_arn,
            session_name: nonempty(p.role_session_name),
        },
        None => ProfileSays::Keys(keys),
    }))
}

/// The `[default]` section of the SDKs' credentials file.
#[derive(Debug)]
pub struct IniDefault {
    pub keys: Credentials,
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
}

/// What reading an SDK credentials file gave.
#[derive(Debug)]
pub enum IniSays {
    /// The file does not exist.
    Missing,
    /// The file has no `[default]` section, or it holds no keys.
    NoDefault,
    Default(IniDefault),
}

/// Reads the SDKs' credentials file at `path` (`shown` in messages).
pub fn read_ini(path: &Path, shown: &str) -> Result<IniSays, CredentialsError> {
    let bad = |reason: String| CredentialsError::BadFile {
        path: shown.to_owned(),
        reason,
    };
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8(b).map_err(|_| bad("not UTF-8 text".into()))?,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(IniSays::Missing),
        Err(e) => return Err(bad(format!("cannot be read: {e}"))),
    };
    let mut section: Option<String> = None;
    let (mut id, mut key, mut role_arn, mut session_name) = (None, None, None, None);
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.trim_start_matches('\u{feff}').trim();
        if raw.starts_with(['#', ';']) || raw.is_empty() {
            continue;
        }
        let line = strip_comment(raw).trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.trim().to_owned());
            continue;
        }
        // Split as written, so that a quoted value keeps a `#` or `;` it holds.
        let Some((k, v)) = raw.split_once('=') else {
            // Not quoted: the line may hold a key.
            return Err(bad(format!("line {}: expected `name = value`", n + 1)));
        };
        if section.as_deref() != Some("default") {
            continue;
        }
        let v = Some(ini_value(v)).filter(|v| !v.is_empty());
        let slot = match k.trim() {
            "secret_id" => &mut id,
            "secret_key" => &mut key,
            "role_arn" => &mut role_arn,
            "role_session_name" => &mut session_name,
            _ => continue,
        };
        if let Some(problem) = v.as_deref().and_then(value_problem) {
            return Err(bad(format!("line {}: {} {problem}", n + 1, k.trim())));
        }
        *slot = v;
    }
    let keys = match (id, key) {
        (Some(id), Some(key)) => Credentials {
            secret_id: id,
            secret_key: Secret::new(key),
            token: None,
            source: shown.to_owned(),
        },
        (None, None) => return Ok(IniSays::NoDefault),
        (Some(_), None) => return Err(bad("[default] has secret_id but no secret_key".into())),
        (None, Some(_)) => return Err(bad("[default] has secret_key but no secret_id".into())),
    };
    Ok(IniSays::Default(IniDefault {
        keys,
        role_arn,
        session_name,
    }))
}

/// An INI value as the Go SDK's parser (go-ini) reads it: trimmed, a comment after a space
/// dropped, and one pair of surrounding double or single quotes taken off (`"AKID..."` is
/// `AKID...`). A quoted value keeps a `#` or `;` it holds; a value that only starts with a quote
/// keeps it.
pub(super) fn ini_value(raw: &str) -> String {
    let v = raw.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q) {
            if let Some(end) = inner.find(q) {
                let after = inner[end + 1..].trim_start();
                if after.is_empty() || (after.starts_with(['#', ';'])) {
                    return inner[..end].to_owned();
                }
            }
        }
    }
    strip_comment(v).trim().to_owned()
}

/// A line without its comment: from a `#` or `;` at its start, or after a space.
fn strip_comment(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with(';') {
        return "";
    }
    let mut prev_space = false;
    for (i, c) in line.char_indices() {
        if (c == '#' || c == ';') && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}
