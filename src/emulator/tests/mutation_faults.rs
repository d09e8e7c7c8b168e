//! The rate budget and the faults of DeleteDataFlow and ModifyDataFlow: each action has its own
//! budget, and every fault applies to them as to CreateDataFlow.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::*;
use super::mutations::{delete, made, modify};
use crate::emulator::{EmulatorConfig, PreexistingFlow};

#[test]
fn each_action_has_its_own_budget() {
    let emu = start(EmulatorConfig {
        rate: 2,
        ..EmulatorConfig::default()
    });
    let mut c = Client::connect(&emu);
    let t0 = Instant::now();
    let a = made(&mut c, "cfs-1", "/cfs/a");
    let b = made(&mut c, "cfs-1", "/cfs/b");
    assert_eq!(
        code(&c.call(&create("cfs-1", "/cfs/c"))),
        "RequestLimitExceeded"
    );
    let m = |id: &str| modify(json!({"DataFlowId": id, "FileSystemId": "cfs-1", "UserName": "u"}));
    assert_eq!(code(&c.call(&m(&a))), "");
    assert_eq!(code(&c.call(&m(&b))), "");
    assert_eq!(code(&c.call(&m(&a))), "RequestLimitExceeded");
    assert_eq!(code(&c.call(&delete(json!({ "DataFlowId": a })))), "");
    assert_eq!(code(&c.call(&delete(json!({ "DataFlowId": b })))), "");
    assert_eq!(
        code(&c.call(&delete(json!({ "DataFlowId": a })))),
        "RequestLimitExceeded"
    );
    assert_eq!(code(&c.call(&describe(json!({})))), "");
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "too slow to test the window"
    );
    assert_eq!(emu.counters().throttled, 3);
}

#[test]
fn background_load_takes_its_share_of_delete_and_modify() {
    let emu = start(EmulatorConfig {
        rate: 3,
        background_load: 2,
        ..EmulatorConfig::default()
    });
    let mut c = Client::connect(&emu);
    let id = made(&mut c, "cfs-1", "/cfs/a");
    let m = modify(json!({"DataFlowId": id, "FileSystemId": "cfs-1"}));
    assert_eq!(code(&c.call(&m)), "");
    assert_eq!(code(&c.call(&m)), "RequestLimitExceeded");
    let d = delete(json!({ "DataFlowId": id }));
    assert_eq!(code(&c.call(&d)), "");
    assert_eq!(code(&c.call(&d)), "RequestLimitExceeded");
}

#[test]
fn internal_error_does_not_act_on_delete_or_modify() {
    let emu = start(EmulatorConfig {
        internal_error: 1.0,
        preexisting: vec![PreexistingFlow {
            data_flow_id: Some("cfs-dataflow-pre1".into()),
            file_system_id: "cfs-1".into(),
            target_path: "/cfs/a".into(),
            ..PreexistingFlow::default()
        }],
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let d = delete(json!({"DataFlowId": "cfs-dataflow-pre1"}));
    assert_eq!(code(&c.call(&d)), "InternalError");
    let m = modify(
        json!({"DataFlowId": "cfs-dataflow-pre1", "FileSystemId": "cfs-1", "DataFlowName": "x"}),
    );
    assert_eq!(code(&c.call(&m)), "InternalError");
    let rec = &emu.flow_records()[0];
    assert_eq!(
        (rec.info.status.as_str(), rec.modifications),
        ("available", 0)
    );
}

#[test]
fn lost_response_deletes_and_modifies_then_closes() {
    let emu = start(EmulatorConfig {
        lost_response: 1.0,
        preexisting: ["a", "b"]
            .map(|d| PreexistingFlow {
                data_flow_id: Some(format!("cfs-dataflow-{d}")),
                file_system_id: "cfs-1".into(),
                target_path: format!("/cfs/{d}"),
                ..PreexistingFlow::default()
            })
            .to_vec(),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    assert!(c
        .send(&delete(json!({"DataFlowId": "cfs-dataflow-a"})))
        .is_err());
    let mut c = Client::connect(&emu);
    let m =
        modify(json!({"DataFlowId": "cfs-dataflow-b", "FileSystemId": "cfs-1", "UserName": "u2"}));
    assert!(c.send(&m).is_err());
    let flows = emu.flows();
    assert_eq!(flows[0].status, "deleting");
    assert_eq!(flows[1].user_name, "u2");
    let n = emu.counters();
    assert_eq!((n.lost_responses, n.deleted, n.modified), (2, 1, 1));
}

#[test]
fn late_delete_and_modify_act_after_the_client_gives_up() {
    let emu = start(EmulatorConfig {
        late_create: 1.0,
        late_create_delay_ms: 20,
        preexisting: vec![PreexistingFlow {
            data_flow_id: Some("cfs-dataflow-a".into()),
            file_system_id: "cfs-1".into(),
            target_path: "/cfs/a".into(),
            ..PreexistingFlow::default()
        }],
        ..unlimited()
    });
    let give_up = |call: &Call| {
        let mut c = Client::connect(&emu);
        c.set_read_timeout(Duration::from_millis(200));
        assert!(c.send(call).is_err(), "{}", call.action);
    };
    give_up(&modify(
        json!({"DataFlowId": "cfs-dataflow-a", "FileSystemId": "cfs-1", "DataFlowName": "late"}),
    ));
    assert!(eventually(|| emu.flows()[0].data_flow_name == "late"));
    give_up(&delete(json!({"DataFlowId": "cfs-dataflow-a"})));
    assert!(eventually(|| emu.flows()[0].status == "deleting"));
    assert_eq!(emu.counters().late_creates, 2);
}
