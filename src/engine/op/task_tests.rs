//! The data-task operations as tables: what each does with a recorded row, with a listing,
//! with an answer.

use super::task::{NOT_AVAILABLE, NO_FLOW};
use super::*;
use crate::api::classify::{INVALID_FS_STATUS, INVALID_TASK_ID, INVALID_TASK_STATUS};
use crate::api::error::codes;
use crate::api::tasks::{TaskInfo, TaskType};
use crate::engine::resume::{Known, Resume, DRIFT};
use crate::store::tasks::{RowTasks, TaskSynced};

fn row() -> Row {
    Row {
        line: 2,
        region: "ap-x".into(),
        request: crate::api::CreateDataFlowRequest {
            file_system_id: "cfs-1".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos".into(),
            source_path: "/src".into(),
            target_path: "/cfs/a".into(),
            ..Default::default()
        },
    }
}

fn task(state: RowState, status: Option<&str>, files_failed: Option<i64>) -> TaskSynced {
    TaskSynced {
        generation: 3,
        name: "bf-x-y-metaload-3".into(),
        state,
        task_id: Some("task-1".into()),
        status: status.map(str::to_owned),
        first_sent_ms: Some(1),
        unknown_since_ms: None,
        attempts: 1,
        error_code: None,
        files_failed,
    }
}

fn known<'a>(flow: RowState, error: Option<&'a str>, tasks: &'a RowTasks) -> Known<'a> {
    Known {
        state: flow,
        error_code: error,
        fingerprint: ("f", "f"),
        source: (Some("s"), "s"),
        data_flow_id: Some("cfs-dataflow-1"),
        rotation: None,
        keys: crate::store::key_digest::RowKeys::none(),
        tasks: Some(tasks),
    }
}

const START: TaskStartOp = TaskStartOp {
    kind: TaskType::Metaload,
    overwrite: false,
    again: false,
};

#[test]
fn a_start_resumes_each_recorded_task_as_its_table_says() {
    use RowState::*;
    let again = TaskStartOp {
        again: true,
        ..START
    };
    // flow state, drift, the row's latest task, --again, --retry-failed -> decision
    type Case = (RowState, bool, Option<TaskSynced>, bool, bool, Resume);
    let table: Vec<Case> = vec![
        (Pending, false, None, false, false, Resume::Skip(NO_FLOW)),
        (Failed, false, None, false, false, Resume::Skip(NO_FLOW)),
        (Created, true, None, false, false, Resume::Skip(DRIFT)),
        (Created, false, None, false, false, Resume::NewTask),
        (
            Created,
            false,
            Some(task(Pending, None, None)),
            false,
            false,
            Resume::Work,
        ),
        (
            Created,
            false,
            Some(task(Unknown, None, None)),
            false,
            false,
            Resume::Work,
        ),
        (
            Created,
            false,
            Some(task(Retrying, None, None)),
            true,
            false,
            Resume::Work,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("running"), None)),
            true,
            false,
            Resume::Settled,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("finished"), None)),
            false,
            false,
            Resume::Settled,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("finished"), None)),
            true,
            false,
            Resume::NewTask,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("finished"), Some(0))),
            false,
            true,
            Resume::Settled,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("finished"), Some(3))),
            false,
            true,
            Resume::NewTask,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("failed"), None)),
            false,
            true,
            Resume::NewTask,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("stopped"), None)),
            false,
            true,
            Resume::NewTask,
        ),
        (
            Created,
            false,
            Some(task(Created, Some("running"), Some(3))),
            false,
            true,
            Resume::Settled,
        ),
        (
            Created,
            false,
            Some(task(Failed, None, None)),
            false,
            false,
            Resume::Settled,
        ),
        (
            Created,
            false,
            Some(task(Failed, None, None)),
            false,
            true,
            Resume::Restart,
        ),
    ];
    for (flow, drift, t, with_again, retry, want) in table {
        let tasks = RowTasks {
            flow_status: Some("available".into()),
            task: t.clone(),
        };
        let error = drift.then_some(DRIFT);
        let op = if with_again { again } else { START };
        assert_eq!(
            op.resume(known(flow, error, &tasks), retry),
            want,
            "{flow:?} {drift} {t:?} {with_again} {retry}"
        );
    }
}

fn flow(id: &str, status: &str, source_path: &str) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        file_system_id: "cfs-1".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos".into(),
        source_path: source_path.into(),
        target_path: "/cfs/a/".into(),
        status: status.into(),
        ..Default::default()
    }
}

#[test]
fn a_start_sends_only_to_its_own_available_flow() {
    let r = row();
    let view = RowView::new(&r, None);
    let ours = flow("df-1", "available", "src");
    assert_eq!(
        START.judge(view, &[&ours]),
        Judgement::call(Some("df-1".into()))
    );
    let skipped = |j: Judgement| match j {
        Judgement::Finish(Final::Skipped(e)) => e.code,
        j => panic!("{j:?}"),
    };
    assert_eq!(
        skipped(START.judge(view, &[&flow("df-1", "pending", "src")])),
        NOT_AVAILABLE
    );
    assert_eq!(
        skipped(START.judge(view, &[&flow("df-2", "available", "other")])),
        NO_FLOW
    );
    assert_eq!(skipped(START.judge(view, &[])), NO_FLOW);
}

fn listed(id: &str, name: &str, status: &str) -> TaskInfo {
    TaskInfo {
        task_id: id.into(),
        task_name: name.into(),
        task_status: status.into(),
        file_total_size: Some(100),
        file_successed_size: Some(40),
        ..Default::default()
    }
}

fn task_ref(id: Option<&str>) -> TaskRef {
    TaskRef {
        key: crate::store::TaskKey {
            flow_id: 1,
            kind: TaskType::Metaload,
            generation: 1,
        },
        name: "bf-n-r-metaload-1".into(),
        task_id: id.map(str::to_owned),
        first_sent_ms: Some(1),
        new: false,
    }
}

#[test]
fn a_lost_create_is_settled_by_the_task_of_its_name_only() {
    let r = row();
    let t = task_ref(None);
    let view = RowView {
        task: Some(&t),
        ..RowView::new(&r, Some("df-1"))
    };
    // A listing asked by name: the row's task, whatever else a careless filter lets through.
    let mine = listed("task-9", "bf-n-r-metaload-1", "init");
    let theirs = listed("task-8", "someone-elses", "running");
    match START.judge_tasks(view, &[&theirs, &mine]) {
        Judgement::Finish(Final::Done { id, .. }) => assert_eq!(id.as_deref(), Some("task-9")),
        j => panic!("{j:?}"),
    }
    // Never adopted: another name.
    assert_eq!(START.judge_tasks(view, &[&theirs]), Judgement::call(None));
    assert_eq!(START.judge_tasks(view, &[]), Judgement::call(None));
}

#[test]
fn a_start_holds_a_full_queue_and_fails_an_unavailable_flow() {
    let err = |code: &str, class| {
        Err(CallError {
            class,
            code: code.into(),
            message: "m".into(),
            request_id: None,
        })
    };
    let limit = crate::api::classify::WAITING_TASK_LIMIT;
    assert!(matches!(
        START.after_call(&err(limit, OutcomeClass::Transient), Tries::new(8, 8)),
        AfterCall::Hold(_)
    ));
    assert!(matches!(
        START.after_call(&err(INVALID_FS_STATUS, OutcomeClass::Row), Tries::new(1, 8)),
        AfterCall::Finish(Final::Failed(_))
    ));
    // A lost answer is looked for by name, never sent again blind.
    assert!(matches!(
        START.after_call(
            &err(codes::TIMEOUT, OutcomeClass::Unknown),
            Tries::new(1, 8)
        ),
        AfterCall::Resolve { exists: false, .. }
    ));
    assert!(START.facts().patient && START.facts().records_calls);
}

#[test]
fn following_and_stopping_judge_the_rows_own_task_by_its_id() {
    let r = row();
    let t = task_ref(Some("task-1"));
    let view = RowView {
        task: Some(&t),
        ..RowView::new(&r, Some("df-1"))
    };
    let follow = TaskWaitOp {
        kind: TaskType::Metaload,
    };
    let stop = TaskStopOp {
        kind: TaskType::Metaload,
        wait: true,
    };
    let other = listed("task-2", "bf-n-r-metaload-1", "running");
    assert!(matches!(
        follow.judge_tasks(view, &[&other, &listed("task-1", "", "running")]),
        Judgement::Watch { .. }
    ));
    assert!(matches!(
        follow.judge_tasks(view, &[&listed("task-1", "", "finished")]),
        Judgement::Finish(Final::Done { .. })
    ));
    assert!(matches!(
        follow.judge_tasks(view, &[&other]),
        Judgement::Finish(Final::Missing(_))
    ));
    assert_eq!(
        stop.judge_tasks(view, &[&other, &listed("task-1", "", "init")]),
        Judgement::Call {
            data_flow_id: None,
            task_id: Some("task-1".into())
        }
    );
    assert!(matches!(
        stop.judge_tasks(view, &[&listed("task-1", "", "stopping")]),
        Judgement::Watch { .. }
    ));
    assert!(matches!(
        stop.judge_tasks(view, &[&listed("task-1", "", "finished")]),
        Judgement::Finish(Final::Done { .. })
    ));
    // A stop is sent again after a lost answer; an ended task is listed for; a gone one is done.
    let err = |code: &str, class| {
        Err(CallError {
            class,
            code: code.into(),
            message: "m".into(),
            request_id: None,
        })
    };
    assert!(matches!(
        stop.after_call(
            &err(codes::TIMEOUT, OutcomeClass::Unknown),
            Tries::new(1, 8)
        ),
        AfterCall::Retry { .. }
    ));
    assert!(matches!(
        stop.after_call(
            &err(INVALID_TASK_STATUS, OutcomeClass::Row),
            Tries::new(1, 8)
        ),
        AfterCall::Resolve { .. }
    ));
    assert!(matches!(
        stop.after_call(&err(INVALID_TASK_ID, OutcomeClass::Row), Tries::new(1, 8)),
        AfterCall::Finish(Final::Done { .. })
    ));
    assert!(!stop.facts().records_calls);
}
