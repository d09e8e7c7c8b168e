//! The data-task actions over HTTP, with the emulator's clock moved on instead of sleeping:
//! the queue limit, a stop's life, and DeleteDataFlow refused while a task runs.

use std::time::Duration;

use serde_json::json;

use super::client::*;
use super::task_actions::create_task_body;
use crate::emulator::{EmulatorConfig, TaskStatus};

#[test]
fn the_queue_limit_refuses_a_create_per_file_system() {
    let emu = start(EmulatorConfig {
        task_slots: 1,
        task_queue: 1,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    for path in ["/cfs/a", "/cfs/b"] {
        assert_eq!(
            code(&c.call(&create_task("cfs-1", "restore", "n", path))),
            ""
        );
    }
    let r = c.call(&create_task("cfs-1", "restore", "n", "/cfs/c"));
    assert_eq!(code(&r), "InvalidParameterValue.WaitingTaskLimitExceeded");
    assert_eq!(
        code(&c.call(&create_task("cfs-2", "restore", "n", "/cfs/c"))),
        ""
    );
    assert_eq!(emu.tasks().len(), 3);
    let n = emu.task_counters();
    assert_eq!((n.queue_full, n.created), (1, 3));
}

#[test]
fn a_stop_goes_stopping_then_stopped_and_an_ended_task_cannot_be_stopped() {
    let emu = start(EmulatorConfig {
        task_stopping_ms: 5_000,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    assert_eq!(
        code(&c.call(&stop_task("task-nosuch00"))),
        "InvalidParameterValue.InvalidLifecycleTaskId"
    );
    assert_eq!(
        code(&c.call(&Call::new("StopLifecycleDataTask", json!({})))),
        "MissingParameter"
    );
    let id = task_id(&c.call(&create_task("cfs-1", "restore", "n", "/cfs/a")));
    let r = c.call(&stop_task(&id));
    assert_eq!(code(&r), "");
    assert_eq!(r.as_object().unwrap().len(), 1, "RequestId only: {r}");
    let status = |c: &mut Client| {
        let r = c.call(&describe_tasks(json!({ "TaskId": id })));
        r["LifecycleDataTask"][0].clone()
    };
    let t = status(&mut c);
    assert_eq!(
        (t["TaskStatus"].as_str(), t["FinishTime"].as_str()),
        (Some("stopping"), Some(""))
    );
    assert_eq!(
        code(&c.call(&stop_task(&id))),
        "",
        "again: success, no change"
    );
    emu.fast_forward(Duration::from_secs(5));
    let t = status(&mut c);
    assert_eq!(t["TaskStatus"], "stopped");
    assert_eq!(t["FinishTime"].as_str().unwrap().len(), 19);
    assert_eq!(code(&c.call(&stop_task(&id))), "");

    let done = task_id(&c.call(&create_task("cfs-1", "metaload", "n", "/cfs/b")));
    emu.fast_forward(Duration::from_secs(3600));
    assert_eq!(status_of(&emu, &done), TaskStatus::Finished);
    let r = c.call(&stop_task(&done));
    assert_eq!(
        code(&r),
        "UnsupportedOperation.InvalidLifecycleDataTaskStatus"
    );
    let rec = emu.tasks().into_iter().find(|t| t.task_id == id).unwrap();
    assert_eq!((rec.status, rec.stop_calls), (TaskStatus::Stopped, 3));
    let n = emu.task_counters();
    assert_eq!((n.stop_calls, n.stopped), (6, 1));
}

fn status_of(emu: &crate::emulator::Emulator, id: &str) -> TaskStatus {
    emu.tasks()
        .into_iter()
        .find(|t| t.task_id == id)
        .unwrap()
        .status
}

#[test]
fn delete_data_flow_is_refused_while_a_task_runs_on_the_flow() {
    let emu = start(EmulatorConfig {
        task_stopping_ms: 1_000,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let flow = c.call(&create("cfs-1", "/cfs/a"))["DataFlowId"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_flow = json!({"DataFlowId": flow});
    let r = c.call(&create_task_body(on_flow.clone()));
    assert_eq!(
        code(&r),
        "InvalidParameterValue.InvalidFsStatus",
        "the flow is pending"
    );
    emu.fast_forward(Duration::from_secs(1));
    let outside = c.call(&create_task_body(
        json!({"DataFlowId": flow, "TaskPath": "/cfs/b"}),
    ));
    assert_eq!(
        code(&outside),
        "InvalidParameterValue.InvalidDataFlowTargetPath"
    );
    let id = task_id(&c.call(&create_task_body(on_flow)));
    let delete = Call::new(
        "DeleteDataFlow",
        json!({"DataFlowId": flow, "FileSystemId": "cfs-1"}),
    );
    assert_eq!(
        code(&c.call(&delete)),
        "UnsupportedOperation.InvalidLifecycleDataTaskStatus"
    );
    assert_eq!(emu.flows()[0].status, "available");
    c.call(&stop_task(&id));
    assert_eq!(
        code(&c.call(&delete)),
        "UnsupportedOperation.InvalidLifecycleDataTaskStatus"
    );
    emu.fast_forward(Duration::from_secs(1));
    assert_eq!(code(&c.call(&delete)), "");
    assert_eq!(emu.flows()[0].status, "deleting");
}
