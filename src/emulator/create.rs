//! CreateDataFlow: the checks that need no state, in the service's order (the directory and the
//! file system's limit are checked by [`super::flows::Flows::create`]).

use crate::secret::Secret;

use super::config::EmulatorConfig;
use super::flow::NewFlow;
use super::params::{
    check_auto_refresh, check_file_system, check_name, non_empty, only_known, optional_number,
    optional_str, parse_object, required_str,
};
use super::response::ApiError;

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

    check_file_system(file_system_id, config.file_systems.as_deref())?;
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
