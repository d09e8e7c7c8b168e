//! DeleteDataFlow and ModifyDataFlow through the real client, against the in-process emulator
//! and raw servers: each outcome class, the new listing fields, and no secret ever shown.

use std::time::{Duration, Instant};

use bulkflow::api::error::codes;
use bulkflow::api::{
    CallError, Client, CreateDataFlowRequest, DeleteDataFlowRequest, Deleted,
    DescribeDataFlowRequest, Endpoint, Modified, ModifyDataFlowRequest, OutcomeClass, Target,
};
use bulkflow::emulator::{Emulator, EmulatorConfig, PreexistingFlow};
use bulkflow::secret::Secret;

use super::bin_helpers::{creds, run, s, Sandbox};
use super::common::credentials;
use super::rawserver::{self, RawServer};

const REGION: &str = "ap-guangzhou";
const CALL_LIMIT: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(2);
const FS: &str = "cfs-aaa1";

fn target(url: &str) -> Target {
    Endpoint::parse(url).unwrap().resolve(REGION).unwrap()
}

/// An emulator holding the flows `cfs-dataflow-<dir>` of `dirs` on [`FS`], and a client.
fn emulator(config: EmulatorConfig, dirs: &[&str], timeout: Duration) -> (Emulator, Client) {
    let config = EmulatorConfig {
        preexisting: dirs
            .iter()
            .map(|d| PreexistingFlow {
                data_flow_id: Some(format!("cfs-dataflow-{d}")),
                file_system_id: FS.into(),
                source_storage_type: "S3_COS".into(),
                target_path: format!("/cfs/{d}"),
                secret_id: Secret::new("AKIDsource"),
                ..PreexistingFlow::default()
            })
            .collect(),
        ..config
    };
    let client = Client::new(credentials(&config), timeout).unwrap();
    (Emulator::start(config).unwrap(), client)
}

fn deletion(dir: &str) -> DeleteDataFlowRequest {
    DeleteDataFlowRequest {
        data_flow_id: format!("cfs-dataflow-{dir}"),
        file_system_id: Some(FS.into()),
    }
}

fn change(dir: &str) -> ModifyDataFlowRequest {
    ModifyDataFlowRequest {
        data_flow_id: format!("cfs-dataflow-{dir}"),
        file_system_id: FS.into(),
        ..ModifyDataFlowRequest::default()
    }
}

async fn delete(c: &Client, url: &str, req: &DeleteDataFlowRequest) -> Result<Deleted, CallError> {
    tokio::time::timeout(CALL_LIMIT, c.delete_data_flow(&target(url), REGION, req))
        .await
        .expect("the call ended within its bound")
}

async fn modify(c: &Client, url: &str, req: &ModifyDataFlowRequest) -> Result<Modified, CallError> {
    tokio::time::timeout(CALL_LIMIT, c.modify_data_flow(&target(url), REGION, req))
        .await
        .expect("the call ended within its bound")
}

#[track_caller]
fn failed<T: std::fmt::Debug>(
    r: Result<T, CallError>,
    class: OutcomeClass,
    code: &str,
) -> CallError {
    let e = r.expect_err("the call should have failed");
    assert_eq!((e.class, e.code.as_str()), (class, code), "{e}");
    e
}

/// Polls `f` every 25 ms until it is true or 5 s pass.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[tokio::test]
async fn delete_succeeds_lists_deleting_then_an_unknown_id_is_a_row_error() {
    let config = EmulatorConfig {
        deleting_ms: 60_000,
        file_systems: Some(vec![FS.into(), "cfs-bbb2".into()]),
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], TIMEOUT);
    let url = emu.url();
    let done = delete(&c, &url, &deletion("a")).await.unwrap();
    assert_eq!(done.request_id.len(), 36);
    let page = c
        .describe_data_flow(
            &target(&url),
            REGION,
            &DescribeDataFlowRequest {
                data_flow_id: Some("cfs-dataflow-a".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.data_flows[0].status, "deleting");
    // Again while deleting: still success.
    delete(&c, &url, &deletion("a")).await.unwrap();

    let r = delete(&c, &url, &deletion("nope")).await;
    let e = failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowId",
    );
    assert!(e.request_id.is_some());
    let wrong_fs = DeleteDataFlowRequest {
        file_system_id: Some("cfs-bbb2".into()),
        ..deletion("a")
    };
    failed(
        delete(&c, &url, &wrong_fs).await,
        OutcomeClass::Row,
        "ResourceNotFound",
    );
    let no_fs = DeleteDataFlowRequest {
        file_system_id: Some("cfs-ccc3".into()),
        ..deletion("a")
    };
    let r = delete(&c, &url, &no_fs).await;
    failed(
        r,
        OutcomeClass::FileSystem,
        "ResourceNotFound.FileSystemNotFound",
    );
    assert_eq!(emu.counters().delete_calls, 5);
}

#[tokio::test]
async fn modify_changes_what_describe_lists_and_rotates_the_keys_unseen() {
    let config = EmulatorConfig {
        available_after_ms: 0,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], TIMEOUT);
    let url = emu.url();
    let req = ModifyDataFlowRequest {
        data_flow_name: Some("renamed_a".into()),
        auto_refresh: Some(1),
        user_kafka_topic: Some("topic-a".into()),
        server_addr: Some("kafkaconsumer-ap-guangzhou.cls.tencentyun.com:9095".into()),
        user_name: Some("kafka-user".into()),
        password: Some(Secret::new("PLANTED-KAFKA")),
        secret_id: Some(Secret::new("AKIDrotated")),
        secret_key: Some(Secret::new("PLANTED-NEW-KEY")),
        ..change("a")
    };
    assert!(!format!("{req:?}").contains("PLANTED"));
    let done = modify(&c, &url, &req).await.unwrap();
    assert_eq!(done.data_flow_id, "cfs-dataflow-a");
    assert_eq!(done.request_id.len(), 36);

    let page = c
        .describe_data_flow(&target(&url), REGION, &DescribeDataFlowRequest::default())
        .await
        .unwrap();
    let f = &page.data_flows[0];
    assert_eq!(f.data_flow_name, "renamed_a");
    assert_eq!(f.auto_refresh, Some(1));
    assert_eq!(f.user_kafka_topic, "topic-a");
    assert_eq!(
        f.server_addr,
        "kafkaconsumer-ap-guangzhou.cls.tencentyun.com:9095"
    );
    assert_eq!(f.user_name, "kafka-user");
    assert_eq!(f.status, "available");
    assert!(!format!("{page:?}").contains("PLANTED"));

    let rec = &emu.flow_records()[0];
    assert_eq!(rec.secret_id.expose(), "AKIDrotated");
    assert_eq!((rec.key_rotations, rec.password_changes), (1, 1));

    // The name rules of create apply.
    let bad = ModifyDataFlowRequest {
        data_flow_name: Some("not valid".into()),
        ..change("a")
    };
    let r = modify(&c, &url, &bad).await;
    failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowName",
    );
    let r = modify(&c, &url, &change("nope")).await;
    failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowId",
    );
}

#[tokio::test]
async fn a_deleting_flow_cannot_be_modified_and_its_directory_stays_used() {
    let config = EmulatorConfig {
        deleting_ms: 60_000,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], TIMEOUT);
    let url = emu.url();
    delete(&c, &url, &deletion("a")).await.unwrap();
    let r = modify(&c, &url, &change("a")).await;
    failed(r, OutcomeClass::Row, "UnsupportedOperation");
    let create = CreateDataFlowRequest {
        file_system_id: FS.into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://bucket-1251000004.cos.ap-guangzhou.myqcloud.com".into(),
        source_path: "data/a".into(),
        target_path: "/cfs/a".into(),
        secret_id: Secret::new("AKIDsource"),
        secret_key: Secret::new("PLANTED-SRC-KEY"),
        ..Default::default()
    };
    let r = c.create_data_flow(&target(&url), REGION, &create).await;
    failed(
        r,
        OutcomeClass::Unknown,
        "InvalidParameterValue.PathUsedInDataflow",
    );
}

#[tokio::test]
async fn throttled_and_internal_errors_classify_for_delete_and_modify() {
    // Another client takes the whole budget of every action: every call is throttled.
    let config = EmulatorConfig {
        rate: 1,
        background_load: 1,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], TIMEOUT);
    let url = emu.url();
    let r = modify(&c, &url, &change("a")).await;
    failed(r, OutcomeClass::Throttled, "RequestLimitExceeded");
    let r = delete(&c, &url, &deletion("a")).await;
    failed(r, OutcomeClass::Throttled, "RequestLimitExceeded");
    assert_eq!(emu.counters().throttled, 2);

    let config = EmulatorConfig {
        internal_error: 1.0,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], TIMEOUT);
    let url = emu.url();
    failed(
        modify(&c, &url, &change("a")).await,
        OutcomeClass::Transient,
        "InternalError",
    );
    failed(
        delete(&c, &url, &deletion("a")).await,
        OutcomeClass::Transient,
        "InternalError",
    );
    assert_eq!(emu.flows()[0].status, "available");
}

#[tokio::test]
async fn a_lost_delete_is_unknown_and_acted() {
    let config = EmulatorConfig {
        lost_response: 1.0,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], TIMEOUT);
    let r = delete(&c, &emu.url(), &deletion("a")).await;
    failed(r, OutcomeClass::Unknown, codes::CONNECTION_LOST);
    assert_eq!(emu.flows()[0].status, "deleting");
    assert_eq!(emu.counters().delete_calls, 1, "sent exactly once");
}

#[tokio::test]
async fn a_late_modify_times_out_and_acts_afterwards() {
    let config = EmulatorConfig {
        late_create: 1.0,
        late_create_delay_ms: 50,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, &["a"], Duration::from_millis(400));
    let req = ModifyDataFlowRequest {
        data_flow_name: Some("late_name".into()),
        ..change("a")
    };
    let r = modify(&c, &emu.url(), &req).await;
    failed(r, OutcomeClass::Unknown, codes::TIMEOUT);
    assert!(eventually(|| emu.flows()[0].data_flow_name == "late_name").await);
    assert_eq!(emu.counters().modify_calls, 1);
}

#[tokio::test]
async fn modify_answers_without_a_data_flow_id_are_unknown_and_echoed_secrets_scrubbed() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"RequestId":"r1"}}"#,
    )
    .await;
    let c = Client::new(credentials(&EmulatorConfig::default()), TIMEOUT).unwrap();
    let r = modify(&c, &server.url(), &change("a")).await;
    failed(r, OutcomeClass::Unknown, codes::MALFORMED);
    let sent = rawserver::parse(&server.requests()[0]);
    assert_eq!(sent.one("x-tc-action"), "ModifyDataFlow");

    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"Error":{"Code":"InvalidParameterValue","Message":"key PLANTED-NEW-KEY pw PLANTED-KAFKA id PLANTED-SID"},"RequestId":"r"}}"#,
    )
    .await;
    let req = ModifyDataFlowRequest {
        secret_id: Some(Secret::new("PLANTED-SID")),
        secret_key: Some(Secret::new("PLANTED-NEW-KEY")),
        password: Some(Secret::new("PLANTED-KAFKA")),
        ..change("a")
    };
    let e = failed(
        modify(&c, &server.url(), &req).await,
        OutcomeClass::Row,
        "InvalidParameterValue",
    );
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
    let sent = rawserver::parse(&server.requests()[0]);
    assert!(String::from_utf8_lossy(&sent.body).contains("PLANTED-NEW-KEY"));
}

#[test]
fn the_binary_refuses_a_bad_preexisting_file_before_listening() {
    let sandbox = Sandbox::new();
    let bad = sandbox.path().join("before.csv");
    std::fs::write(
        &bad,
        "FileSystemId,TargetPath,SecretKey\ncfs-1,/cfs/a,PLANTED\ncfs-1,/cfs/a/,PLANTED\n",
    )
    .unwrap();
    let out = run(
        &[
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--preexisting",
            s(&bad),
        ],
        &creds(),
        &sandbox.home,
    );
    out.expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("before.csv:3: TargetPath: the directory already has a flow"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("PLANTED"), "{}", out.stderr);
}
