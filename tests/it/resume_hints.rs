//! The resume command a run prints (the summary's `Resume:` and `--summary-file`'s `resume`) is
//! pasted into a shell and resumes the run: with the emulator, with an endpoint and a region
//! that came from the environment (the pasted command works without it), with a manifest whose
//! name has a space and a state file whose name has a quote.

use std::path::Path;

use serde_json::Value;

use super::bin_helpers::{creds, run_in, EmulatorProc, Output, Sandbox, BIN};

/// `rows` rows without a Region column, over two file systems.
fn manifest_without_region(path: &Path, rows: usize) {
    let mut s = String::from(
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey\n",
    );
    for i in 0..rows {
        s.push_str(&format!(
            "cfs-{:08x},S3_COS,https://src-{i}.cos.ap-shanghai.myqcloud.com,data/{i},/cfs/d{i:04},AKIDsrc{i},KEY-{i}\n",
            i % 2
        ));
    }
    std::fs::write(path, s).expect("manifest");
}

/// The command after the last `Resume: ` of the summary on stderr, to the end of its line.
fn hint_of(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rfind(|l| l.contains("Resume: "))
        .unwrap_or_else(|| panic!("no Resume: in\n{stderr}"));
    line.rsplit_once("Resume: ")
        .map(|(_, cmd)| cmd.trim().to_owned())
        .expect("a command")
}

/// Interrupts `args` with `--max-runtime 1`, checks that the summary's hint and the summary
/// file's agree, pastes the hint into `sh -c` without `extra_env`, and returns it and the
/// resumed run's output.
fn interrupt_and_resume(
    sb: &Sandbox,
    args: &[&str],
    env: &[(&str, &str)],
    extra_env: &[(&str, &str)],
) -> (String, Output) {
    let base = [
        "--max-runtime",
        "1",
        "--progress",
        "none",
        "--summary-file",
        "last-run.json",
    ];
    let all_env: Vec<(&str, &str)> = env.iter().chain(extra_env).copied().collect();
    let first = run_in(sb.path(), &sb.home, &all_env, BIN, &[args, &base].concat());
    first.expect_code(4);
    let hint = hint_of(&first.stderr);
    let file = std::fs::read_to_string(sb.path().join("last-run.json")).expect("summary file");
    let v: Value = serde_json::from_str(&file).expect("JSON");
    assert_eq!(v["resume"], hint.as_str(), "the summary file's resume");
    for kept_out in ["--max-runtime", "--summary-file", "--progress"] {
        assert!(!hint.contains(kept_out), "{hint}");
    }
    let resumed = run_in(sb.path(), &sb.home, env, "sh", &["-c", &hint]);
    (hint, resumed)
}

/// The rows per state of `state` (relative to the sandbox), from `status --json`.
fn counts(sb: &Sandbox, state: &str) -> Value {
    let out = run_in(
        sb.path(),
        &sb.home,
        &[],
        BIN,
        &["status", "--state", state, "--json"],
    );
    out.expect_code(0);
    let v: Value = serde_json::from_str(&out.stdout).expect("status JSON");
    v["counts"].clone()
}

#[test]
fn the_hint_of_an_emulator_run_names_the_emulator_and_quotes_its_paths() {
    let sb = Sandbox::new();
    let manifest = sb.path().join("my flows.csv");
    std::fs::rename(super::common::write_manifest(sb.path(), 100, 2), &manifest).expect("rename");
    let args = ["run", "my flows.csv", "--emulator", "--state", "it's.db"];
    let (hint, resumed) = interrupt_and_resume(&sb, &args, &[], &[]);
    assert_eq!(
        hint,
        r#"bulkflow run 'my flows.csv' --state 'it'\''s.db' --emulator"#
    );
    resumed.expect_code(0);
    assert!(!resumed.stderr.contains("Usage:"), "{}", resumed.stderr);
    assert_eq!(counts(&sb, "it's.db")["created"], 100);
}

#[test]
fn the_hint_repeats_an_endpoint_and_a_region_that_came_from_the_environment() {
    let sb = Sandbox::new();
    manifest_without_region(&sb.path().join("noregion.csv"), 100);
    let emu = EmulatorProc::start(&["--latency-ms", "20:40"]);
    let from_env = [
        ("BULKFLOW_ENDPOINT", emu.url.as_str()),
        ("TENCENTCLOUD_REGION", "ap-shanghai"),
    ];
    let args = [
        "run",
        "noregion.csv",
        "--state",
        "nr.db",
        "--max-attempts",
        "5",
    ];
    let (hint, resumed) = interrupt_and_resume(&sb, &args, &creds(), &from_env);
    assert_eq!(
        hint,
        format!(
            "bulkflow run noregion.csv --state nr.db --endpoint {} --region ap-shanghai --max-attempts 5",
            emu.url
        )
    );
    resumed.expect_code(0);
    assert_eq!(counts(&sb, "nr.db")["created"], 100);

    // The same with the flags on the command line, and a wait pass: the hint keeps them. A
    // fresh emulator, so that the rows are created again (not adopted at once).
    let emu = EmulatorProc::start(&["--latency-ms", "20:40"]);
    let args = [
        "run",
        "noregion.csv",
        "--state",
        "nr2.db",
        "--endpoint",
        &emu.url,
        "--region",
        "ap-shanghai",
        "--wait",
        "--wait-timeout",
        "10m",
    ];
    let (hint, resumed) = interrupt_and_resume(&sb, &args, &creds(), &[]);
    assert!(
        hint.ends_with("--region ap-shanghai --wait --wait-timeout 10m"),
        "{hint}"
    );
    resumed.expect_code(0);
    assert_eq!(counts(&sb, "nr2.db")["created"], 100);
}

#[test]
fn the_hint_of_an_interrupted_delete_keeps_yes_as_typed() {
    let sb = Sandbox::new();
    super::common::write_manifest(sb.path(), 100, 2);
    let emu = EmulatorProc::start(&["--latency-ms", "20:40", "--deleting-ms", "0"]);
    let endpoint = ["--endpoint", emu.url.as_str()];
    let created = run_in(
        sb.path(),
        &sb.home,
        &creds(),
        BIN,
        &[&["run", "flows.csv", "--rate", "0"][..], &endpoint].concat(),
    );
    created.expect_code(0);
    let args = [&["delete", "flows.csv", "--yes"][..], &endpoint].concat();
    let (hint, resumed) = interrupt_and_resume(&sb, &args, &creds(), &[]);
    assert_eq!(
        hint,
        format!("bulkflow delete flows.csv --endpoint {} --yes", emu.url)
    );
    resumed.expect_code(0);
    assert_eq!(
        counts(&sb, "flows.csv.bulkflow.db")["deleted"],
        100,
        "{}",
        resumed.stderr
    );
}
