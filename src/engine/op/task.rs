//! The data-task operations: start a row's task of a type (CreateLifecycleDataTask, not
//! idempotent: a lost answer is settled by finding the task by its name), follow it to its end
//! (listings only), and stop it (StopLifecycleDataTask, safe to send again).

use std::time::Duration;

use crate::api::classify::{
    INVALID_DATA_FLOW_ID, INVALID_FS_STATUS, INVALID_TASK_ID, INVALID_TASK_STATUS,
    WAITING_TASK_LIMIT,
};
use crate::api::tasks::{CreateTaskRequest, StopTaskRequest, TaskInfo, TaskType};
use crate::api::{CallError, DataFlowInfo, OutcomeClass, Request};
use crate::engine::resume::{Known, Resume, DRIFT};
use crate::manifest::Row;
use crate::store::tasks::status_ended;
use crate::store::{RowState, Synced, TaskProgress};

use super::create::is_ours;
use super::{
    default_after_call, Action, AfterCall, Answer, Facts, Final, Judgement, Lost, Operation,
    RowView, Scope, Seen, Tries,
};

/// Code reported for a row with no data flow to start a task on.
pub const NO_FLOW: &str = "NoDataFlow";
/// Code reported for a row whose flow is not `available`.
pub const NOT_AVAILABLE: &str = "DataFlowNotAvailable";
/// Code recorded for a task that ended `failed`.
pub const TASK_FAILED: &str = "LifecycleTaskFailed";
/// Code for a recorded task the service no longer lists.
pub const TASK_NOT_LISTED: &str = "LifecycleTaskNotListed";
/// How long between two looks at running tasks.
pub const TASK_POLL: Duration = Duration::from_secs(5);

/// Starts one data task of `kind` per row whose flow is created and available.
#[derive(Debug, Clone, Copy)]
pub struct TaskStartOp {
    pub kind: TaskType,
    pub overwrite: bool,
    /// Start a new task for rows whose last one of the type has ended.
    pub again: bool,
}

/// Follows each row's task of `kind` until it ends.
#[derive(Debug, Clone, Copy)]
pub struct TaskWaitOp {
    pub kind: TaskType,
}

/// Stops each row's task of `kind` that is queued or running; with `wait`, until it is
/// `stopped`.
#[derive(Debug, Clone, Copy)]
pub struct TaskStopOp {
    pub kind: TaskType,
    pub wait: bool,
}

/// A task's progress, as listed.
pub fn progress(t: &TaskInfo) -> TaskProgress {
    TaskProgress {
        status: t.task_status.clone(),
        files_total: t.file_total_count,
        files_done: t.file_successed_count,
        files_failed: t.file_failed_count,
        bytes_total: t.file_total_size,
        bytes_done: t.file_successed_size,
        bytes_failed: t.file_failed_size,
        failed_list: Some(t.file_failed_list.clone()).filter(|s| !s.is_empty()),
    }
}

/// The row's own task among those a listing showed: by its id once known, else by its name.
fn own<'a>(view: RowView<'_>, tasks: &[&'a TaskInfo]) -> Option<&'a TaskInfo> {
    let task = view.task?;
    match &task.task_id {
        Some(id) => tasks.iter().copied().find(|t| &t.task_id == id),
        None => tasks
            .iter()
            .copied()
            .find(|t| t.task_name == task.name || t.task_name.is_empty()),
    }
}

fn not_listed(view: RowView<'_>) -> CallError {
    let (id, name) = view.task.map_or(("", ""), |t| {
        (t.task_id.as_deref().unwrap_or(""), &t.name[..])
    });
    CallError {
        class: OutcomeClass::Row,
        code: TASK_NOT_LISTED.into(),
        message: format!(
            "task {id} ({name}) of {} of {} is not listed by the service any more",
            view.row.target_key(),
            view.row.request.file_system_id
        ),
        request_id: None,
    }
}

/// Only rows whose flow is created, not drifted, can have a task.
fn flow_ok(known: &Known<'_>) -> Result<(), &'static str> {
    match known.state {
        RowState::Created if known.error_code == Some(DRIFT) => Err(DRIFT),
        RowState::Created => Ok(()),
        _ => Err(NO_FLOW),
    }
}

const fn task_facts(action: Action, kind: TaskType, looks_first: bool, wait: bool) -> Facts {
    Facts {
        action,
        done_state: RowState::Created,
        looks_first,
        bounded: !wait,
        wait_timeout: wait,
        task: Some(kind),
        records_calls: matches!(action, Action::CreateTask),
        patient: matches!(action, Action::CreateTask),
    }
}

impl Operation for TaskStartOp {
    /// The row's file system is listed first: a task starts only on a flow listed
    /// `available` now.
    fn facts(&self) -> Facts {
        task_facts(Action::CreateTask, self.kind, true, false)
    }

    fn request(&self, view: RowView<'_>) -> Request {
        Request::CreateTask(CreateTaskRequest {
            file_system_id: view.row.request.file_system_id.clone(),
            kind: self.kind,
            task_name: view.task.map(|t| t.name.clone()).unwrap_or_default(),
            task_path: view.row.target_key().to_owned(),
            data_flow_id: view.data_flow_id.map(str::to_owned),
            is_overwrite: self.overwrite,
        })
    }

    /// Before any create, the flows (is the row's available?); once a create was sent, the
    /// tasks of the row's name.
    fn scope(&self, view: RowView<'_>) -> Scope {
        match view.task {
            Some(t) if t.first_sent_ms.is_some() => Scope::Tasks {
                kind: Some(self.kind),
                name: Some(t.name.clone()),
            },
            _ => Scope::Flows,
        }
    }

    fn judge(&self, view: RowView<'_>, at: &[&DataFlowInfo]) -> Judgement {
        match at.iter().find(|f| is_ours(view.row, f)) {
            Some(f) if f.status == "available" => Judgement::call(Some(f.data_flow_id.clone())),
            Some(f) => {
                Judgement::Finish(Final::Skipped(CallError {
                    class: OutcomeClass::Row,
                    code: NOT_AVAILABLE.into(),
                    message: format!(
                    "data flow {} of {} is {}, not available: no task started (wait for it with \
                     `bulkflow run MANIFEST --wait`, then run this command again)",
                    f.data_flow_id,
                    view.row.target_key(),
                    if f.status.is_empty() { "of no status" } else { &f.status }
                ),
                    request_id: None,
                }))
            }
            None => Judgement::Finish(Final::Skipped(CallError {
                class: OutcomeClass::Row,
                code: NO_FLOW.into(),
                message: format!(
                    "{} of {} has no data flow of the row's source: no task started (run \
                     `bulkflow run MANIFEST --wait` first)",
                    view.row.target_key(),
                    view.row.request.file_system_id
                ),
                request_id: None,
            })),
        }
    }

    /// After a create of unknown outcome: the task of the row's name, if the service made it.
    fn judge_tasks(&self, view: RowView<'_>, tasks: &[&TaskInfo]) -> Judgement {
        match own(view, tasks) {
            Some(t) => Judgement::Finish(Final::Done {
                id: Some(t.task_id.clone()).filter(|id| !id.is_empty()),
                request_id: None,
                via: "listing",
                seen: Some(Seen::Task(Box::new(progress(t)))),
            }),
            None => Judgement::call(None),
        }
    }

    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        match result {
            // The file system's queue is full: it waits, the others go on.
            Err(e) if e.code == WAITING_TASK_LIMIT => AfterCall::Hold(e.clone()),
            Err(e) if e.code == INVALID_FS_STATUS || e.code == INVALID_DATA_FLOW_ID => {
                AfterCall::Finish(Final::Failed(CallError {
                    message: format!(
                        "{} (the row's flow is gone or not available: check it with `bulkflow \
                         plan MANIFEST`, then run this command again with --retry-failed)",
                        e.message
                    ),
                    ..e.clone()
                }))
            }
            _ => default_after_call(result, tries, Lost::List),
        }
    }

    fn resume(&self, known: Known<'_>, retry_failed: bool) -> Resume {
        if let Err(code) = flow_ok(&known) {
            return Resume::Skip(code);
        }
        let Some(task) = known.tasks.and_then(|t| t.task.as_ref()) else {
            return Resume::NewTask;
        };
        match task.state {
            RowState::Pending | RowState::Retrying | RowState::Unknown => Resume::Work,
            RowState::Created if self.again && task.ended() => Resume::NewTask,
            // --retry-failed: a new task for rows whose last one did not load everything.
            RowState::Created if retry_failed && task.ended_badly() => Resume::NewTask,
            RowState::Failed if retry_failed => Resume::Restart,
            _ => Resume::Settled,
        }
    }

    fn skip_error(&self, row: &Row, synced: &Synced, code: &'static str) -> CallError {
        let why = match code {
            DRIFT => "its flow was created from another source than the manifest now names",
            _ => match synced.state {
                RowState::Failed => "its flow failed to be created",
                RowState::Deleted => "its flow was deleted",
                _ => "its flow is not created yet",
            },
        };
        CallError {
            class: OutcomeClass::Row,
            code: code.into(),
            message: format!(
                "{} of {}: no task started: {why} (run `bulkflow run MANIFEST --wait` first)",
                row.target_key(),
                row.request.file_system_id
            ),
            request_id: None,
        }
    }
}

impl Operation for TaskWaitOp {
    /// Paced on DescribeLifecycleDataTask: the only calls are listings.
    fn facts(&self) -> Facts {
        task_facts(Action::DescribeTasks, self.kind, true, true)
    }

    /// Never asked: every judgement finishes or looks again.
    fn request(&self, view: RowView<'_>) -> Request {
        Request::StopTask(StopTaskRequest {
            task_id: view
                .task
                .and_then(|t| t.task_id.clone())
                .unwrap_or_default(),
        })
    }

    fn scope(&self, _view: RowView<'_>) -> Scope {
        Scope::Tasks {
            kind: Some(self.kind),
            name: None,
        }
    }

    fn judge_tasks(&self, view: RowView<'_>, tasks: &[&TaskInfo]) -> Judgement {
        let Some(t) = own(view, tasks) else {
            return Judgement::Finish(Final::Missing(not_listed(view)));
        };
        follow(t)
    }

    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        live_task(&known)
    }
}

/// A listed task: ended (done), or still going (watched).
fn follow(t: &TaskInfo) -> Judgement {
    let seen = Some(Seen::Task(Box::new(progress(t))));
    if status_ended(&t.task_status) {
        Judgement::Finish(Final::Done {
            id: Some(t.task_id.clone()).filter(|id| !id.is_empty()),
            request_id: None,
            via: if t.task_status == "failed" {
                "failed"
            } else {
                "ended"
            },
            seen,
        })
    } else {
        Judgement::Watch {
            after: TASK_POLL,
            seen,
        }
    }
}

/// Rows with a task that may still run.
fn live_task(known: &Known<'_>) -> Resume {
    match known.tasks.and_then(|t| t.task.as_ref()) {
        Some(t) if t.state == RowState::Created && !t.ended() => Resume::Work,
        _ => Resume::Settled,
    }
}

impl Operation for TaskStopOp {
    fn facts(&self) -> Facts {
        task_facts(Action::StopTask, self.kind, true, self.wait)
    }

    fn request(&self, view: RowView<'_>) -> Request {
        Request::StopTask(StopTaskRequest {
            task_id: view
                .task
                .and_then(|t| t.task_id.clone())
                .unwrap_or_default(),
        })
    }

    fn scope(&self, _view: RowView<'_>) -> Scope {
        Scope::Tasks {
            kind: Some(self.kind),
            name: None,
        }
    }

    fn judge_tasks(&self, view: RowView<'_>, tasks: &[&TaskInfo]) -> Judgement {
        let Some(t) = own(view, tasks) else {
            return Judgement::Finish(Final::Missing(not_listed(view)));
        };
        match t.task_status.as_str() {
            "init" | "running" => Judgement::Call {
                data_flow_id: None,
                task_id: Some(t.task_id.clone()).filter(|id| !id.is_empty()),
            },
            "stopping" if self.wait => follow(t),
            _ => Judgement::Finish(Final::Done {
                id: Some(t.task_id.clone()).filter(|id| !id.is_empty()),
                request_id: None,
                via: "listing",
                seen: Some(Seen::Task(Box::new(progress(t)))),
            }),
        }
    }

    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        match result {
            // Stopping: with --wait, look again until it is `stopped`.
            Ok(_) if self.wait => AfterCall::Resolve {
                exists: false,
                error: CallError {
                    class: OutcomeClass::Success,
                    code: "Stopping".into(),
                    message: "the task is stopping".into(),
                    request_id: None,
                },
            },
            // The task ended meanwhile: a listing says how.
            Err(e) if e.code == INVALID_TASK_STATUS => AfterCall::Resolve {
                exists: false,
                error: e.clone(),
            },
            // Unknown to the service: nothing left to stop.
            Err(e) if e.code == INVALID_TASK_ID => AfterCall::Finish(Final::Done {
                id: None,
                request_id: e.request_id.clone(),
                via: "call",
                seen: None,
            }),
            // A stop is safe to send again: a lost answer is sent again, not listed for.
            _ => default_after_call(result, tries, Lost::Resend),
        }
    }

    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        live_task(&known)
    }
}
