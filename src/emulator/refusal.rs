//! Why a valid request cannot act on what exists, and the answer the service gives for it.

use super::response::ApiError;

/// Why a valid request cannot act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The directory already has a flow (a `deleting` one counts).
    PathUsed,
    /// The file system has `flow_limit` flows.
    LimitReached,
    /// No flow has this id (any more).
    NoSuchFlow,
    /// The flow is on another file system than the request names.
    WrongFileSystem,
    /// The flow is being deleted, so it cannot be modified.
    BeingDeleted,
    /// (Pre-existing flows only) another flow has this id.
    DuplicateId,
    /// The file system already has `--task-queue` tasks waiting.
    QueueFull,
    /// A task's `DataFlowId` names no flow of its file system.
    NoSuchTaskFlow,
    /// A task's flow is not `available`.
    FlowNotAvailable,
    /// A task's `TaskPath` is outside its flow's directory.
    PathOutsideFlow,
    /// No task has this id.
    NoSuchTask,
    /// The task is `finished` or `failed`: it cannot be stopped.
    TaskEnded,
    /// A task on the flow is queued, running or stopping: the flow cannot be deleted.
    FlowBusy,
}

impl Refusal {
    /// The answer for a valid request that the state refuses.
    pub(crate) fn error(self) -> ApiError {
        match self {
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
            Refusal::QueueFull => ApiError::new(
                "InvalidParameterValue.WaitingTaskLimitExceeded",
                "The file system has too many data tasks waiting; try again later.",
            ),
            Refusal::NoSuchTaskFlow => ApiError::new(
                "InvalidParameterValue.InvalidDataFlowId",
                "The data flow does not exist on this file system.",
            ),
            Refusal::FlowNotAvailable => ApiError::new(
                "InvalidParameterValue.InvalidFsStatus",
                "The data flow is not available.",
            ),
            Refusal::PathOutsideFlow => ApiError::new(
                "InvalidParameterValue.InvalidDataFlowTargetPath",
                "TaskPath is not inside the data flow's target path.",
            ),
            Refusal::NoSuchTask => ApiError::new(
                "InvalidParameterValue.InvalidLifecycleTaskId",
                "The data task does not exist.",
            ),
            Refusal::TaskEnded => ApiError::new(
                "UnsupportedOperation.InvalidLifecycleDataTaskStatus",
                "The data task has finished or failed and cannot be stopped.",
            ),
            Refusal::FlowBusy => ApiError::new(
                "UnsupportedOperation.InvalidLifecycleDataTaskStatus",
                "A data task on this data flow is queued, running or stopping; stop it first.",
            ),
        }
    }
}
