//! What scripts and cron jobs read from the binary: `--log-format json` on every stderr line,
//! `validate --json`, `run --dry-run --json`, `--summary-file`, `--metrics-file`, `--color`.

use std::path::Path;

use serde_json::Value;

use super::bin_helpers::{creds, run, s, EmulatorProc, Output, Sandbox};
use super::common::write_manifest;

/// Every non-empty line of `text` as a JSON object with the keys of every log line.
fn objects(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"));
            for key in ["time", "level", "message"] {
                assert!(v[key].is_string(), "{key} in {l}");
            }
            v
        })
        .collect()
}

/// The value of the series `name` (with `state="..."` when given) in a metrics file.
fn metric(prom: &str, name: &str, state: Option<&str>) -> f64 {
    super::prom_text::parse(prom)
        .unwrap_or_else(|e| panic!("{e}\n{prom}"))
        .iter()
        .find(|s| s.name == name && s.label("state") == state)
        .unwrap_or_else(|| panic!("{name} {state:?} not in:\n{prom}"))
        .value
}

/// A manifest with a bad TargetPath on its second row.
fn bad_manifest(dir: &Path) -> std::path::PathBuf {
    let m = write_manifest(dir, 3, 1);
    let text = std::fs::read_to_string(&m).expect("manifest");
    std::fs::write(&m, text.replacen("/cfs/dir00001", "/data/x", 1)).expect("write");
    m
}

#[test]
fn with_json_logs_every_stderr_line_of_a_run_is_an_object() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 8, 2);
    let emu = EmulatorProc::start(&["--rate", "0", "--file-systems", "cfs-00000000"]);
    let mut env = creds();
    env.push(("BULKFLOW_PLAIN_INTERVAL_MS", "50"));
    let args = [
        "--log-format",
        "json",
        "run",
        s(&manifest),
        "--endpoint",
        &emu.url,
    ];
    let out = run(
        &[&args[..], &["--progress", "plain", "--rate", "50"]].concat(),
        &env,
        &sb.home,
    );
    out.expect_code(1);
    assert_eq!(out.stdout, "", "a run writes nothing on stdout");
    let all = objects(&out.stderr);
    let progress = all.iter().filter(|o| o["done"].is_u64()).count();
    assert!(progress >= 1, "no progress object in:\n{}", out.stderr);
    let summary = all.last().expect("a summary");
    assert_eq!(summary["exit_code"], 1, "{summary}");
    assert_eq!(summary["level"], "WARN", "{summary}");
    assert_eq!(summary["counts"]["failed"], 4, "{summary}");
    assert_eq!(
        summary["failures"][0]["code"],
        "ResourceNotFound.FileSystemNotFound"
    );
}

#[test]
fn with_json_logs_problems_and_fatal_errors_are_objects_too() {
    let sb = Sandbox::new();
    let manifest = bad_manifest(sb.path());
    let out = run(
        &["--log-format", "json", "run", s(&manifest)],
        &creds(),
        &sb.home,
    );
    out.expect_code(2);
    let all = objects(&out.stderr);
    let p = all
        .iter()
        .find(|o| o["field"] == "TargetPath")
        .expect("the problem");
    assert_eq!(p["level"], "ERROR");
    assert_eq!(p["line"], 3, "{p}");
    assert_eq!(p["file"], s(&manifest), "{p}");
    assert!(
        p["message"].as_str().is_some_and(|m| m.contains("/cfs/")),
        "{p}"
    );
    assert_eq!(
        all.last().map(|o| o["problems"].clone()),
        Some(Value::from(1))
    );

    // No credentials: a fatal error, as one object.
    let good = write_manifest(&sb.home, 2, 1);
    let out = run(&["run", s(&good), "--log-format=json"], &[], &sb.home);
    out.expect_code(2);
    let all = objects(&out.stderr);
    assert_eq!(all.len(), 1, "{}", out.stderr);
    assert_eq!(all[0]["level"], "ERROR");
    assert!(!out.stderr.contains("bulkflow: error"), "{}", out.stderr);

    // Even a command line clap refuses.
    let out = run(
        &["--log-format", "json", "run", s(&good), "--no-such-flag"],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    let all = objects(&out.stderr);
    assert_eq!(all.len(), 1, "{}", out.stderr);
    assert!(all[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("--no-such-flag")));
}

fn stdout_object(out: &Output) -> Value {
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn validate_json_and_the_dry_run_plan_as_json() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 5, 2);
    let out = run(&["validate", s(&manifest), "--json"], &[], &sb.home);
    out.expect_code(0);
    assert_eq!(out.stderr, "");
    let v = stdout_object(&out);
    assert_eq!(
        (v["valid"].clone(), v["rows"].clone()),
        (Value::from(true), Value::from(5))
    );
    assert_eq!(v["manifest"], s(&manifest));
    assert_eq!(v["problems"], Value::Array(Vec::new()));
    assert_eq!(v["per_group"][0]["region"], "ap-guangzhou");
    assert_eq!(v["per_group"][0]["file_system_id"], "cfs-00000000");
    assert_eq!(v["per_group"][0]["rows"], 3);

    let dry = run(&["run", s(&manifest), "--dry-run", "--json"], &[], &sb.home);
    dry.expect_code(0);
    assert_eq!(
        stdout_object(&dry),
        v,
        "the dry run's plan is validate's object"
    );
    assert!(!sb.path().join("flows.csv.bulkflow.db").exists());

    let bad = bad_manifest(&sb.home);
    let out = run(&["validate", s(&bad), "--json"], &[], &sb.home);
    out.expect_code(2);
    assert_eq!(out.stderr, "");
    let v = stdout_object(&out);
    assert_eq!(
        (v["valid"].clone(), v["rows"].clone()),
        (Value::from(false), Value::Null)
    );
    assert_eq!(v["problems"][0]["line"], 3, "{v}");
    assert_eq!(v["problems"][0]["field"], "TargetPath", "{v}");
    assert_eq!(v["problems_total"], 1);

    let out = run(&["run", s(&manifest), "--json"], &[], &sb.home);
    out.expect_code(2);
}

#[test]
fn summary_and_metrics_files_at_the_end_and_during_the_run() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 10, 2);
    let (summary, metrics) = (
        sb.path().join("summary.json"),
        sb.path().join("bulkflow.prom"),
    );
    let emu = EmulatorProc::start(&["--rate", "0", "--latency-ms", "150:250"]);
    let mut env = creds();
    env.push(("BULKFLOW_METRICS_INTERVAL_MS", "40"));
    let args = [
        "-vv",
        "--log-format",
        "json",
        "run",
        s(&manifest),
        "--endpoint",
        &emu.url,
    ];
    let files = [
        "--summary-file",
        s(&summary),
        "--metrics-file",
        s(&metrics),
        "--rate",
        "10",
    ];
    let out = run(&[&args[..], &files[..]].concat(), &env, &sb.home);
    out.expect_code(0);

    let text = std::fs::read_to_string(&summary).expect("the summary file");
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: Value = serde_json::from_str(&text).expect("JSON");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "manifest",
        "state_file",
        "goal",
        "total",
        "counts",
        "created_now",
        "calls",
        "throttled",
        "elapsed_s",
        "rate",
        "exit_code",
        "stopped",
        "failures",
        "waiting",
        "passes",
        "tasks",
        "skipped",
        "resume",
        "error",
        "adopted_now",
        "command",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(
        (v["exit_code"].clone(), v["counts"]["created"].clone()),
        (Value::from(0), Value::from(10))
    );
    assert_eq!(v["stopped"], Value::Null);

    let prom = std::fs::read_to_string(&metrics).expect("the metrics file");
    for (name, state, want) in [
        ("bulkflow_running", None, 0.0),
        ("bulkflow_last_exit_code", None, 0.0),
        ("bulkflow_rows", Some("created"), 10.0),
        ("bulkflow_calls_total", None, 10.0),
    ] {
        assert_eq!(
            metric(&prom, name, state),
            want,
            "{name} {state:?} in:\n{prom}"
        );
    }
    let mid_run = objects(&out.stderr)
        .into_iter()
        .filter(|o| o["message"] == "metrics file written" && o["running"] == true)
        .count();
    assert!(mid_run >= 1, "no write during the run in:\n{}", out.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(sb.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn output_files_that_bulkflow_needs_are_refused_and_early_errors_still_write_them() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 2, 1);
    let state = sb.path().join("flows.csv.bulkflow.db");
    for (flag, path) in [
        ("--summary-file", s(&state).to_owned()),
        ("--metrics-file", s(&manifest).to_owned()),
        ("--summary-file", format!("{}-wal", s(&state))),
        (
            "--metrics-file",
            s(&sb.path().join("nowhere/m.prom")).to_owned(),
        ),
    ] {
        let out = run(
            &["run", s(&manifest), flag, &path, "--emulator"],
            &[],
            &sb.home,
        );
        out.expect_code(2);
        assert!(out.stderr.contains(flag), "{}", out.stderr);
        assert!(!state.exists(), "{flag} {path}: a state file was made");
    }
    let out = run(
        &[
            "run",
            s(&manifest),
            "--summary-file",
            "same",
            "--metrics-file",
            "same",
        ],
        &[],
        &sb.home,
    );
    out.expect_code(2);

    // No credentials: exit 2, and both files say so.
    let (summary, metrics) = (sb.path().join("s.json"), sb.path().join("m.prom"));
    let out = run(
        &[
            "run",
            s(&manifest),
            "--summary-file",
            s(&summary),
            "--metrics-file",
            s(&metrics),
        ],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("JSON");
    assert_eq!(
        (v["exit_code"].clone(), v["counts"].clone()),
        (Value::from(2), Value::Null)
    );
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("TENCENTCLOUD_SECRET_ID")),
        "{v}"
    );
    let prom = std::fs::read_to_string(&metrics).expect("metrics");
    assert_eq!(
        metric(&prom, "bulkflow_last_exit_code", None),
        2.0,
        "{prom}"
    );
}

#[test]
fn colour_follows_the_flag_then_no_color_then_the_terminal() {
    let sb = Sandbox::new();
    // A failing row logs a warning, coloured or not.
    let manifest = write_manifest(sb.path(), 2, 2);
    let emu = EmulatorProc::start(&["--rate", "0", "--file-systems", "cfs-00000000"]);
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&[&str], Vars<'_>, bool); 4] = [
        (&[], &[("TERM", "xterm-256color")], false),
        (&["--color", "always"], &[], true),
        (&["--color", "always"], &[("NO_COLOR", "1")], true),
        (&["--color", "never"], &[("TERM", "xterm-256color")], false),
    ];
    for (i, (flags, vars, want)) in cases.into_iter().enumerate() {
        let mut env = creds();
        env.extend_from_slice(vars);
        let state = sb.path().join(format!("{i}.db"));
        let base = [
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--state",
            s(&state),
        ];
        let out = run(&[&base[..], flags].concat(), &env, &sb.home);
        out.expect_code(1);
        assert_eq!(
            out.raw.contains(&0x1b),
            want,
            "{flags:?} {vars:?}:\n{}",
            out.stderr
        );
    }
}
