//! Snapshots of what people read: `--help`, the run summary, `status` and the report. Anything
//! that changes from run to run (times, durations, rates, ids, temp paths) is masked, so a
//! snapshot changes only when the text does. Under `CI=true` a missing snapshot fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{self, EventSink, Pass, PassTime, RunSummary, StopReason, Totals};
use bulkflow::report::export::ReportFormat;
use bulkflow::report::{export, status, summary};
use bulkflow::store::{self, RowState};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::bin_helpers::BIN;
use super::common::{settings, write_manifest};

/// `bulkflow ARGS` with an empty environment and 100 columns, so that wrapping and `[env: ..]`
/// annotations are the same everywhere.
fn help(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .output()
        .expect("run bulkflow");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

#[test]
fn help_texts() {
    insta::assert_snapshot!("help", help(&["--help"]));
    insta::assert_snapshot!("run_help", help(&["run", "--help"]));
    insta::assert_snapshot!("plan_help", help(&["plan", "--help"]));
    insta::assert_snapshot!("delete_help", help(&["delete", "--help"]));
    insta::assert_snapshot!("status_help", help(&["status", "--help"]));
    insta::assert_snapshot!("report_help", help(&["report", "--help"]));
    insta::assert_snapshot!("emulator_help", help(&["emulator", "--help"]));
}

/// A run's summary with its create pass: `created_now` rows created by its `calls`, the other
/// created rows settled before it.
fn summary_of(counts: &[(RowState, u64)], created_now: u64, calls: u64) -> RunSummary {
    let created = counts
        .iter()
        .find(|(s, _)| *s == RowState::Created)
        .map_or(0, |(_, n)| *n);
    let failed = counts
        .iter()
        .find(|(s, _)| *s == RowState::Failed)
        .map_or(0, |(_, n)| *n);
    let create = PassTime {
        pass: Pass::Create,
        elapsed: Duration::from_millis(61_100),
        counts: Totals {
            calls,
            called: created_now,
            failed,
            earlier: BTreeMap::from([(RowState::Created, created - created_now)]),
            ..Totals::default()
        },
    };
    RunSummary {
        flows: true,
        tasks: Vec::new(),
        all_tasks: Vec::new(),
        command: "run",
        adopted_now: 0,
        skipped: Default::default(),
        unsettled: 0,
        passes_left: Vec::new(),
        passes: vec![create],
        counts: counts.iter().copied().collect::<BTreeMap<_, _>>(),
        total: counts.iter().map(|(_, n)| n).sum(),
        calls,
        throttled: 0,
        created_now,
        elapsed: Duration::from_millis(61_250),
        failures: Vec::new(),
        stop: None,
        state_file: PathBuf::from("flows.csv.bulkflow.db"),
        manifest: PathBuf::from("flows.csv"),
        goal: RowState::Created,
        waiting: 0,
    }
}

fn render(s: &RunSummary) -> String {
    use clap::Parser;
    let state = s.state_file.display().to_string();
    let cli = bulkflow::cli::Cli::parse_from(["bulkflow", "run", "flows.csv", "--state", &state]);
    let bulkflow::cli::Command::Run(args) = cli.command else {
        unreachable!("a run")
    };
    let settings = bulkflow::settings::resolve(&args, &|_| None, None).expect("settings");
    summary::render(s, &settings.resume)
}

#[test]
fn summary_all_created() {
    let s = summary_of(&[(RowState::Created, 1200)], 1150, 1163);
    insta::assert_snapshot!(render(&RunSummary { throttled: 13, ..s }));
}

#[test]
fn summary_some_failed_grouped_by_code() {
    let mut s = summary_of(
        &[(RowState::Created, 1180), (RowState::Failed, 20)],
        1180,
        1200,
    );
    s.failures = vec![
        ("ResourceNotFound.FileSystemNotFound".into(), 15),
        ("InvalidParameterValue.InvalidTargetPath".into(), 4),
        ("DataFlowConflict".into(), 1),
    ];
    insta::assert_snapshot!(render(&s));
}

/// An unavailable flow is not brought back by `--retry-failed` (the flow exists; its source
/// refuses its keys): the summary names the command that sets new keys and waits (issue 20, 2).
#[test]
fn summary_unavailable_flows_name_the_rotation_that_fixes_them() {
    let mut s = summary_of(&[(RowState::Created, 111), (RowState::Failed, 9)], 111, 120);
    s.failures = vec![("DataFlowUnavailable".into(), 9)];
    let text = render(&s);
    assert!(
        text.ends_with(
            " 9 flows are unavailable (the source refuses its keys): put working keys in the \
             manifest, then: bulkflow run flows.csv --rotate-keys --wait"
        ),
        "{text}"
    );
    assert!(!text.contains("--retry-failed"), "{text}");
    // With other failures too, those keep their advice and the rotation comes last.
    s.counts.insert(RowState::Failed, 10);
    s.failures.push(("DataFlowConflict".into(), 1));
    let text = render(&s);
    assert!(text.contains("--retry-failed"), "{text}");
    assert!(text.ends_with("--rotate-keys --wait"), "{text}");
}

#[test]
fn summary_stopped_by_a_fatal_error() {
    let mut s = summary_of(
        &[(RowState::Created, 40), (RowState::Pending, 1160)],
        40,
        41,
    );
    s.stop = Some((
        StopReason::Fatal,
        "AuthFailure.SignatureFailure: the signature does not match (check TENCENTCLOUD_SECRET_KEY)"
            .into(),
    ));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn summary_interrupted() {
    let mut s = summary_of(
        &[
            (RowState::Created, 300),
            (RowState::Unknown, 2),
            (RowState::Retrying, 3),
            (RowState::Pending, 895),
        ],
        300,
        310,
    );
    s.stop = Some((StopReason::Interrupted, "interrupted by a signal".into()));
    s.state_file = PathBuf::from("/var/lib/bulkflow/flows state.db");
    insta::assert_snapshot!(render(&s));
}

/// A finished run over six rows on two file systems, one of which does not exist: three rows
/// created and three failed, with the state file left for `status` and `report`.
async fn finished_state(dir: &Path) -> PathBuf {
    let manifest = write_manifest(dir, 6, 2);
    let config = EmulatorConfig {
        rate: 0,
        file_systems: Some(vec!["cfs-00000000".into()]),
        seed: 5,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).expect("emulator");
    let s = settings(&emu, &config, &manifest, 100.0);
    let state = s.state.clone();
    let result = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .expect("run");
    assert_eq!(result.exit_code().code(), 1, "{result:?}");
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_text_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = finished_state(dir.path()).await;
    let conn = store::open(&state, false).expect("open state");
    // The displayed path is the only use of the path: a fixed one keeps the snapshot stable.
    let st = status::load(&conn, Path::new("flows.csv.bulkflow.db")).expect("status");
    // Times, durations and rates, masked.
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "[time]"),
        (r"took \d+\.\ds", "took [duration]"),
        (r"create \d+\.\ds", "create [duration]"),
        (r"\(\d+\.\d/s\)", "([rate]/s)"),
    ]}, {
        insta::assert_snapshot!("status_text", st.text());
    });

    let mut json = st.json();
    let run = &mut json["last_run"];
    for key in ["started_at", "finished_at"] {
        assert!(run[key].is_string(), "{key}: {run}");
        run[key] = Value::from("[time]");
    }
    for key in ["started_at_ms", "finished_at_ms"] {
        assert!(run[key].is_i64(), "{key}: {run}");
        run[key] = Value::from("[ms]");
    }
    for pass in run["passes"].as_array_mut().expect("passes") {
        assert!(pass["elapsed_s"].is_f64(), "{pass}");
        pass["elapsed_s"] = Value::from("[s]");
    }
    let manifest = run["manifest"].as_str().expect("manifest").to_owned();
    assert!(manifest.ends_with("flows.csv"), "{manifest}");
    run["manifest"] = Value::from("[dir]/flows.csv");
    insta::assert_snapshot!(
        "status_json",
        serde_json::to_string_pretty(&json).expect("JSON")
    );
}

/// `[id]` for a value that is there, so that a missing id still shows.
fn mask(value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        "[id]".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_csv_and_jsonl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = finished_state(dir.path()).await;
    let conn = store::open(&state, false).expect("open state");

    let mut csv_out = Vec::new();
    export::write(&conn, ReportFormat::Csv, None, &mut csv_out).expect("report");
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id, request) = (col("data_flow_id"), col("request_id"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).expect("write");
    for record in reader.records() {
        let record = record.expect("record");
        let fields: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if i == id || i == request {
                    mask(v)
                } else {
                    v.to_owned()
                }
            })
            .collect();
        writer.write_record(&fields).expect("write");
    }
    let csv_text = String::from_utf8(writer.into_inner().expect("flush")).expect("UTF-8");
    insta::assert_snapshot!("report_csv", csv_text);

    // Masked in the text, so that the snapshot keeps the keys in the order they are written.
    let mut jsonl_out = Vec::new();
    export::write(&conn, ReportFormat::Jsonl, None, &mut jsonl_out).expect("report");
    let jsonl = String::from_utf8(jsonl_out).expect("UTF-8");
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).expect("JSON line");
        assert_eq!(v.as_object().map(|o| o.len()), Some(header.len()), "{line}");
    }
    insta::with_settings!({filters => vec![
        (r#""(data_flow_id|request_id)":"[^"]+""#, r#""$1":"[id]""#),
    ]}, {
        insta::assert_snapshot!("report_jsonl", jsonl);
    });
}
