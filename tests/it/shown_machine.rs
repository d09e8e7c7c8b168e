//! Snapshots of what scripts read: the summary object (`--summary-file`, and on stderr with
//! `--log-format json`), the metrics file, and `validate --json`. A key renamed, moved or dropped
//! changes a snapshot: the README's tables promise these keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bulkflow::engine::{Pass, PassTime, RunSummary, StopReason, Totals};
use bulkflow::manifest::{ManifestError, Plan, Problem};
use bulkflow::report::metrics::{render, Snapshot, TaskGauges};
use bulkflow::report::summary_json::SummaryJson;
use bulkflow::report::validation::ValidationJson;
use bulkflow::store::PassRecord;
use bulkflow::store::RowState;
use bulkflow::ExitCode;

fn pretty(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).expect("JSON")
}

fn interrupted() -> RunSummary {
    let counts = [
        (RowState::Created, 300),
        (RowState::Failed, 20),
        (RowState::Unknown, 2),
        (RowState::Retrying, 3),
        (RowState::Pending, 875),
    ];
    let create = PassTime {
        pass: Pass::Create,
        elapsed: Duration::from_millis(61_100),
        counts: Totals {
            calls: 330,
            throttled: 4,
            called: 240,
            adopted: 10,
            failed: 20,
            left_unknown: 2,
            earlier: BTreeMap::from([(RowState::Created, 50)]),
            in_play: 3,
            retrying: 3,
            ..Totals::default()
        },
    };
    RunSummary {
        flows: true,
        tasks: Vec::new(),
        all_tasks: Vec::new(),
        command: "run",
        adopted_now: 10,
        skipped: Default::default(),
        unsettled: 0,
        passes_left: Vec::new(),
        passes: vec![create],
        counts: counts.into_iter().collect::<BTreeMap<_, _>>(),
        total: 1200,
        calls: 330,
        throttled: 4,
        created_now: 250,
        elapsed: Duration::from_millis(61_250),
        failures: vec![
            ("ResourceNotFound.FileSystemNotFound".into(), 15),
            ("DataFlowConflict".into(), 5),
        ],
        stop: Some((StopReason::MaxRuntime, "--max-runtime 1m reached".into())),
        state_file: PathBuf::from("flows.csv.bulkflow.db"),
        manifest: PathBuf::from("flows.csv"),
        goal: RowState::Created,
        waiting: 0,
    }
}

#[test]
fn summary_json_of_an_interrupted_run() {
    let s = SummaryJson::of(&interrupted(), "flows.csv", "bulkflow run flows.csv");
    insta::assert_snapshot!(pretty(&s));
    let line = s.to_log_line(1_714_566_896_789, "1200 rows: ...");
    assert_eq!(line.lines().count(), 1);
    assert!(line.starts_with(
        r#"{"time":"2024-05-01T12:34:56.789Z","level":"WARN","message":"1200 rows: ...","manifest":"flows.csv","#
    ));
}

#[test]
fn summary_json_of_a_run_that_could_not_start() {
    let s = SummaryJson::failed(
        "-",
        "/srv/m/state.db",
        RowState::Created,
        ExitCode::State,
        "/srv/m/state.db: the state file is in use by another run".into(),
        "bulkflow run - --format csv --state /srv/m/state.db",
    );
    insta::assert_snapshot!(pretty(&s));
}

#[test]
fn metrics_file_text() {
    let s = Snapshot {
        rows: [875, 3, 2, 300, 20, 0],
        total: 1200,
        calls: 330,
        throttled: 4,
        retries: 12,
        listings: 2,
        listing_failures: 1,
        running: false,
        started: 1_714_566_835,
        last_exit: Some((4, 1_714_566_896)),
        labels: vec![
            ("manifest", "/srv/migration/flows.csv".into()),
            ("state_file", "/srv/migration/flows.csv.bulkflow.db".into()),
        ],
        passes: vec![PassRecord {
            pass: "create".into(),
            word: "created".into(),
            elapsed_ms: 61_100,
            calls: 330,
            throttled: 4,
            called: 240,
            adopted: 10,
            failed: 20,
            left: 2,
            earlier: 50,
            ..PassRecord::default()
        }],
        tasks: vec![TaskGauges {
            kind: "metaload".into(),
            by_status: vec![("running".into(), 40), ("finished".into(), 250)],
            volume: bulkflow::store::task_read::Volume {
                files_total: 12_000,
                files_done: 9_000,
                files_failed: 3,
                bytes_total: 3 << 30,
                bytes_done: 2 << 30,
                bytes_failed: 4096,
            },
        }],
    };
    insta::assert_snapshot!(render(&s));
    let during = render(&Snapshot {
        running: true,
        last_exit: None,
        ..s
    });
    assert!(!during.contains("bulkflow_last_exit_code"), "{during}");
    assert!(
        during.contains("\nbulkflow_running{manifest=\"/srv/migration/flows.csv\",state_file=\"/srv/migration/flows.csv.bulkflow.db\"} 1\n"),
        "{during}"
    );
}

#[test]
fn validate_json_valid_and_not() {
    let plan = Plan {
        rows: 5,
        per_group: [
            (("ap-guangzhou".to_owned(), "cfs-1".to_owned()), 3),
            (("ap-shanghai".to_owned(), "cfs-2".to_owned()), 2),
        ]
        .into_iter()
        .collect(),
    };
    insta::assert_snapshot!(
        "validate_json_valid",
        pretty(&ValidationJson::of("flows.csv", &Ok(plan)))
    );
    let invalid = Err(ManifestError::Invalid {
        problems: vec![Problem {
            file: "flows.csv".into(),
            line: 3,
            field: "TargetPath".into(),
            message: "\"/data/x\" must start with /cfs/".into(),
        }],
        total: 1,
    });
    insta::assert_snapshot!(
        "validate_json_invalid",
        pretty(&ValidationJson::of("flows.csv", &invalid))
    );
}
