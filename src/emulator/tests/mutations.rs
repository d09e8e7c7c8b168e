//! DeleteDataFlow and ModifyDataFlow over HTTP: success, listing, validation, the Status life,
//! pre-existing flows.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::*;
use crate::emulator::{EmulatorConfig, FlowStatus, PreexistingFlow};

pub(super) fn delete(body: Value) -> Call {
    Call::new("DeleteDataFlow", body)
}

pub(super) fn modify(body: Value) -> Call {
    Call::new("ModifyDataFlow", body)
}

/// Creates a flow and returns its id.
pub(super) fn made(c: &mut Client, fs: &str, target: &str) -> String {
    let r = c.call(&create(fs, target));
    r["DataFlowId"].as_str().unwrap().to_owned()
}

/// The listing of `id`: its entry, or `Null` once it is not listed.
fn listed(c: &mut Client, id: &str) -> Value {
    let page = c.call(&describe(json!({ "DataFlowId": id })));
    page["DataFlows"][0].clone()
}

#[test]
fn delete_lists_deleting_keeps_the_directory_then_the_flow_is_gone() {
    let emu = start(EmulatorConfig {
        deleting_ms: 300,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let id = made(&mut c, "cfs-1", "/cfs/a");
    let t0 = Instant::now();
    let r = c.call(&delete(json!({"DataFlowId": id, "FileSystemId": "cfs-1"})));
    assert_eq!(code(&r), "");
    assert_eq!(
        r.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["RequestId"]
    );
    assert_eq!(listed(&mut c, &id)["Status"], "deleting");
    let used = c.call(&create("cfs-1", "/cfs/a/"));
    assert_eq!(code(&used), "InvalidParameterValue.PathUsedInDataflow");
    // Deleting a flow that is deleting succeeds (without the optional FileSystemId too).
    assert_eq!(code(&c.call(&delete(json!({ "DataFlowId": id })))), "");
    assert!(
        t0.elapsed() < Duration::from_millis(300),
        "too slow to test"
    );
    assert!(eventually(|| listed(&mut c, &id).is_null()));
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert!(emu.flows().is_empty());
    let gone = c.call(&delete(json!({ "DataFlowId": id })));
    assert_eq!(code(&gone), "InvalidParameterValue.InvalidDataFlowId");
    let again = made(&mut c, "cfs-1", "/cfs/a");
    assert_ne!(again, id);
    let n = emu.counters();
    assert_eq!((n.delete_calls, n.deleted, n.created), (3, 2, 2));
}

#[test]
fn delete_validation() {
    let emu = start(EmulatorConfig {
        file_systems: Some(vec!["cfs-1".into(), "cfs-2".into()]),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let id = made(&mut c, "cfs-1", "/cfs/a");
    for (body, want) in [
        (json!({}), "MissingParameter"),
        (json!({"FileSystemId": "cfs-1"}), "MissingParameter"),
        (json!({"DataFlowId": 5}), "InvalidParameter"),
        (
            json!({"DataFlowId": id, "TargetPath": "/cfs/a"}),
            "UnknownParameter",
        ),
        (
            json!({"DataFlowId": "cfs-dataflow-00000000"}),
            "InvalidParameterValue.InvalidDataFlowId",
        ),
        (
            json!({"DataFlowId": id, "FileSystemId": "nope"}),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            json!({"DataFlowId": id, "FileSystemId": "cfs-3"}),
            "ResourceNotFound.FileSystemNotFound",
        ),
        (
            json!({"DataFlowId": id, "FileSystemId": "cfs-2"}),
            "ResourceNotFound",
        ),
    ] {
        assert_eq!(code(&c.call(&delete(body.clone()))), want, "{body}");
    }
    assert_ne!(emu.flows()[0].status, "deleting", "nothing was deleted");
    assert_eq!(emu.counters().deleted, 0);
}

#[test]
fn modify_records_new_values_lists_them_and_never_a_secret() {
    let emu = start(EmulatorConfig {
        available_after_ms: 0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let id = made(&mut c, "cfs-1", "/cfs/a");
    let other = made(&mut c, "cfs-1", "/cfs/b");
    let before = emu.flow_records();
    assert_eq!(before[0].secret_id.expose(), "AKIDsource");
    assert_eq!((before[0].key_rotations, before[0].modifications), (0, 0));

    let r = c.call(&modify(json!({
        "DataFlowId": id, "FileSystemId": "cfs-1", "DataFlowName": "renamed_1",
        "AutoRefresh": 1, "UserKafkaTopic": "topic-1", "ServerAddr": "kafka:9095",
        "UserName": "kafka-user", "Password": "kafka-password-value",
        "SecretId": "AKIDrotated", "SecretKey": "rotated-secret-key-value",
    })));
    assert_eq!(code(&r), "");
    assert_eq!(r["DataFlowId"], id.as_str());
    let f = listed(&mut c, &id);
    assert_eq!(f["DataFlowName"], "renamed_1");
    assert_eq!(f["AutoRefresh"], 1);
    assert_eq!(f["UserKafkaTopic"], "topic-1");
    assert_eq!(f["ServerAddr"], "kafka:9095");
    assert_eq!(f["UserName"], "kafka-user");
    assert_eq!(f["Status"], "available");
    assert_eq!(f["TargetPath"], "/cfs/a/");
    let all = c.call(&describe(json!({}))).to_string();
    for secret in [
        "AKIDrotated",
        "rotated-secret-key-value",
        "kafka-password-value",
        "AKIDsource",
    ] {
        assert!(!all.contains(secret), "{secret} listed");
    }
    let records = emu.flow_records();
    let rec = records.iter().find(|r| r.info.data_flow_id == id).unwrap();
    assert_eq!(rec.secret_id.expose(), "AKIDrotated");
    assert_eq!(
        (rec.key_rotations, rec.password_changes, rec.modifications),
        (1, 1, 1)
    );
    assert!(!format!("{records:?}").contains("AKIDrotated"));
    let untouched = records
        .iter()
        .find(|r| r.info.data_flow_id == other)
        .unwrap();
    assert_eq!(
        (
            untouched.modifications,
            untouched.info.data_flow_name.as_str()
        ),
        (0, "flow_1")
    );

    // Only what is given changes; an empty Kafka field clears it.
    let r = c.call(&modify(json!({
        "DataFlowId": id, "FileSystemId": "cfs-1", "AutoRefresh": 0, "UserKafkaTopic": ""
    })));
    assert_eq!(code(&r), "");
    let f = listed(&mut c, &id);
    assert_eq!(
        (
            f["DataFlowName"].clone(),
            f["AutoRefresh"].clone(),
            f.get("UserKafkaTopic")
        ),
        (json!("renamed_1"), json!(0), None)
    );
    let rec = emu
        .flow_records()
        .into_iter()
        .find(|r| r.info.data_flow_id == id)
        .unwrap();
    assert_eq!((rec.key_rotations, rec.modifications), (1, 2));
    let n = emu.counters();
    assert_eq!((n.modify_calls, n.modified), (2, 2));
}

#[test]
fn modify_validation() {
    let emu = start(EmulatorConfig {
        file_systems: Some(vec!["cfs-1".into(), "cfs-2".into()]),
        deleting_ms: 60_000,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let id = made(&mut c, "cfs-1", "/cfs/a");
    let doomed = made(&mut c, "cfs-1", "/cfs/b");
    assert_eq!(code(&c.call(&delete(json!({ "DataFlowId": doomed })))), "");
    let with = |k: &str, v: Value| {
        let mut b = json!({"DataFlowId": id, "FileSystemId": "cfs-1"});
        b[k] = v;
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"FileSystemId": "cfs-1"}), "MissingParameter"),
        (json!({ "DataFlowId": id }), "MissingParameter"),
        (with("TargetPath", json!("/cfs/z")), "UnknownParameter"),
        (with("SourcePath", json!("x")), "UnknownParameter"),
        (
            with("SourceStorageAddress", json!("https://x")),
            "UnknownParameter",
        ),
        (
            with("DataFlowName", json!("with space")),
            "InvalidParameterValue.InvalidDataFlowName",
        ),
        (
            with("DataFlowName", json!("a".repeat(65))),
            "InvalidParameterValue.InvalidDataFlowName",
        ),
        (with("AutoRefresh", json!(2)), "InvalidParameterValue"),
        (with("AutoRefresh", json!("1")), "InvalidParameter"),
        (with("UserName", json!(7)), "InvalidParameter"),
        (with("SecretId", json!("AKIDalone")), "MissingParameter"),
        (
            with("SecretKey", json!("key-alone-value")),
            "MissingParameter",
        ),
        (with("FileSystemId", json!("cfs-2")), "ResourceNotFound"),
        (
            with("FileSystemId", json!("cfs-9")),
            "ResourceNotFound.FileSystemNotFound",
        ),
        (
            with("FileSystemId", json!("bad")),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            with("DataFlowId", json!("cfs-dataflow-00000000")),
            "InvalidParameterValue.InvalidDataFlowId",
        ),
        (with("DataFlowId", json!(doomed)), "UnsupportedOperation"),
    ];
    for (body, want) in &cases {
        let r = c.call(&modify(body.clone()));
        assert_eq!(code(&r), *want, "{body}");
        let msg = r["Error"]["Message"].as_str().unwrap();
        assert!(!msg.contains("key-alone-value") && !msg.is_empty(), "{msg}");
    }
    assert!(emu.flow_records().iter().all(|r| r.modifications == 0));
    assert_eq!(
        code(&c.call(&modify(with("DataFlowName", json!("ok"))))),
        ""
    );
}

#[test]
fn status_life_over_http_and_a_seed_replays_it() {
    let run = |seed| {
        let emu = start(EmulatorConfig {
            available_after_ms: 0,
            unavailable: 0.5,
            seed,
            ..unlimited()
        });
        let mut c = Client::connect(&emu);
        for i in 0..16 {
            made(&mut c, "cfs-1", &format!("/cfs/{i}"));
        }
        let page = c.call(&describe(json!({"Limit": 100})));
        page["DataFlows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["Status"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let a = run(5);
    assert_eq!(a, run(5));
    assert!(
        a.iter().any(|s| s == "unavailable") && a.iter().any(|s| s == "available"),
        "{a:?}"
    );
}

#[test]
fn preexisting_flows_are_listed_hold_their_directories_and_can_be_deleted() {
    let emu = start(EmulatorConfig {
        listing_delay_ms: 60_000,
        preexisting: vec![
            PreexistingFlow {
                data_flow_id: Some("cfs-dataflow-old1".into()),
                file_system_id: "cfs-1".into(),
                source_storage_type: "S3_COS".into(),
                source_path: "data/old".into(),
                target_path: "/cfs/old".into(),
                data_flow_name: "old_1".into(),
                auto_refresh: Some(1),
                user_kafka_topic: Some("t".into()),
                ..PreexistingFlow::default()
            },
            PreexistingFlow {
                status: Some(FlowStatus::Unavailable),
                file_system_id: "cfs-1".into(),
                target_path: "/cfs/broken".into(),
                ..PreexistingFlow::default()
            },
        ],
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let page = c.call(&describe(json!({"FileSystemId": "cfs-1"})));
    assert_eq!(page["TotalCount"], 2);
    let f = &page["DataFlows"][0];
    assert_eq!(
        (
            f["DataFlowId"].clone(),
            f["TargetPath"].clone(),
            f["Status"].clone()
        ),
        (
            json!("cfs-dataflow-old1"),
            json!("/cfs/old/"),
            json!("available")
        )
    );
    assert_eq!(
        (f["AutoRefresh"].clone(), f["UserKafkaTopic"].clone()),
        (json!(1), json!("t"))
    );
    assert_eq!(page["DataFlows"][1]["Status"], "unavailable");
    assert!(page["DataFlows"][1]["DataFlowId"]
        .as_str()
        .unwrap()
        .starts_with("cfs-dataflow-"));
    let used = c.call(&create("cfs-1", "/cfs/old/"));
    assert_eq!(code(&used), "InvalidParameterValue.PathUsedInDataflow");
    let r = c.call(&delete(
        json!({"DataFlowId": "cfs-dataflow-old1", "FileSystemId": "cfs-1"}),
    ));
    assert_eq!(code(&r), "");
    assert_eq!(emu.flows()[0].status, "deleting");
}

#[test]
fn conflicting_preexisting_flows_refuse_to_start() {
    let flow = |id: &str, fs: &str, path: &str| PreexistingFlow {
        data_flow_id: Some(id.into()),
        file_system_id: fs.into(),
        target_path: path.into(),
        ..PreexistingFlow::default()
    };
    for (flows, systems, want) in [
        (
            vec![
                flow("x1", "cfs-1", "/cfs/a"),
                flow("x2", "cfs-1", "/cfs/a/"),
            ],
            None,
            "#2: TargetPath",
        ),
        (
            vec![flow("x1", "cfs-1", "/cfs/a"), flow("x1", "cfs-1", "/cfs/b")],
            None,
            "#2: DataFlowId",
        ),
        (
            vec![flow("x1", "cfs-2", "/cfs/a")],
            Some(vec!["cfs-1".to_owned()]),
            "#1: FileSystemId",
        ),
    ] {
        let err = crate::emulator::Emulator::start(EmulatorConfig {
            preexisting: flows,
            file_systems: systems,
            ..unlimited()
        })
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(want), "{err}");
    }
}
