//! CreateDataFlow: the checks that need no state, in the service's order (the directory and the
//! file system's limit are checked by [`super::state::Flows::create`]), the field rules
//! ModifyDataFlow shares, and the answers for what the state refuses.

use serde_json::Number;

use crate::secret::Secret;

use super::config::EmulatorConfig;
use super::flow::NewFlow;
use super::params::{only_known, optional_number, optional_str, parse_object, required_str};
use super::response::ApiError;
use super::state::Refusal;

const PARAMS: &[&str] = &[
    "FileSystemId",
    "SourceStorageType",
    "SourceStorageAddress",
    "SourcePath",
    "TargetPath",
    "SecretId",
    "SecretKey",
    "DataFlowName",
    "AutoRefresh",
    "UserKafkaTopic",
    "ServerAddr",
    "UserName",
    "Password",
];

/// Longest `DataFlowName`, in characters.
const MAX_NAME_CHARS: usize = 64;

/// Reads and checks a CreateDataFlow body.
pub(crate) fn parse(body: &[u8], config: &EmulatorConfig) -> Result<NewFlow, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let file_system_id = required_str(&p, "FileSystemId")?;
    let source_storage_type = required_str(&p, "SourceStorageType")?;
    let source_storage_address = required_str(&p, "SourceStorageAddress")?;
    let source_path = required_str(&p, "SourcePath")?;
    let target_path = required_str(&p, "TargetPath")?;
    let secret_id = required_str(&p, "SecretId")?;
    required_str(&p, "SecretKey")?;
    let name = optional_str(&p, "DataFlowName")?;
    let user_kafka_topic = optional_str(&p, "UserKafkaTopic")?;
    let server_addr = optional_str(&p, "ServerAddr")?;
    let user_name = optional_str(&p, "UserName")?;
    optional_str(&p, "Password")?;
    let auto_refresh = optional_number(&p, "AutoRefresh")?;

    check_file_system(file_system_id, config)?;
    if !matches!(source_storage_type, "S3_COS" | "S3_L5") {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidDataFlowSourceStorageType",
            "SourceStorageType must be S3_COS or S3_L5.",
        ));
    }
    if !target_path.starts_with("/cfs/") {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidDataFlowTargetPath",
            "TargetPath must start with /cfs/.",
        ));
    }
    check_name(name)?;
    let auto_refresh = check_auto_refresh(auto_refresh)?;
    if !(source_storage_address.starts_with("http://")
        || source_storage_address.starts_with("https://"))
    {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidDataFlowSourceInfo",
            "SourceStorageAddress must be an http:// or https:// address; check the key and path.",
        ));
    }
    Ok(NewFlow {
        file_system_id: file_system_id.to_owned(),
        data_flow_name: name.unwrap_or_default().to_owned(),
        source_storage_type: source_storage_type.to_owned(),
        source_storage_address: source_storage_address.to_owned(),
        source_path: source_path.to_owned(),
        target_path: target_path.to_owned(),
        auto_refresh,
        user_kafka_topic: non_empty(user_kafka_topic),
        server_addr: non_empty(server_addr),
        user_name: non_empty(user_name),
        secret_id: Secret::new(secret_id),
    })
}

/// An optional text as the state keeps it: empty is absent.
pub(crate) fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `InvalidParameterValue.InvalidDataFlowName` unless the name follows the rules.
pub(crate) fn check_name(name: Option<&str>) -> Result<(), ApiError> {
    match name {
        Some(name) if !valid_name(name) => Err(ApiError::new(
            "InvalidParameterValue.InvalidDataFlowName",
            "DataFlowName must be at most 64 characters: letters, digits, Chinese characters, _ and -.",
        )),
        _ => Ok(()),
    }
}

/// `AutoRefresh` is 0 or 1 when given.
pub(crate) fn check_auto_refresh(value: Option<&Number>) -> Result<Option<u8>, ApiError> {
    match value.map(Number::as_u64) {
        None => Ok(None),
        Some(Some(v @ (0 | 1))) => Ok(Some(v as u8)),
        Some(_) => Err(ApiError::new(
            "InvalidParameterValue",
            "AutoRefresh must be 0 or 1.",
        )),
    }
}

/// `cfs-[0-9a-z]+`, and one of the configured file systems when they are listed.
pub(crate) fn check_file_system(id: &str, config: &EmulatorConfig) -> Result<(), ApiError> {
    if !valid_file_system_id(id) {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidFileSystemId",
            "FileSystemId is not a valid file system id (cfs-[0-9a-z]+).",
        ));
    }
    if let Some(known) = &config.file_systems {
        if !known.iter().any(|k| k == id) {
            return Err(ApiError::owned(
                "ResourceNotFound.FileSystemNotFound",
                format!("The file system `{id}` does not exist."),
            ));
        }
    }
    Ok(())
}

/// `cfs-[0-9a-z]+`.
pub(crate) fn valid_file_system_id(id: &str) -> bool {
    id.strip_prefix("cfs-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// At most 64 characters of ASCII letters, digits, CJK ideographs, `_` and `-`.
pub(crate) fn valid_name(name: &str) -> bool {
    name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || is_cjk_ideograph(c))
}

fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x30000..=0x323AF)
}

/// The answer for a valid request that the state refuses.
pub(crate) fn refusal_error(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::PathUsed => ApiError::new(
            "InvalidParameterValue.PathUsedInDataflow",
            "This directory already has a data flow.",
        ),
        Refusal::LimitReached => ApiError::new(
            "ResourceInsufficient.DataFlowLimitExceeded",
            "The file system has reached its limit of data flows.",
        ),
        Refusal::NoSuchFlow | Refusal::DuplicateId => ApiError::new(
            "InvalidParameterValue.InvalidDataFlowId",
            "The data flow does not exist.",
        ),
        Refusal::WrongFileSystem => ApiError::new(
            "ResourceNotFound",
            "The data flow is not in the file system named by FileSystemId.",
        ),
        Refusal::BeingDeleted => ApiError::new(
            "UnsupportedOperation",
            "The data flow is being deleted and cannot be modified.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("flow_1-数据"));
        assert!(valid_name(&"a".repeat(64)));
        assert!(!valid_name(&"a".repeat(65)));
        assert!(valid_name(&"数".repeat(64)));
        assert!(!valid_name("has space"));
        assert!(!valid_name("dot.name"));
        assert!(!valid_name("é"));
    }
}
