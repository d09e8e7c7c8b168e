//! StopLifecycleDataTask: `TaskId` (required). What the emulator chose where the documentation
//! leaves a choice: an `init` (queued) or `running` task goes `stopping`, then `stopped`
//! (`--task-stopping-ms`); stopping a task that is already `stopping` or `stopped` succeeds and
//! changes nothing; a `finished` or `failed` task answers
//! `UnsupportedOperation.InvalidLifecycleDataTaskStatus`; an unknown id
//! `InvalidParameterValue.InvalidLifecycleTaskId`.

use crate::emulator::params::{only_known, parse_object, required_str};
use crate::emulator::response::ApiError;

const PARAMS: &[&str] = &["TaskId"];

/// Reads and checks a StopLifecycleDataTask body: the task's id.
pub(crate) fn parse(body: &[u8]) -> Result<String, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let id = required_str(&p, "TaskId")?;
    if id.is_empty() {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidLifecycleTaskId",
            "TaskId is empty.",
        ));
    }
    Ok(id.to_owned())
}
