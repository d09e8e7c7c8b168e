//! The chain of places credentials are looked for, in tccli's and the SDKs' order; the first
//! that yields credentials wins, and a profile named by `--profile` or `TCCLI_PROFILE` is the
//! only place looked at:
//!
//! 1. the named tccli profile (keys, `"type": "cvm-role"`, or `role-arn` with its keys);
//! 2. `TENCENTCLOUD_SECRET_ID`/`_KEY` with a token of [`TOKEN_VARS`], assuming
//!    `TENCENTCLOUD_ROLE_ARN` when set;
//! 3. the tccli profile `default`;
//! 4. the SDKs' credentials file: `TENCENTCLOUD_CREDENTIALS_FILE`, `~/.tencentcloud/credentials`,
//!    `/etc/tencentcloud/credentials`;
//! 5. the CVM instance role, from the metadata service;
//! 6. TKE OIDC (`TKE_REGION`, `TKE_PROVIDER_ID`, `TKE_WEB_IDENTITY_TOKEN_FILE`, `TKE_ROLE_ARN`).

use std::path::PathBuf;

use super::files::{read_ini, read_profile, IniSays, ProfileSays};
use super::metadata::{Metadata, NoRole, DEFAULT_METADATA_URL, METADATA_URL_VAR};
use super::plan::Plan;
use super::provider::CredentialProvider;
use super::sts::{default_session_name, DEFAULT_STS_ENDPOINT, STS_ENDPOINT_VAR};
use super::{role_name, value_problem, Credentials, CredentialsError, Lookup};
use crate::secret::mask_id;

/// Walks the chain and builds the provider of the first place that yields credentials.
pub async fn discover(lookup: &Lookup<'_>) -> Result<CredentialProvider, CredentialsError> {
    plan(lookup).await?.provider().await
}

const REFRESHED: &str = "(temporary, refreshed)";

/// Walks the chain: reads the files and the environment, and asks the metadata service for the
/// instance's role when the chain gets that far. Nothing is asked of STS.
pub async fn plan(lookup: &Lookup<'_>) -> Result<Plan, CredentialsError> {
    let sts_endpoint = lookup
        .var(STS_ENDPOINT_VAR)
        .unwrap_or_else(|| DEFAULT_STS_ENDPOINT.to_owned());
    if lookup.explicit {
        return match profile(lookup, lookup.profile, &sts_endpoint).await? {
            Found::Plan(p) => Ok(p),
            Found::Not(reason) => Err(CredentialsError::BadProfile {
                path: profile_shown(lookup, lookup.profile),
                reason: format!(
                    "{reason}; a profile named by --profile or TCCLI_PROFILE is the only place looked at"
                ),
            }),
        };
    }
    let mut tried = Vec::new();
    if let Some(p) = environment(lookup, &sts_endpoint)? {
        return Ok(p);
    }
    tried.push("TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY: not set".to_owned());
    match profile(lookup, "default", &sts_endpoint).await? {
        Found::Plan(p) => return Ok(p),
        Found::Not(reason) => tried.push(format!("{}: {reason}", profile_shown(lookup, "default"))),
    }
    if let Some(p) = credentials_file(lookup, &sts_endpoint, &mut tried)? {
        return Ok(p);
    }
    let metadata_root = lookup
        .var(METADATA_URL_VAR)
        .unwrap_or_else(|| DEFAULT_METADATA_URL.to_owned());
    match cvm_role(&metadata_root, None).await? {
        Found::Plan(p) => return Ok(p),
        Found::Not(reason) => tried.push(format!("CVM role: {reason}")),
    }
    match oidc(lookup, &sts_endpoint)? {
        Found::Plan(p) => return Ok(p),
        Found::Not(reason) => tried.push(format!("TKE OIDC: {reason}")),
    }
    Err(CredentialsError::NotFound { tried })
}

/// A place's answer: credentials to build, or why it has none (for the list of places tried).
enum Found {
    Plan(Plan),
    Not(String),
}

fn profile_shown(lookup: &Lookup<'_>, name: &str) -> String {
    match lookup.tccli_file(name, "credential") {
        Some(path) => lookup.shown(&path),
        None => format!("~/.tccli/{name}.credential"),
    }
}

/// A tccli profile, whatever it holds.
async fn profile(
    lookup: &Lookup<'_>,
    name: &str,
    sts_endpoint: &str,
) -> Result<Found, CredentialsError> {
    let Some(path) = lookup.tccli_file(name, "credential") else {
        return Ok(Found::Not("no home directory (HOME is not set)".into()));
    };
    let shown = lookup.shown(&path);
    let what = format!("tccli profile {name:?} ({shown})");
    let says = match read_profile(&path, &shown)? {
        None => return Ok(Found::Not("no such file".into())),
        Some(says) => says,
    };
    Ok(match says {
        ProfileSays::Nothing => Found::Not("holds neither keys nor a role".into()),
        ProfileSays::Keys(credentials) => Found::Plan(fixed(credentials, what, "its \"token\"")),
        ProfileSays::AssumeRole {
            keys,
            role_arn,
            session_name,
        } => Found::Plan(Plan::AssumeRole {
            description: format!(
                "{what}: role {:?} assumed with its keys ({}) {REFRESHED}",
                role_name(&role_arn),
                mask_id(&keys.secret_id)
            ),
            keys,
            role_arn,
            session_name: session_name.unwrap_or_else(default_session_name),
            sts_endpoint: sts_endpoint.to_owned(),
        }),
        ProfileSays::CvmRole => {
            let root = lookup
                .var(METADATA_URL_VAR)
                .unwrap_or_else(|| DEFAULT_METADATA_URL.to_owned());
            match cvm_role(&root, Some(&what)).await? {
                Found::Plan(p) => Found::Plan(p),
                // The profile asks for the role: its absence ends the search.
                Found::Not(reason) => {
                    return Err(CredentialsError::NotFound {
                        tried: vec![format!("{what} says \"type\": \"cvm-role\", and {reason}")],
                    })
                }
            }
        }
    })
}

/// Fixed keys, described with their masked id (and, with a session token, where it came from:
/// a token the service rejects is then traced to its variable or file).
fn fixed(credentials: Credentials, what: String, token_from: &str) -> Plan {
    let description = if credentials.token.is_some() {
        format!(
            "{what} ({}, with the session token of {token_from}: temporary, not refreshed)",
            mask_id(&credentials.secret_id)
        )
    } else if what.starts_with("tccli") {
        what
    } else {
        format!("{what} ({})", mask_id(&credentials.secret_id))
    };
    Plan::Fixed {
        credentials: Credentials {
            source: description.clone(),
            ..credentials
        },
        description,
    }
}

/// The variables of a session token, in the order they are looked at: tccli's and the SDKs'
/// name, Terraform's, the Node SDK's. The first set wins.
pub const TOKEN_VARS: [&str; 3] = [
    "TENCENTCLOUD_TOKEN",
    "TENCENTCLOUD_SECURITY_TOKEN",
    "TENCENTCLOUD_SESSION_TOKEN",
];

/// The session token of the environment and the variable it came from; a warning when another
/// of [`TOKEN_VARS`] holds a different one.
fn env_token(lookup: &Lookup<'_>) -> Option<(&'static str, String)> {
    let mut set = TOKEN_VARS
        .iter()
        .filter_map(|name| lookup.var(name).map(|v| (*name, v)));
    let (name, token) = set.next()?;
    for (other, value) in set {
        if value != token {
            tracing::warn!(
                "{name} and {other} hold different session tokens: using {name} (looked at in the order {})",
                TOKEN_VARS.join(", ")
            );
        }
    }
    Some((name, token))
}

/// The environment's keys; with `TENCENTCLOUD_ROLE_ARN`, the role they assume.
fn environment(lookup: &Lookup<'_>, sts_endpoint: &str) -> Result<Option<Plan>, CredentialsError> {
    let (id, key) = match (
        lookup.var("TENCENTCLOUD_SECRET_ID"),
        lookup.var("TENCENTCLOUD_SECRET_KEY"),
    ) {
        (Some(id), Some(key)) => (id, key),
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
        (None, None) if lookup.var("TENCENTCLOUD_ROLE_ARN").is_some() => {
            return Err(CredentialsError::HalfSet(
                "TENCENTCLOUD_ROLE_ARN",
                "TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY (the keys that assume the role)",
            ))
        }
        (None, None) => return Ok(None),
    };
    let token = env_token(lookup);
    let role_arn = lookup.var("TENCENTCLOUD_ROLE_ARN");
    let session_name = lookup.var("TENCENTCLOUD_ROLE_SESSION_NAME");
    let values = [
        ("TENCENTCLOUD_SECRET_ID", Some(id.as_str())),
        ("TENCENTCLOUD_SECRET_KEY", Some(key.as_str())),
        token
            .as_ref()
            .map_or(("", None), |(n, t)| (*n, Some(t.as_str()))),
        ("TENCENTCLOUD_ROLE_ARN", role_arn.as_deref()),
        ("TENCENTCLOUD_ROLE_SESSION_NAME", session_name.as_deref()),
    ];
    for (name, value) in values {
        if let Some(problem) = value.and_then(value_problem) {
            return Err(CredentialsError::BadSetting {
                name,
                reason: problem.to_owned(),
            });
        }
    }
    let token_from = token.as_ref().map_or("", |(n, _)| *n);
    let keys = Credentials {
        secret_id: id,
        secret_key: crate::secret::Secret::new(key),
        token: token.as_ref().map(|(_, t)| crate::secret::Secret::new(t)),
        source: "environment".into(),
    };
    Ok(Some(match role_arn {
        Some(role_arn) => Plan::AssumeRole {
            description: format!(
                "environment ({}): role {:?} assumed through STS {REFRESHED}",
                mask_id(&keys.secret_id),
                role_name(&role_arn)
            ),
            keys,
            role_arn,
            session_name: session_name.unwrap_or_else(default_session_name),
            sts_endpoint: sts_endpoint.to_owned(),
        },
        None => fixed(keys, "environment".into(), token_from),
    }))
}

/// The SDKs' credentials files, in order; the first with a `[default]` section wins.
fn credentials_file(
    lookup: &Lookup<'_>,
    sts_endpoint: &str,
    tried: &mut Vec<String>,
) -> Result<Option<Plan>, CredentialsError> {
    let mut files = Vec::new();
    match lookup.var("TENCENTCLOUD_CREDENTIALS_FILE") {
        Some(f) => files.push(PathBuf::from(f)),
        None => tried.push("TENCENTCLOUD_CREDENTIALS_FILE: not set".into()),
    }
    match &lookup.home {
        Some(home) => files.push(home.join(".tencentcloud").join("credentials")),
        None => tried.push("~/.tencentcloud/credentials: HOME is not set".into()),
    }
    files.push(lookup.system_file.clone());
    for path in files {
        let shown = lookup.shown(&path);
        match read_ini(&path, &shown)? {
            IniSays::Missing => tried.push(format!("{shown}: no such file")),
            IniSays::NoDefault => tried.push(format!("{shown}: no keys in [default]")),
            IniSays::Default(d) => {
                let what = format!("credentials file {shown}");
                return Ok(Some(match d.role_arn {
                    Some(role_arn) => Plan::AssumeRole {
                        description: format!(
                            "{what} ({}): role {:?} assumed through STS {REFRESHED}",
                            mask_id(&d.keys.secret_id),
                            role_name(&role_arn)
                        ),
                        keys: d.keys,
                        role_arn,
                        session_name: d.session_name.unwrap_or_else(default_session_name),
                        sts_endpoint: sts_endpoint.to_owned(),
                    },
                    None => fixed(d.keys, what, ""),
                }));
            }
        }
    }
    Ok(None)
}

/// The instance role, when the metadata service at `root` names one. `via` names the profile
/// that asked for it.
async fn cvm_role(root: &str, via: Option<&str>) -> Result<Found, CredentialsError> {
    let metadata = Metadata::new(root).map_err(|reason| CredentialsError::BadSetting {
        name: METADATA_URL_VAR,
        reason,
    })?;
    let place = format!("the metadata service ({})", metadata.roles_url());
    match metadata.role().await {
        Ok(role) => {
            let description = match via {
                Some(what) => format!("{what}: CVM role {role:?} {REFRESHED}"),
                None => format!("CVM role {role:?} {REFRESHED}"),
            };
            Ok(Found::Plan(Plan::CvmRole {
                metadata_root: root.to_owned(),
                role,
                description,
            }))
        }
        Err(NoRole::Absent(reason)) => Ok(Found::Not(format!("{place}: {reason}"))),
        Err(NoRole::Broken(reason)) => Err(CredentialsError::Unavailable {
            source_name: place,
            reason,
        }),
    }
}

/// TKE OIDC, when its four variables are set.
fn oidc(lookup: &Lookup<'_>, sts_endpoint: &str) -> Result<Found, CredentialsError> {
    const VARS: [&str; 4] = [
        "TKE_REGION",
        "TKE_PROVIDER_ID",
        "TKE_WEB_IDENTITY_TOKEN_FILE",
        "TKE_ROLE_ARN",
    ];
    let values: Vec<Option<String>> = VARS.iter().map(|v| lookup.var(v)).collect();
    let missing: Vec<&str> = VARS
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.len() == VARS.len() {
        return Ok(Found::Not(format!("{} not set", VARS.join(", "))));
    }
    let [Some(region), Some(provider_id), Some(token_file), Some(role_arn)] =
        <[Option<String>; 4]>::try_from(values).unwrap_or_default()
    else {
        return Err(CredentialsError::BadSetting {
            name: "TKE OIDC",
            reason: format!(
                "{} set, but not {}: set all four",
                VARS.iter()
                    .filter(|v| !missing.contains(v))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                missing.join(", ")
            ),
        });
    };
    Ok(Found::Plan(Plan::WebIdentity {
        description: format!("TKE OIDC role {:?} {REFRESHED}", role_name(&role_arn)),
        region,
        provider_id,
        token_file: PathBuf::from(token_file),
        role_arn,
        sts_endpoint: sts_endpoint.to_owned(),
    }))
}
