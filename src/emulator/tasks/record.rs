//! A task as tests read it ([`crate::emulator::Emulator::tasks`]): what a listing shows, with
//! nothing held back while it is queued, and what no listing shows.

use std::time::Instant;

use super::kinds::{TaskStatus, TaskTarget, TaskType};
use super::size::Counts;
use super::task::Task;

/// One data task, as the emulator holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// `TaskId`: `task-` and eight lower-case letters and digits.
    pub task_id: String,
    /// `TaskName`.
    pub task_name: String,
    /// `FileSystemId`.
    pub file_system_id: String,
    /// `Type`.
    pub task_type: TaskType,
    /// `TaskPath` or `ListPath`.
    pub target: TaskTarget,
    /// `DataFlowId`, when it goes through a flow.
    pub data_flow_id: Option<String>,
    /// `IsOverwrite`.
    pub is_overwrite: bool,
    /// `TaskStatus` now.
    pub status: TaskStatus,
    /// `CreationTime`, China Standard Time.
    pub creation_time: String,
    /// `FinishTime` once it ended (finished, failed or stopped).
    pub finish_time: Option<String>,
    /// Files and bytes: total, done, failed.
    pub counts: Counts,
    /// `FileFailedList`, when a file failed.
    pub failed_list: Option<String>,
    /// Whether DescribeLifecycleDataTask shows it yet (`--listing-delay-ms`).
    pub listed: bool,
    /// Added by [`crate::emulator::Emulator::add_task`] (a task of someone else), not by a call.
    pub added_by_test: bool,
    /// StopLifecycleDataTask calls that named it, whatever they answered.
    pub stop_calls: u32,
}

impl TaskRecord {
    /// The record of `task` at `now` (the table advanced to `now` first).
    pub(crate) fn of(task: &Task, now: Instant) -> TaskRecord {
        let counts = task.counts(now);
        let [_, _, failed] = task.lists(&counts);
        TaskRecord {
            task_id: task.id.clone(),
            task_name: task.new.task_name.clone(),
            file_system_id: task.new.file_system_id.clone(),
            task_type: task.new.task_type,
            target: task.new.target.clone(),
            data_flow_id: task.new.data_flow_id.clone(),
            is_overwrite: task.new.is_overwrite,
            status: task.status(),
            creation_time: task.creation_time(),
            finish_time: task.finish_time(),
            counts,
            failed_list: (!failed.is_empty()).then_some(failed),
            listed: now >= task.listed_at,
            added_by_test: task.added,
            stop_calls: task.stop_calls,
        }
    }
}
