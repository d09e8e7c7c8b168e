//! DeleteDataFlow: `DataFlowId` (required) and `FileSystemId` (optional). What the emulator
//! chose where the documentation is silent:
//! - an id no flow has (or a flow already gone) is `InvalidParameterValue.InvalidDataFlowId`;
//! - a `FileSystemId` that is malformed or not among `--file-systems` is answered as for
//!   CreateDataFlow; one that exists but does not hold the flow is `ResourceNotFound`;
//! - deleting a flow that is already `deleting` succeeds, and does not restart its time.

use super::config::EmulatorConfig;
use super::params::{check_file_system, only_known, optional_str, parse_object, required_str};
use super::response::ApiError;

const PARAMS: &[&str] = &["DataFlowId", "FileSystemId"];

/// One valid DeleteDataFlow, not yet checked against what exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deletion {
    pub(crate) data_flow_id: String,
    pub(crate) file_system_id: Option<String>,
}

/// Reads and checks a DeleteDataFlow body.
pub(crate) fn parse(body: &[u8], config: &EmulatorConfig) -> Result<Deletion, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let data_flow_id = required_str(&p, "DataFlowId")?;
    let file_system_id = optional_str(&p, "FileSystemId")?.filter(|s| !s.is_empty());
    if let Some(fs) = file_system_id {
        check_file_system(fs, config.file_systems.as_deref())?;
    }
    Ok(Deletion {
        data_flow_id: data_flow_id.to_owned(),
        file_system_id: file_system_id.map(str::to_owned),
    })
}
