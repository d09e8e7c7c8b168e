//! `bulkflow plan` through the binary against the in-process emulator: every verdict, the JSON
//! shape, the exit codes, and nothing written to the state file nor any call but
//! DescribeDataFlow.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bulkflow::api::DataFlowInfo;
use bulkflow::emulator::{Counters, Emulator, EmulatorConfig, FlowStatus, PreexistingFlow};
use bulkflow::secret::Secret;
use serde_json::Value;

use super::bin_helpers::{creds, run, s, Output, Sandbox, API_ID, API_KEY};
use super::common::write_manifest;

fn emulator(preexisting: Vec<PreexistingFlow>, tune: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut config = EmulatorConfig {
        secret_id: API_ID.into(),
        secret_key: Secret::new(API_KEY),
        rate: 200,
        preexisting,
        seed: 3,
        ..EmulatorConfig::default()
    };
    tune(&mut config);
    Emulator::start(config).unwrap()
}

fn bulkflow(sb: &Sandbox, args: &[&str]) -> Output {
    run(args, &creds(), &sb.home)
}

fn plan(sb: &Sandbox, manifest: &Path, emu: &Emulator, extra: &[&str]) -> Output {
    let url = emu.url();
    let mut args = vec![
        "plan",
        s(manifest),
        "--endpoint",
        &url,
        "--rate",
        "100",
        "--progress",
        "none",
    ];
    args.extend_from_slice(extra);
    bulkflow(sb, &args)
}

/// A flow as it exists, for a preexisting list: the emulator's listing form.
fn pre(f: &DataFlowInfo, status: FlowStatus) -> PreexistingFlow {
    PreexistingFlow {
        origin: String::new(),
        data_flow_id: Some(f.data_flow_id.clone()),
        status: Some(status),
        file_system_id: f.file_system_id.clone(),
        source_storage_type: f.source_storage_type.clone(),
        source_storage_address: f.source_storage_address.clone(),
        source_path: f.source_path.clone(),
        target_path: f.target_path.clone(),
        data_flow_name: f.data_flow_name.clone(),
        auto_refresh: None,
        user_kafka_topic: None,
        server_addr: None,
        user_name: None,
        secret_id: Secret::new("AKIDpre"),
    }
}

/// The rows of `plan --json` by line, and the summary.
fn parse(out: &Output) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = lines.pop().expect("a summary line");
    (lines, summary["summary"].clone())
}

/// What must not change: the state file's bytes and time, and no file beside it.
fn snapshot(state: &Path) -> (Vec<u8>, SystemTime, Vec<String>) {
    let dir = state.parent().unwrap();
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let meta = std::fs::metadata(state).unwrap();
    (
        std::fs::read(state).unwrap(),
        meta.modified().unwrap(),
        files,
    )
}

/// Between `before` and `after`, DescribeDataFlow calls and no other.
#[track_caller]
fn only_listed(before: Counters, after: Counters) {
    assert!(after.describe_calls > before.describe_calls, "{after:?}");
    let acting = |c: Counters| (c.create_calls, c.delete_calls, c.modify_calls);
    assert_eq!(acting(after), acting(before), "{after:?}");
}

#[test]
fn every_verdict_end_to_end() {
    let sb = Sandbox::new();
    // A run creates 12 rows' flows on one emulator; the plan looks at another, holding those
    // flows changed one way per row, and at a manifest of two more rows.
    let manifest = write_manifest(sb.path(), 12, 2);
    let state = sb.path().join("flows.csv.bulkflow.db");
    let first = emulator(Vec::new(), |_| {});
    let url = first.url();
    bulkflow(
        &sb,
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &url,
            "--rate",
            "100",
            "--progress",
            "none",
        ],
    )
    .expect_code(0);
    let mut made = first.flows();
    made.sort_by(|a, b| a.target_path.cmp(&b.target_path));
    let mut flows = Vec::new();
    for (i, f) in made.iter().enumerate() {
        let mut p = pre(f, FlowStatus::Available);
        match i {
            1 => p.data_flow_name = "renamed".into(),
            2 => continue,
            3 => p.status = Some(FlowStatus::Unavailable),
            4 => p.status = Some(FlowStatus::Deleting),
            5 => p.source_path = "elsewhere/".into(),
            6 => p.data_flow_id = Some("cfs-dataflow-again".into()),
            7 => {
                p.data_flow_id = Some("cfs-dataflow-other".into());
                p.source_path = "elsewhere/".into();
            }
            _ => {}
        }
        flows.push(p);
    }
    // Row 13 exists already, made by another tool; a directory no row names.
    let mut extra = pre(&made[1], FlowStatus::Pending);
    extra.data_flow_id = Some("cfs-dataflow-extra".into());
    extra.file_system_id = "cfs-00000001".into();
    extra.source_storage_address = "https://src-1.cos.ap-guangzhou.myqcloud.com".into();
    extra.source_path = "data/13".into();
    extra.target_path = "/cfs/dir00013".into();
    extra.data_flow_name = "flow_13".into();
    let mut unmanaged = extra.clone();
    unmanaged.data_flow_id = Some("cfs-dataflow-unmanaged".into());
    unmanaged.target_path = "/cfs/nobody".into();
    flows.extend([extra, unmanaged]);
    let emu = emulator(flows, |c| c.deleting_ms = 600_000);
    drop(first);

    // Rows 12 and 13 are new; row 9's source changed since its flow was created.
    let text = std::fs::read_to_string(write_manifest(sb.path(), 14, 2)).unwrap();
    std::fs::write(&manifest, text.replace(",data/9,", ",data/9b,")).unwrap();
    let before = snapshot(&state);
    let calls = emu.counters();

    let out = plan(&sb, &manifest, &emu, &["--json"]);
    out.expect_code(1);
    let (rows, summary) = parse(&out);
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["verdict"].as_str().unwrap().to_owned(),
                r["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("ok", ""),
        ("update", "differs: DataFlowName"),
        ("missing", "no longer exists"),
        ("unavailable", "Status unavailable"),
        ("conflict", "being deleted"),
        ("conflict", "drift: the recorded flow has another source"),
        ("adopt", "recorded flow"),
        ("conflict", "held by a flow with another source"),
        ("ok", ""),
        ("conflict", "drift: the manifest changed the source"),
        ("ok", ""),
        ("ok", ""),
        ("create", ""),
        ("adopt", ""),
    ];
    assert_eq!(got.len(), want.len(), "{}", out.stdout);
    for (i, ((verdict, detail), (want_verdict, want_detail))) in got.iter().zip(want).enumerate() {
        assert_eq!(verdict, want_verdict, "row {i}: {detail}");
        assert!(
            detail.contains(want_detail),
            "row {i}: {detail:?} lacks {want_detail:?}"
        );
    }
    assert_eq!(rows[0]["data_flow_id"], made[0].data_flow_id.as_str());
    assert_eq!(rows[6]["data_flow_id"], "cfs-dataflow-again");
    assert_eq!(rows[13]["data_flow_id"], "cfs-dataflow-extra");
    assert_eq!(rows[12]["data_flow_id"], "");
    assert_eq!(summary["conflict"], 4);
    // The keys in SPEC's order.
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        r#"{"summary":{"create":1,"adopt":2,"update":1,"conflict":4,"ok":4,"missing":1,"unavailable":1,"unmanaged":1}}"#
    );

    // The text form: counts in total and per file system, then the rows that need attention.
    let out = plan(&sb, &manifest, &emu, &[]);
    out.expect_code(1);
    assert!(
        out.stdout.contains(
            "create 1, adopt 2, update 1, conflict 4, ok 4, missing 1, unavailable 1; unmanaged 1"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("cfs-00000001"), "{}", out.stdout);
    assert!(
        out.stdout.contains("rows that need attention (7):"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);

    assert_eq!(snapshot(&state), before, "the state file changed");
    only_listed(calls, emu.counters());
}

#[test]
fn only_work_to_do_exits_0_and_writes_no_state_file() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 5, 2);
    // Row 0's flow exists already (pending); the others are free.
    let info = DataFlowInfo {
        data_flow_id: "cfs-dataflow-0".into(),
        file_system_id: "cfs-00000000".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://src-0.cos.ap-guangzhou.myqcloud.com".into(),
        source_path: "data/0".into(),
        target_path: "/cfs/dir00000".into(),
        data_flow_name: "flow_0".into(),
        ..DataFlowInfo::default()
    };
    let emu = emulator(vec![pre(&info, FlowStatus::Pending)], |_| {});
    let calls = emu.counters();
    let out = plan(&sb, &manifest, &emu, &["--json"]);
    out.expect_code(0);
    let first = out.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        r#"{"line":2,"file_system_id":"cfs-00000000","target_path":"/cfs/dir00000","verdict":"adopt","data_flow_id":"cfs-dataflow-0","detail":""}"#
    );
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        r#"{"summary":{"create":4,"adopt":1,"update":0,"conflict":0,"ok":0,"missing":0,"unavailable":0,"unmanaged":0}}"#
    );
    assert_eq!(out.stdout.lines().count(), 6);
    assert!(
        !sb.path().join("flows.csv.bulkflow.db").exists(),
        "plan made a state file"
    );
    only_listed(calls, emu.counters());
}

/// The flows' own life on the emulator: unavailable once settled, then the row's own flow being
/// deleted leaves its directory to be created again.
#[test]
fn unavailable_then_deleted_flows_through_their_life() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 4, 1);
    let emu = emulator(Vec::new(), |c| {
        c.unavailable = 1.0;
        c.available_after_ms = 50;
        c.deleting_ms = 600_000;
    });
    let url = emu.url();
    let api = [
        "--endpoint",
        url.as_str(),
        "--rate",
        "100",
        "--progress",
        "none",
    ];
    let mut args = vec!["run", s(&manifest)];
    args.extend(api);
    bulkflow(&sb, &args).expect_code(0);
    std::thread::sleep(Duration::from_millis(200));
    let (rows, summary) = parse(plan(&sb, &manifest, &emu, &["--json"]).expect_code(1));
    assert!(
        rows.iter().all(|r| r["verdict"] == "unavailable"),
        "{rows:?}"
    );
    assert_eq!(summary["unavailable"], 4);

    let mut args = vec!["delete", s(&manifest), "--yes"];
    args.extend(api);
    bulkflow(&sb, &args).expect_code(0);
    let calls = emu.counters();
    let (rows, summary) = parse(plan(&sb, &manifest, &emu, &["--json"]).expect_code(0));
    assert!(
        rows.iter().all(|r| r["verdict"] == "create"
            && r["detail"]
                .as_str()
                .unwrap()
                .starts_with("once flow cfs-dataflow-")),
        "{rows:?}"
    );
    assert_eq!(summary["create"], 4);
    only_listed(calls, emu.counters());
}

#[test]
fn a_state_file_locked_by_a_run_is_still_read() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let emu = emulator(Vec::new(), |_| {});
    let url = emu.url();
    bulkflow(
        &sb,
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &url,
            "--rate",
            "100",
            "--progress",
            "none",
        ],
    )
    .expect_code(0);
    let state = sb.path().join("flows.csv.bulkflow.db");
    let _lock = bulkflow::store::lock(&state).unwrap();
    // A run's connection open too: its -wal is read through.
    let _conn = bulkflow::store::open(&state, false).unwrap();
    let calls = emu.counters();
    let (_, summary) = parse(plan(&sb, &manifest, &emu, &["--json"]).expect_code(0));
    assert_eq!(summary["ok"], 3);
    only_listed(calls, emu.counters());
}

#[test]
fn exit_codes() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 4, 2);
    let emu = emulator(Vec::new(), |c| {
        c.file_systems = Some(vec!["cfs-00000000".into()])
    });
    let url = emu.url();

    // Credentials the service refuses.
    let out = run(
        &[
            "plan",
            s(&manifest),
            "--endpoint",
            &url,
            "--progress",
            "none",
        ],
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDwrong"),
            ("TENCENTCLOUD_SECRET_KEY", "nope"),
        ],
        &sb.home,
    );
    out.expect_code(3);
    assert!(out.stderr.contains("AuthFailure"), "{}", out.stderr);

    // An invalid manifest, and bad flags: nothing sent.
    let calls = emu.counters().describe_calls;
    let bad = sb.path().join("bad.csv");
    std::fs::write(&bad, "FileSystemId,TargetPath\ncfs-1,/nope\n").unwrap();
    plan(&sb, &bad, &emu, &[]).expect_code(2);
    plan(&sb, &manifest, &emu, &["--rate", "-3"]).expect_code(2);
    plan(&sb, &manifest, &emu, &["--emulator"]).expect_code(2);
    assert_eq!(emu.counters().describe_calls, calls);

    // A state file that is not bulkflow's.
    let foreign = sb.path().join("foreign.db");
    std::fs::write(
        &foreign,
        "not a database, and long enough to be looked at as one....",
    )
    .unwrap();
    let before = std::fs::read(&foreign).unwrap();
    plan(&sb, &manifest, &emu, &["--state", s(&foreign)]).expect_code(5);
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
}
