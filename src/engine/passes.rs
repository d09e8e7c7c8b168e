//! The passes of a run over the manifest's rows, each one operation, in order: a run's create
//! (then update, key rotation, wait, and `run --task`'s data tasks), a delete (its rows' own
//! running tasks stopped first), or `bulkflow task`'s start or stop (then follow).

use std::sync::Arc;

use super::op::{
    CreateOp, DeleteOp, Operation, StopAnyTaskOp, TaskStartOp, TaskStopOp, TaskWaitOp, UpdateOp,
    WaitOp,
};
use super::{Goal, Pass, TaskAction};
use crate::api::tasks::TaskType;

/// One pass over the manifest's rows with one operation.
pub enum Step {
    Op(Arc<dyn Operation>, Pass),
    /// Key rotation: its number is known once the state file is open.
    Rotate,
}

impl Step {
    /// The pass the step is.
    pub fn pass(&self) -> Pass {
        match self {
            Step::Op(_, pass) => *pass,
            Step::Rotate => Pass::Rotate,
        }
    }
}

/// The passes of a run: its goal's, then `run --task`'s data tasks; `live` are the types of
/// which the state file has tasks that may still run (a delete stops them first).
pub fn passes(goal: &Goal, tasks: &[TaskType], live: &[TaskType], stop_any: bool) -> Vec<Step> {
    let op = |op: Arc<dyn Operation>, pass| Step::Op(op, pass);
    let start = |kind, overwrite, again| {
        op(
            Arc::new(TaskStartOp {
                kind,
                overwrite,
                again,
            }),
            Pass::TaskStart(kind),
        )
    };
    let follow = |kind| op(Arc::new(TaskWaitOp { kind }), Pass::TaskWait(kind));
    let stop = |kind, wait| op(Arc::new(TaskStopOp { kind, wait }), Pass::TaskStop(kind));
    let mut v = Vec::new();
    match goal {
        Goal::Delete => {
            v.extend(live.iter().map(|&kind| stop(kind, true)));
            if stop_any {
                v.push(op(Arc::new(StopAnyTaskOp), Pass::StopAnyTask));
            }
            v.push(op(Arc::new(DeleteOp), Pass::Delete));
        }
        Goal::Create {
            update,
            rotate,
            wait,
        } => {
            v.push(op(Arc::new(CreateOp), Pass::Create));
            if *update {
                v.push(op(Arc::new(UpdateOp), Pass::Update));
            }
            if *rotate {
                v.push(Step::Rotate);
            }
            if wait.is_some() {
                v.push(op(Arc::new(WaitOp), Pass::Wait));
            }
            for &kind in tasks {
                v.push(start(kind, false, false));
                v.push(follow(kind));
            }
        }
        Goal::Task {
            action:
                TaskAction::Start {
                    kind,
                    overwrite,
                    again,
                },
            wait,
        } => {
            v.push(start(*kind, *overwrite, *again));
            if wait.is_some() {
                v.push(follow(*kind));
            }
        }
        Goal::Task {
            action: TaskAction::Stop { kinds },
            wait,
        } => {
            let kinds = if kinds.is_empty() { live } else { kinds };
            v.extend(kinds.iter().map(|&kind| stop(kind, wait.is_some())));
        }
    }
    v
}

/// The data tasks a run concerns: each type, whether its tasks are started (else stopped),
/// and whether they are followed to their end.
pub fn task_plan(
    goal: &Goal,
    tasks: &[TaskType],
    live: &[TaskType],
) -> Vec<(TaskType, bool, bool)> {
    match goal {
        Goal::Create { .. } => tasks.iter().map(|&k| (k, true, true)).collect(),
        Goal::Task {
            action: TaskAction::Start { kind, .. },
            wait,
        } => vec![(*kind, true, wait.is_some())],
        Goal::Task {
            action: TaskAction::Stop { kinds },
            wait,
        } => {
            let kinds = if kinds.is_empty() { live } else { kinds };
            kinds.iter().map(|&k| (k, false, wait.is_some())).collect()
        }
        Goal::Delete => Vec::new(),
    }
}

/// How long a pass may wait: `--wait-timeout` bounds the passes that wait (flows to become
/// available, tasks to end), beside `--max-runtime`.
pub fn wait_of(goal: &Goal) -> Option<std::time::Duration> {
    match goal {
        Goal::Create { wait, .. } | Goal::Task { wait, .. } => *wait,
        Goal::Delete => None,
    }
}

/// Whether `pass` is one of the goal's own passes, whose rows reached are what the run did
/// (`runs.created`, the summary's `created_now`): the create of a run, the delete of a delete
/// (not the stops of tasks before it), the starts or stops of `bulkflow task`.
pub fn is_goal(goal: &Goal, pass: Pass) -> bool {
    matches!(
        (goal, pass),
        (Goal::Create { .. }, Pass::Create)
            | (Goal::Delete, Pass::Delete)
            | (
                Goal::Task {
                    action: TaskAction::Start { .. },
                    ..
                },
                Pass::TaskStart(_),
            )
            | (
                Goal::Task {
                    action: TaskAction::Stop { .. },
                    ..
                },
                Pass::TaskStop(_),
            )
    )
}

/// What `runs.command` records of a run with this goal.
pub fn command(goal: &Goal) -> &'static str {
    use crate::store::run_record::command;
    match goal {
        Goal::Create { .. } => command::RUN,
        Goal::Delete => command::DELETE,
        Goal::Task {
            action: TaskAction::Start { .. },
            ..
        } => command::TASK,
        Goal::Task {
            action: TaskAction::Stop { .. },
            ..
        } => command::TASK_STOP,
    }
}
