//! CreateLifecycleDataTask: the checks that need no state, in this order (the flow and the
//! queue are checked by [`crate::emulator::world::World`]). What the emulator chose where the
//! documentation leaves a choice:
//! - `TaskName` is required and not empty (`MissingParameter`, `InvalidParameterValue`), at
//!   most 64 characters (`InvalidParameterValue`); names are not unique;
//! - an empty `TaskPath`, `ListPath` or `DataFlowId` is absent;
//! - a `TaskPath` not starting `/cfs/` is `InvalidParameterValue.InvalidDataFlowTargetPath`;
//!   a `ListPath` not starting `/cfs/` is `InvalidParameter.ListPathInvalidPrefix`, one ending
//!   in `/` (a directory) `InvalidParameterValue.ListPathFileInvalid`.

use super::kinds::{NewTask, TaskTarget, TaskType};
use crate::emulator::config::EmulatorConfig;
use crate::emulator::limits::MAX_NAME_CHARS;
use crate::emulator::params::{
    check_file_system, only_known, optional_bool, optional_text, parse_object, required_str,
};
use crate::emulator::response::ApiError;

const PARAMS: &[&str] = &[
    "FileSystemId",
    "Type",
    "TaskName",
    "TaskPath",
    "ListPath",
    "DataFlowId",
    "IsOverwrite",
];

/// Reads and checks a CreateLifecycleDataTask body.
pub(crate) fn parse(body: &[u8], config: &EmulatorConfig) -> Result<NewTask, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let file_system_id = required_str(&p, "FileSystemId")?;
    let task_type = required_str(&p, "Type")?;
    let task_name = required_str(&p, "TaskName")?;
    let task_path = optional_text(&p, "TaskPath")?;
    let list_path = optional_text(&p, "ListPath")?;
    let data_flow_id = optional_text(&p, "DataFlowId")?;
    let is_overwrite = optional_bool(&p, "IsOverwrite")?.unwrap_or(false);

    check_file_system(file_system_id, config.file_systems.as_deref())?;
    let task_type = TaskType::parse(task_type).ok_or(ApiError::new(
        "InvalidParameterValue.InvalidLifecycleDataTaskType",
        "Type must be one of metaload, restore, release, archive.",
    ))?;
    if task_name.is_empty() || task_name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "TaskName must be 1 to 64 characters.",
        ));
    }
    let target = match (task_path, list_path) {
        (Some(path), None) if path.starts_with("/cfs/") => TaskTarget::Path(path.to_owned()),
        (Some(_), None) => {
            return Err(ApiError::new(
                "InvalidParameterValue.InvalidDataFlowTargetPath",
                "TaskPath must start with /cfs/.",
            ))
        }
        (None, Some(list)) if !list.starts_with("/cfs/") => {
            return Err(ApiError::new(
                "InvalidParameter.ListPathInvalidPrefix",
                "ListPath must start with /cfs/.",
            ))
        }
        (None, Some(list)) if list.ends_with('/') => {
            return Err(ApiError::new(
                "InvalidParameterValue.ListPathFileInvalid",
                "ListPath must name a file, not a directory.",
            ))
        }
        (None, Some(list)) => TaskTarget::List(list.to_owned()),
        _ => {
            return Err(ApiError::new(
                "InvalidParameter.ListPathAndTaskPathConflict",
                "Give exactly one of TaskPath and ListPath.",
            ))
        }
    };
    Ok(NewTask {
        file_system_id: file_system_id.to_owned(),
        task_type,
        task_name: task_name.to_owned(),
        target,
        data_flow_id: data_flow_id.map(str::to_owned),
        is_overwrite,
    })
}
