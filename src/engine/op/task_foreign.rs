//! `delete --stop-tasks`: every queued or running data task on a row's flow is stopped, whoever
//! started it, and waited for until it is `stopped`, so that the flow can be deleted. Nothing is
//! recorded of these tasks (they are not the row's): a stop is safe to send again.

use crate::api::classify::{INVALID_TASK_ID, INVALID_TASK_STATUS};
use crate::api::tasks::{StopTaskRequest, TaskInfo};
use crate::api::{CallError, OutcomeClass, Request};
use crate::engine::resume::{Known, Resume, DRIFT};
use crate::store::RowState;

use super::delete::BUSY;
use super::task::{progress, TASK_POLL};
use super::{
    default_after_call, Action, AfterCall, Answer, Facts, Final, Judgement, Lost, Operation,
    RowView, Scope, Seen, Tries,
};

/// Stops every task on each row's flow, and waits until they are stopped.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopAnyTaskOp;

impl Operation for StopAnyTaskOp {
    fn facts(&self) -> Facts {
        Facts {
            action: Action::StopTask,
            done_state: RowState::Created,
            looks_first: true,
            bounded: false,
            wait_timeout: false,
            task: None,
            records_calls: false,
            patient: false,
        }
    }

    fn request(&self, view: RowView<'_>) -> Request {
        Request::StopTask(StopTaskRequest {
            task_id: view.call_task.unwrap_or_default().to_owned(),
        })
    }

    /// Every task of the row's file system, of any type: the row reads those on its flow.
    fn scope(&self, _view: RowView<'_>) -> Scope {
        Scope::Tasks {
            kind: None,
            name: None,
        }
    }

    fn judge_tasks(&self, view: RowView<'_>, tasks: &[&TaskInfo]) -> Judgement {
        let on_flow = |t: &&&TaskInfo| view.data_flow_id.is_some_and(|df| t.data_flow_id == df);
        if let Some(t) = tasks
            .iter()
            .filter(on_flow)
            .find(|t| matches!(t.task_status.as_str(), "init" | "running"))
        {
            return Judgement::Call {
                data_flow_id: None,
                task_id: Some(t.task_id.clone()),
            };
        }
        match tasks
            .iter()
            .filter(on_flow)
            .find(|t| t.task_status == "stopping")
        {
            Some(t) => Judgement::Watch {
                after: TASK_POLL,
                seen: Some(Seen::Task(Box::new(progress(t)))),
            },
            // Nothing runs on the flow: nothing to record either.
            None => Judgement::Finish(Final::Unchanged { via: "listing" }),
        }
    }

    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        let look = |error: CallError| AfterCall::Resolve {
            exists: false,
            error,
        };
        match result {
            // Stopping: look again, for the next task on the flow or until it is stopped.
            Ok(_) => look(CallError {
                class: OutcomeClass::Success,
                code: "Stopping".into(),
                message: "a task on the flow is stopping".into(),
                request_id: None,
            }),
            Err(e) if e.code == INVALID_TASK_STATUS || e.code == INVALID_TASK_ID => look(e.clone()),
            _ => default_after_call(result, tries, Lost::Resend),
        }
    }

    /// Rows with a flow of their own source, and rows an earlier delete found busy.
    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        match known.state {
            RowState::Created if known.error_code != Some(DRIFT) => Resume::Work,
            RowState::Failed if known.error_code == Some(BUSY) => Resume::Work,
            _ => Resume::Settled,
        }
    }
}
