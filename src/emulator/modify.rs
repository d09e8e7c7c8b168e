//! ModifyDataFlow: `DataFlowId` and `FileSystemId` (required), and any of `DataFlowName`,
//! `SecretId`, `SecretKey`, `AutoRefresh`, `UserKafkaTopic`, `ServerAddr`, `UserName`,
//! `Password`, checked by the create rules. Source and target cannot change: `TargetPath` and
//! the like are `UnknownParameter`. What the emulator chose where the documentation is silent:
//! `SecretId` and `SecretKey` go together (one alone is `MissingParameter` for the other); a
//! flow that is `deleting` cannot be modified (`UnsupportedOperation`); an empty Kafka field
//! clears it; a call with nothing to change succeeds; new keys on a flow that ends `unavailable`
//! (the emulator's flows are unavailable only for their keys) make it `pending`, then
//! `available` (`Flows::modify`).

use crate::secret::Secret;

use super::config::EmulatorConfig;
use super::flow::Flow;
use super::params::{
    check_auto_refresh, check_file_system, check_name, non_empty, only_known, optional_number,
    optional_str, parse_object, required_str,
};
use super::response::ApiError;

const PARAMS: &[&str] = &[
    "DataFlowId",
    "FileSystemId",
    "DataFlowName",
    "SecretId",
    "SecretKey",
    "AutoRefresh",
    "UserKafkaTopic",
    "ServerAddr",
    "UserName",
    "Password",
];

/// One valid ModifyDataFlow, not yet checked against what exists. `None` leaves a value as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) data_flow_id: String,
    pub(crate) file_system_id: String,
    data_flow_name: Option<String>,
    /// The new SecretId, when the keys change.
    secret_id: Option<Secret>,
    password: bool,
    auto_refresh: Option<u8>,
    /// `Some(None)` clears the field.
    user_kafka_topic: Option<Option<String>>,
    server_addr: Option<Option<String>>,
    user_name: Option<Option<String>>,
}

impl Change {
    /// Whether it sets the source keys.
    pub(crate) fn sets_keys(&self) -> bool {
        self.secret_id.is_some()
    }

    /// Records the new values on `flow`.
    pub(crate) fn apply(&self, flow: &mut Flow) {
        let n = &mut flow.new;
        if let Some(name) = &self.data_flow_name {
            n.data_flow_name.clone_from(name);
        }
        if let Some(a) = self.auto_refresh {
            n.auto_refresh = Some(a);
        }
        for (field, value) in [
            (&mut n.user_kafka_topic, &self.user_kafka_topic),
            (&mut n.server_addr, &self.server_addr),
            (&mut n.user_name, &self.user_name),
        ] {
            if let Some(v) = value {
                field.clone_from(v);
            }
        }
        if let Some(id) = &self.secret_id {
            n.secret_id = id.clone();
            flow.key_rotations += 1;
        }
        if self.password {
            flow.password_changes += 1;
        }
        flow.modifications += 1;
    }
}

/// Reads and checks a ModifyDataFlow body.
pub(crate) fn parse(body: &[u8], config: &EmulatorConfig) -> Result<Change, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let data_flow_id = required_str(&p, "DataFlowId")?;
    let file_system_id = required_str(&p, "FileSystemId")?;
    let name = optional_str(&p, "DataFlowName")?;
    let secret_id = optional_str(&p, "SecretId")?;
    let secret_key = optional_str(&p, "SecretKey")?;
    let user_kafka_topic = optional_str(&p, "UserKafkaTopic")?;
    let server_addr = optional_str(&p, "ServerAddr")?;
    let user_name = optional_str(&p, "UserName")?;
    let password = optional_str(&p, "Password")?;
    let auto_refresh = optional_number(&p, "AutoRefresh")?;

    check_file_system(file_system_id, config.file_systems.as_deref())?;
    match (secret_id, secret_key) {
        (Some(_), None) => return Err(missing("SecretKey")),
        (None, Some(_)) => return Err(missing("SecretId")),
        _ => {}
    }
    check_name(name)?;
    let auto_refresh = check_auto_refresh(auto_refresh)?;
    let clearable = |v: Option<&str>| v.map(|v| non_empty(Some(v)));
    Ok(Change {
        data_flow_id: data_flow_id.to_owned(),
        file_system_id: file_system_id.to_owned(),
        data_flow_name: name.map(str::to_owned),
        secret_id: secret_id.map(Secret::new),
        password: password.is_some(),
        auto_refresh,
        user_kafka_topic: clearable(user_kafka_topic),
        server_addr: clearable(server_addr),
        user_name: clearable(user_name),
    })
}

fn missing(name: &str) -> ApiError {
    ApiError::owned(
        "MissingParameter",
        format!("The request is missing a required parameter `{name}`: SecretId and SecretKey change together."),
    )
}
