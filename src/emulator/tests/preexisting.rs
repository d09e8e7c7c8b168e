//! `--preexisting FILE`: CSV and JSONL read with the manifest's column names, and every bad file
//! a startup error naming FILE:LINE that never quotes a value.

use std::path::{Path, PathBuf};

use crate::emulator::preexisting::load;
use crate::emulator::{FlowStatus, PreexistingError};

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn csv_with_bom_any_case_ids_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "flows.csv",
        "\u{feff}file_system_id,SOURCESTORAGETYPE,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,AutoRefresh,UserKafkaTopic,Region,DataFlowId,Status\r\n\
         cfs-1,S3_COS,https://b.cos,data/a,/cfs/a,AKIDold,secret-key-value,flow_a,1,topic,ap-guangzhou,cfs-dataflow-aaaa0001,Available\r\n\
         cfs-1,S3_L5,https://b.cos,data/b,/cfs/b,,,,,,,,deleting\r\n"
            .as_bytes(),
    );
    let flows = load(&path).unwrap();
    assert_eq!(flows.len(), 2);
    let a = &flows[0];
    assert_eq!(a.data_flow_id.as_deref(), Some("cfs-dataflow-aaaa0001"));
    assert_eq!(a.status, Some(FlowStatus::Available));
    assert_eq!(
        (a.file_system_id.as_str(), a.target_path.as_str()),
        ("cfs-1", "/cfs/a")
    );
    assert_eq!(
        (a.data_flow_name.as_str(), a.auto_refresh),
        ("flow_a", Some(1))
    );
    assert_eq!(a.user_kafka_topic.as_deref(), Some("topic"));
    assert_eq!(a.secret_id.expose(), "AKIDold");
    assert!(a.origin.ends_with("flows.csv:2"), "{}", a.origin);
    let b = &flows[1];
    assert_eq!(
        (b.data_flow_id.as_deref(), b.status),
        (None, Some(FlowStatus::Deleting))
    );
    assert_eq!(
        (
            b.source_storage_type.as_str(),
            b.user_kafka_topic.as_deref()
        ),
        ("S3_L5", None)
    );
    assert!(!format!("{flows:?}").contains("AKIDold"));
}

#[test]
fn jsonl_with_numbers_nulls_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "flows.JSONL",
        br#"{"FileSystemId": "cfs-1", "TargetPath": "/cfs/a", "AutoRefresh": 0, "Status": "pending"}

{"file_system_id": "cfs-2", "target_path": "/cfs/a", "DataFlowName": null, "data_flow_id": "x-1"}
"#,
    );
    let flows = load(&path).unwrap();
    assert_eq!(flows.len(), 2);
    assert_eq!(
        (flows[0].auto_refresh, flows[0].status),
        (Some(0), Some(FlowStatus::Pending))
    );
    assert_eq!(flows[1].data_flow_id.as_deref(), Some("x-1"));
    assert!(
        flows[1].origin.ends_with("flows.JSONL:3"),
        "{}",
        flows[1].origin
    );
}

#[test]
fn every_bad_file_names_its_line_and_never_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let head = "FileSystemId,TargetPath,SecretKey,Status,DataFlowId\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a.txt", b"x".to_vec(), "a.txt: must be a .csv or .jsonl"),
        ("b.csv", b"FileSystemId,Colour\ncfs-1,red\n".to_vec(), "b.csv:1: unknown column 2"),
        ("c.csv", b"FileSystemId,file_system_id\n".to_vec(), "c.csv:1: FileSystemId: given twice"),
        ("d.csv", format!("{head}cfs-1,/cfs/a,PLANTED-KEY,,\ncfs-1,/cfs/b,PLANTED-KEY\n").into_bytes(), "d.csv:3: a record of 3 fields"),
        ("e.csv", format!("{head}cfs-1,/cfs/a,PLANTED-KEY,gone,\n").into_bytes(), "e.csv:2: Status: must be"),
        ("f.csv", format!("{head}cfs-1,,PLANTED-KEY,,\n").into_bytes(), "f.csv:2: TargetPath: required"),
        ("g.csv", format!("{head}cfs-1,/mnt/a,PLANTED-KEY,,\n").into_bytes(), "g.csv:2: TargetPath: must start"),
        ("h.csv", format!("{head}fs-1,/cfs/a,PLANTED-KEY,,\n").into_bytes(), "h.csv:2: FileSystemId: not a file system id"),
        ("i.csv", format!("{head}cfs-1,/cfs/a,PLANTED-KEY,,\ncfs-1,/cfs/b,,,\ncfs-1,/cfs/a/,,,\n").into_bytes(), "i.csv:4: TargetPath: the directory already has a flow ("),
        ("j.csv", format!("{head}cfs-1,/cfs/a,,,id1\ncfs-1,/cfs/b,,,id1\n").into_bytes(), "j.csv:3: DataFlowId: also the id of"),
        ("k.csv", [format!("{head}cfs-1,/cfs/a,PLANTED-KEY,,\ncfs-1,/cfs/").as_bytes(), b"\xff,,,\n"].concat(), "k.csv:3: not UTF-8"),
        ("l.jsonl", b"{\"FileSystemId\": \"cfs-1\", \"TargetPath\": \"/cfs/a\"}\n[1]\n".to_vec(), "l.jsonl:2: not a JSON object"),
        ("m.jsonl", b"{\"FileSystemId\": \"cfs-1\", \"PLANTED-KEY\": 1}\n".to_vec(), "m.jsonl:1: unknown key 2"),
        ("n.jsonl", b"{\"FileSystemId\": \"cfs-1\", \"TargetPath\": [\"PLANTED-KEY\"]}\n".to_vec(), "n.jsonl:1: TargetPath: must be a string"),
        ("o.jsonl", b"{\"FileSystemId\": \"cfs-1\", \"TargetPath\": \"/cfs/a\", \"AutoRefresh\": 2}\n".to_vec(), "o.jsonl:1: AutoRefresh: must be 0 or 1"),
        ("p.jsonl", b"{\"FileSystemId\": \"cfs-1\", \"TargetPath\": \"/cfs/a\", \"DataFlowName\": \"a b\"}\n".to_vec(), "p.jsonl:1: DataFlowName"),
        ("q.jsonl", b"{\"FileSystemId\": \"cfs-1\", \"TargetPath\": \"/cfs/a\", \"SourceStorageType\": \"S3\"}\n".to_vec(), "q.jsonl:1: SourceStorageType"),
    ];
    for (name, text, want) in cases {
        let path = write(dir.path(), name, &text);
        let err: PreexistingError = load(&path).unwrap_err();
        let shown = err.to_string();
        let want = format!("{}/{want}", dir.path().display());
        assert!(shown.starts_with(&want), "{shown}\nwanted {want}");
        assert!(
            !shown.contains("PLANTED-KEY") && !shown.contains("Colour"),
            "{shown}"
        );
    }
    let missing = dir.path().join("absent.csv");
    assert!(load(&missing)
        .unwrap_err()
        .message
        .starts_with("cannot read"));
}
