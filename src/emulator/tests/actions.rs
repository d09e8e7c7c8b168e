//! CreateDataFlow and DescribeDataFlow: success, listing, paging, validation.

use serde_json::{json, Value};

use super::client::*;
use crate::emulator::EmulatorConfig;

#[test]
fn create_then_list_with_trailing_slash_and_pages() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = c.call(&create("cfs-44d53b63e", &format!("/cfs/dir{i}")));
        let id = r["DataFlowId"].as_str().unwrap().to_owned();
        assert!(id.starts_with("cfs-dataflow-") && id.len() == 21, "{id}");
        assert!(id[13..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        ids.push(id);
    }
    c.call(&create("cfs-other1", "/cfs/dir0"));

    let page = c.call(&describe(
        json!({"FileSystemId": "cfs-44d53b63e", "Limit": 2, "Offset": 1}),
    ));
    assert_eq!(page["TotalCount"], 5);
    let flows = page["DataFlows"].as_array().unwrap();
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[0]["DataFlowId"], ids[1].as_str());
    assert_eq!(flows[0]["TargetPath"], "/cfs/dir1/");
    assert_eq!(flows[1]["TargetPath"], "/cfs/dir2/");
    let f = &flows[0];
    assert_eq!(f["FileSystemId"], "cfs-44d53b63e");
    assert_eq!(f["DataFlowName"], "flow_1");
    assert_eq!(f["SourceStorageType"], "S3_COS");
    assert_eq!(f["SourcePath"], "/data/");
    assert_eq!(f["Status"], "pending");
    assert_eq!(f["CreationTime"].as_str().unwrap().len(), 19);
    assert!(f.get("AutoRefresh").is_none());
    assert!(!page.to_string().contains("source-secret-key-value"));

    let all = c.call(&describe(json!({})));
    assert_eq!(all["TotalCount"], 6);
    assert_eq!(all["DataFlows"].as_array().unwrap().len(), 6);
    let one = c.call(&describe(json!({"DataFlowId": ids[3]})));
    assert_eq!(one["TotalCount"], 1);
    assert_eq!(one["DataFlows"][0]["TargetPath"], "/cfs/dir3/");
    let past = c.call(&describe(json!({"Offset": 100})));
    assert_eq!(
        (past["TotalCount"].clone(), past["DataFlows"].clone()),
        (json!(6), json!([]))
    );

    let listed = emu.flows();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed[0].data_flow_id, ids[0]);
    assert_eq!(listed[0].target_path, "/cfs/dir0/");
    let n = emu.counters();
    assert_eq!(
        (n.create_calls, n.describe_calls, n.created, n.rejected),
        (6, 4, 6, 0)
    );
}

#[test]
fn a_directory_takes_one_flow() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/a"))), "");
    for again in ["/cfs/a/", "/cfs/a", "/cfs/a//"] {
        let r = c.call(&create("cfs-1", again));
        assert_eq!(
            code(&r),
            "InvalidParameterValue.PathUsedInDataflow",
            "{again}"
        );
    }
    assert_eq!(code(&c.call(&create("cfs-2", "/cfs/a/"))), "");
    assert_eq!(emu.flows().len(), 2);
    assert_eq!(emu.counters().rejected, 3);
}

#[test]
fn auto_refresh_is_listed_when_set() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let mut body = create_body("cfs-1", "/cfs/x");
    body["AutoRefresh"] = json!(1);
    body["DataFlowName"] = json!("数据流_1-a");
    assert_eq!(code(&c.call(&Call::new("CreateDataFlow", body))), "");
    let page = c.call(&describe(json!({"FileSystemId": "cfs-1"})));
    assert_eq!(page["DataFlows"][0]["AutoRefresh"], 1);
    assert_eq!(page["DataFlows"][0]["DataFlowName"], "数据流_1-a");
}

/// Each row: a change to a valid body, and the code it must get.
#[test]
fn every_validation_error() {
    let emu = start(EmulatorConfig {
        file_systems: Some(vec!["cfs-1".into(), "cfs-2".into()]),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let set = |k: &str, v: Value| {
        let mut b = create_body("cfs-1", "/cfs/a");
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = create_body("cfs-1", "/cfs/a");
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!([1, 2]), "InvalidParameter"),
        (json!("text"), "InvalidParameter"),
        (set("Colour", json!("red")), "UnknownParameter"),
        (without("FileSystemId"), "MissingParameter"),
        (without("SourceStorageType"), "MissingParameter"),
        (without("SourceStorageAddress"), "MissingParameter"),
        (without("SourcePath"), "MissingParameter"),
        (without("TargetPath"), "MissingParameter"),
        (without("SecretId"), "MissingParameter"),
        (without("SecretKey"), "MissingParameter"),
        (set("SecretKey", json!(12345)), "InvalidParameter"),
        (set("TargetPath", json!(null)), "InvalidParameter"),
        (set("DataFlowName", json!(["x"])), "InvalidParameter"),
        (
            set("FileSystemId", json!("fs-1")),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            set("FileSystemId", json!("cfs-ABC")),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            set("FileSystemId", json!("cfs-")),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            set("FileSystemId", json!("cfs-9")),
            "ResourceNotFound.FileSystemNotFound",
        ),
        (
            set("SourceStorageType", json!("S3")),
            "InvalidParameterValue.InvalidDataFlowSourceStorageType",
        ),
        (
            set("TargetPath", json!("/mnt/a")),
            "InvalidParameterValue.InvalidDataFlowTargetPath",
        ),
        (
            set("TargetPath", json!("/cfs")),
            "InvalidParameterValue.InvalidDataFlowTargetPath",
        ),
        (
            set("DataFlowName", json!("a".repeat(65))),
            "InvalidParameterValue.InvalidDataFlowName",
        ),
        (
            set("DataFlowName", json!("with space")),
            "InvalidParameterValue.InvalidDataFlowName",
        ),
        (set("AutoRefresh", json!("1")), "InvalidParameter"),
        (set("AutoRefresh", json!(2)), "InvalidParameterValue"),
        (
            set("SourceStorageAddress", json!("bucket.cos")),
            "InvalidParameterValue.InvalidDataFlowSourceInfo",
        ),
    ];
    for (body, want) in &cases {
        let r = c.call(&Call::new("CreateDataFlow", body.clone()));
        assert_eq!(code(&r), *want, "{body}");
        let msg = r["Error"]["Message"].as_str().unwrap();
        assert!(
            !msg.contains("source-secret-key-value") && !msg.is_empty(),
            "{msg}"
        );
    }
    let mut raw = create("cfs-1", "/cfs/a");
    raw.body = b"{\"FileSystemId\": \"\xff\xfe\"}".to_vec();
    assert_eq!(code(&c.call(&raw)), "InvalidParameter");
    assert_eq!(emu.flows().len(), 0);
    assert_eq!(emu.counters().rejected, cases.len() as u64 + 1);
    assert_eq!(code(&c.call(&create("cfs-2", "/cfs/a"))), "");
}

#[test]
fn describe_validation() {
    let emu = start(EmulatorConfig {
        file_systems: Some(vec!["cfs-1".into()]),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    for (body, want) in [
        (json!({"Limit": 0}), "InvalidParameterValue"),
        (json!({"Limit": 101}), "InvalidParameterValue"),
        (json!({"Limit": "5"}), "InvalidParameter"),
        (json!({"Offset": -1}), "InvalidParameterValue"),
        (json!({"Filters": []}), "UnknownParameter"),
        (json!({"FileSystemId": 5}), "InvalidParameter"),
        (
            json!({"FileSystemId": "nope"}),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            json!({"FileSystemId": "cfs-2"}),
            "ResourceNotFound.FileSystemNotFound",
        ),
        (json!({"Limit": 100, "CfsVersion": "v1.5"}), ""),
    ] {
        assert_eq!(code(&c.call(&describe(body.clone()))), want, "{body}");
    }
    let mut empty = describe(json!({}));
    empty.body.clear();
    assert_eq!(c.call(&empty)["TotalCount"], 0);
}
