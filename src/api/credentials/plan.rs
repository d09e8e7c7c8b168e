//! What the chain chose, and the provider it becomes: fixed keys, or a source of temporary
//! credentials fetched once now and again before they expire.

use std::path::PathBuf;

use super::metadata::{CvmRole, Metadata, METADATA_URL_VAR};
use super::provider::{system_clock, CredentialProvider, Fetch};
use super::sts::{default_session_name, AssumeRole, Sts, WebIdentity, STS_ENDPOINT_VAR};
use super::{Credentials, CredentialsError};

/// What the chain chose, before anything is asked of STS. `Debug` shows no secret.
#[derive(Debug)]
pub enum Plan {
    /// Keys used as they are.
    Fixed {
        credentials: Credentials,
        description: String,
    },
    /// Long-lived keys that assume a role through STS `AssumeRole`.
    AssumeRole {
        keys: Credentials,
        role_arn: String,
        session_name: String,
        sts_endpoint: String,
        description: String,
    },
    /// The CVM instance role `role`, from the metadata service at `metadata_root`.
    CvmRole {
        metadata_root: String,
        role: String,
        description: String,
    },
    /// TKE OIDC, through STS `AssumeRoleWithWebIdentity`.
    WebIdentity {
        region: String,
        provider_id: String,
        token_file: PathBuf,
        role_arn: String,
        sts_endpoint: String,
        description: String,
    },
}

impl Plan {
    /// Where the credentials come from, for the run's first line; never a secret.
    pub fn description(&self) -> &str {
        match self {
            Plan::Fixed { description, .. }
            | Plan::AssumeRole { description, .. }
            | Plan::CvmRole { description, .. }
            | Plan::WebIdentity { description, .. } => description,
        }
    }

    /// The provider: fixed keys, or temporary ones fetched now (an error when the service
    /// refuses or cannot be reached) and refreshed before they expire.
    pub async fn provider(self) -> Result<CredentialProvider, CredentialsError> {
        let unavailable = |description: &str, reason: String| CredentialsError::Unavailable {
            source_name: description.to_owned(),
            reason,
        };
        let sts = |endpoint: &str| {
            Sts::new(endpoint).map_err(|reason| CredentialsError::BadSetting {
                name: STS_ENDPOINT_VAR,
                reason,
            })
        };
        let (fetch, description): (Box<dyn Fetch>, String) = match self {
            Plan::Fixed {
                credentials,
                description,
            } => return Ok(CredentialProvider::fixed(credentials, description)),
            Plan::AssumeRole {
                keys,
                role_arn,
                session_name,
                sts_endpoint,
                description,
            } => (
                Box::new(AssumeRole {
                    sts: sts(&sts_endpoint)?,
                    keys,
                    role_arn,
                    session_name,
                    description: description.clone(),
                }),
                description,
            ),
            Plan::CvmRole {
                metadata_root,
                role,
                description,
            } => {
                let metadata = Metadata::new(&metadata_root).map_err(|reason| {
                    CredentialsError::BadSetting {
                        name: METADATA_URL_VAR,
                        reason,
                    }
                })?;
                (
                    Box::new(CvmRole {
                        metadata,
                        role,
                        description: description.clone(),
                    }),
                    description,
                )
            }
            Plan::WebIdentity {
                region,
                provider_id,
                token_file,
                role_arn,
                sts_endpoint,
                description,
            } => (
                Box::new(WebIdentity {
                    sts: sts(&sts_endpoint)?,
                    region,
                    provider_id,
                    token_file,
                    role_arn,
                    session_name: default_session_name(),
                    description: description.clone(),
                }),
                description,
            ),
        };
        CredentialProvider::refreshing(fetch, description.clone(), system_clock())
            .await
            .map_err(|e| unavailable(&description, e.message))
    }
}
