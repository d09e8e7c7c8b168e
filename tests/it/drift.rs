//! Drift, through the real binary: after a finished run, the manifest changes a created row's
//! `SourcePath`. A flow's source cannot be modified, so the change is reported as
//! `DataFlowDrift` on every run (the row stays `created`, with its flow) and never taken as the
//! new truth: the state file keeps the source the flow was made from, no call is sent, and once
//! the manifest is restored the report is clean again.

use std::path::{Path, PathBuf};

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::secret::Secret;
use serde_json::Value;

use super::bin_helpers::{creds, run, s, Output, Sandbox, API_ID, API_KEY};
use super::common::write_manifest;

/// The manifest line (header = line 1) of the row whose source moves, and its `SourcePath`.
const LINE: u64 = 3;
const SOURCE: &str = ",data/1,";
const MOVED: &str = ",data/1-moved,";

fn state_of(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

/// The report's JSON Lines, by line.
fn report(state: &Path, home: &Path) -> Vec<Value> {
    let out = run(
        &["report", "--state", s(state), "--format", "jsonl"],
        &[],
        home,
    );
    out.expect_code(0);
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn row(report: &[Value], line: u64) -> &Value {
    report
        .iter()
        .find(|r| r["line"] == line)
        .unwrap_or_else(|| panic!("line {line} in {report:?}"))
}

/// What the state file stores for the row: (source key, fingerprint).
fn stored(state: &Path, line: u64) -> (String, String) {
    let conn = bulkflow::store::open(state, false).unwrap();
    conn.query_row(
        "SELECT source_key, fingerprint FROM flows WHERE line = ?1",
        [line as i64],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// The runs of the scenario, for the tests to look at.
struct Drift {
    /// The first run after the source moved, and the one after it.
    drifted: [Output; 2],
    /// The run after the manifest was restored.
    restored: Output,
}

/// Runs the scenario and checks everything but the warnings.
fn drift() -> Drift {
    let config = EmulatorConfig {
        secret_id: API_ID.to_owned(),
        secret_key: Secret::new(API_KEY),
        rate: 0,
        seed: 4,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config).unwrap();
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 4, 2);
    let state = state_of(&manifest);
    let run_it = || {
        run(
            &[
                "run",
                s(&manifest),
                "--endpoint",
                &emu.url(),
                "--progress",
                "none",
            ],
            &creds(),
            &sb.home,
        )
    };
    run_it().expect_code(0);
    let before = report(&state, &sb.home);
    let id = row(&before, LINE)["data_flow_id"].clone();
    let source = stored(&state, LINE);
    let calls = emu.counters().create_calls;

    let text = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(text.matches(SOURCE).count(), 1);
    std::fs::write(&manifest, text.replace(SOURCE, MOVED)).unwrap();
    let drifted = [run_it(), run_it()];
    for out in &drifted {
        // The row still has its flow: nothing failed, nothing is left to do.
        out.expect_code(0);
        let now = report(&state, &sb.home);
        let r = row(&now, LINE);
        assert_eq!(r["state"], "created", "{r}");
        assert_eq!(r["error_code"], "DataFlowDrift", "{r}");
        assert_eq!(r["data_flow_id"], id, "{r}");
        // Only the moved row drifts.
        for other in now.iter().filter(|r| r["line"] != LINE) {
            assert_eq!(other["error_code"], "", "{other}");
        }
        // The source the flow was made from is kept; the moved one is not stored.
        assert_eq!(stored(&state, LINE), source);
    }
    // No create (nor anything else that changes a flow) was sent for it.
    let n = emu.counters();
    assert_eq!(
        (n.create_calls, n.modify_calls, n.delete_calls),
        (calls, 0, 0)
    );
    assert_eq!(emu.flows().len(), 4);

    std::fs::write(&manifest, text).unwrap();
    let restored = run_it();
    restored.expect_code(0);
    let after = report(&state, &sb.home);
    let r = row(&after, LINE);
    assert_eq!(
        (&r["state"], &r["error_code"]),
        (&"created".into(), &"".into()),
        "{r}"
    );
    assert_eq!(r["data_flow_id"], id, "{r}");
    assert_eq!(stored(&state, LINE), source);
    assert_eq!(emu.counters().create_calls, calls);
    Drift { drifted, restored }
}

#[test]
fn a_moved_source_is_reported_as_drift_and_never_stored() {
    drift();
}

#[test]
fn a_drifted_row_warns_on_every_run_until_the_manifest_is_restored() {
    let d = drift();
    for out in &d.drifted {
        assert!(
            out.stderr.contains("DataFlowDrift") && out.stderr.contains("/cfs/dir00001"),
            "no warning:\n{}",
            out.stderr
        );
    }
    assert!(
        !d.restored.stderr.contains("DataFlowDrift"),
        "{}",
        d.restored.stderr
    );
}
