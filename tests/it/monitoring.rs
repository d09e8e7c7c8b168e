//! What cron jobs and monitoring read tells the truth: the metrics file appears when a run
//! takes its state file, carries labels that tell two jobs apart (escaped as the format
//! requires), and is left alone, with the summary file, by a run the lock refused; a run that
//! ends early writes what the state file holds, not zeros.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::bin_helpers::{creds, run, s, spawn, wait_until, EmulatorProc, Sandbox};
use super::common::write_manifest;
use super::prom_text::{parse, Sample};

fn metrics(path: &Path) -> Vec<Sample> {
    let text = std::fs::read_to_string(path).expect("metrics file");
    parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn gauge(samples: &[Sample], name: &str, state: Option<&str>) -> f64 {
    samples
        .iter()
        .find(|s| s.name == name && s.label("state") == state)
        .unwrap_or_else(|| panic!("{name} {state:?} not in {samples:?}"))
        .value
}

#[test]
fn the_metrics_file_is_written_at_the_start_and_a_run_the_lock_refused_writes_nothing() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 60, 2);
    let emu = EmulatorProc::start(&["--latency-ms", "50:50"]);
    let (prom, summary) = (sb.path().join("m.prom"), sb.path().join("s.json"));
    let files = ["--metrics-file", s(&prom), "--summary-file", s(&summary)];
    let endpoint = ["--endpoint", emu.url.as_str(), "--progress", "none"];
    // A first run: 10 rows, finished; then a slow one that holds the lock.
    let ten = sb.path().join("ten.csv");
    std::fs::write(
        &ten,
        std::fs::read_to_string(&manifest)
            .expect("manifest")
            .lines()
            .take(11)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .expect("ten");
    let state_path = sb.path().join("shared.db");
    let state = ["--state", s(&state_path)];
    run(
        &[&["run", s(&ten)][..], &endpoint, &state, &["--adopt-state"]].concat(),
        &creds(),
        &sb.home,
    )
    .expect_code(0);

    let holder = spawn(
        &[
            &["run", s(&manifest), "--rate", "4", "--adopt-state"][..],
            &endpoint,
            &state,
            &files,
        ]
        .concat(),
        &creds(),
        &sb.home,
    );
    // Written as soon as the run took the state file, long before a minute: the 10 rows the
    // state file held are created, not zero.
    assert!(
        wait_until(Duration::from_secs(20), || prom.exists()),
        "no metrics file at the start"
    );
    let at_start = std::fs::read(&prom).expect("metrics");
    let samples = metrics(&prom);
    assert_eq!(gauge(&samples, "bulkflow_running", None), 1.0);
    assert_eq!(gauge(&samples, "bulkflow_rows", Some("created")), 10.0);
    assert!(!summary.exists());

    let refused = run(
        &[
            &["run", s(&manifest), "--adopt-state"][..],
            &endpoint,
            &state,
            &files,
        ]
        .concat(),
        &creds(),
        &sb.home,
    );
    refused.expect_code(5);
    assert_eq!(
        std::fs::read(&prom).expect("metrics"),
        at_start,
        "rewritten"
    );
    assert!(!summary.exists(), "the refused run wrote the summary file");
    let out = holder.wait();
    out.expect_code(0);
    let samples = metrics(&prom);
    assert_eq!(gauge(&samples, "bulkflow_rows", Some("created")), 60.0);
    assert_eq!(gauge(&samples, "bulkflow_last_exit_code", None), 0.0);
}

#[test]
fn an_early_exit_writes_what_the_state_file_holds() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 12, 2);
    let emu = EmulatorProc::start(&["--rate", "0"]);
    run(
        &["run", s(&manifest), "--endpoint", &emu.url, "--rate", "0"],
        &creds(),
        &sb.home,
    )
    .expect_code(0);
    let (prom, summary) = (sb.path().join("m.prom"), sb.path().join("s.json"));
    // No credentials: exit 2 before any call.
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--metrics-file",
            s(&prom),
            "--summary-file",
            s(&summary),
        ],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    let samples = metrics(&prom);
    assert_eq!(gauge(&samples, "bulkflow_rows", Some("created")), 12.0);
    assert_eq!(gauge(&samples, "bulkflow_manifest_rows", None), 12.0);
    assert_eq!(gauge(&samples, "bulkflow_last_exit_code", None), 2.0);
    assert_eq!(gauge(&samples, "bulkflow_running", None), 0.0);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("JSON");
    assert_eq!(v["counts"]["created"], 12, "{v}");
    assert_eq!(v["total"], 12, "{v}");
    assert_eq!(v["calls"], Value::Null, "{v}");
    assert_eq!(v["exit_code"], 2, "{v}");
}

#[test]
fn every_series_is_labelled_with_the_manifest_and_the_state_file_escaped() {
    let sb = Sandbox::new();
    // A backslash, a double quote and a line feed: the three characters the format escapes.
    let odd = sb.path().join("we\\ird \"flows\"\nv2.csv");
    std::fs::rename(write_manifest(sb.path(), 4, 1), &odd).expect("rename");
    let (prom, state) = (sb.path().join("m.prom"), sb.path().join("plain.db"));
    let out = run(
        &[
            "run",
            s(&odd),
            "--emulator",
            "--state",
            s(&state),
            "--metrics-file",
            s(&prom),
        ],
        &[],
        &sb.home,
    );
    out.expect_code(0);
    let samples = metrics(&prom);
    assert!(samples.len() >= 15, "{samples:?}");
    for sample in &samples {
        assert_eq!(sample.label("manifest"), Some(s(&odd)), "{sample:?}");
        assert_eq!(sample.label("state_file"), Some(s(&state)), "{sample:?}");
    }
}
