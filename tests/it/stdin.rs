//! A manifest on stdin (`-` with `--format`) and `.ndjson` manifests, through the binary: the
//! run resumes from its state file, and the private copy of stdin never outlives the run.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::bin_helpers::{
    creds, run, s, spawn_piped, spawn_with_stdin, wait_until, EmulatorProc, Output, Sandbox,
};
use super::common::write_manifest;

fn feed(args: &[&str], env: &[(&str, &str)], home: &Path, input: &[u8]) -> Output {
    spawn_with_stdin(args, env, home, input.to_vec()).wait()
}

/// Names in `dir` that look like a copy of stdin.
fn copies(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.contains("bulkflow-stdin"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_run_from_stdin_resumes_and_leaves_no_copy() {
    let sb = Sandbox::new();
    let manifest = std::fs::read(write_manifest(sb.path(), 6, 2)).expect("manifest");
    let state_dir = sb.path().join("state");
    std::fs::create_dir(&state_dir).expect("dir");
    let state = state_dir.join("s.db");
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let args = [
        "run",
        "-",
        "--format",
        "csv",
        "--state",
        s(&state),
        "--endpoint",
        &emu.url,
    ];
    let out = feed(&args, &creds(), &sb.home, &manifest);
    out.expect_code(0);
    assert!(
        out.stderr.contains("6 rows: 6 created, 0 failed") && out.stderr.contains(": 6 created."),
        "{}",
        out.stderr
    );
    assert!(copies(&state_dir).is_empty(), "{:?}", copies(&state_dir));
    assert!(!out.stderr.contains(".bulkflow-stdin-"), "{}", out.stderr);

    // The same manifest again: resumed from the state file, nothing sent.
    let summary = sb.path().join("summary.json");
    let again = [&args[..], &["--summary-file", s(&summary)]].concat();
    let out = feed(&again, &creds(), &sb.home, &manifest);
    out.expect_code(0);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("JSON");
    assert_eq!(
        (v["calls"].clone(), v["manifest"].clone()),
        (Value::from(0), Value::from("-"))
    );
    let resume = format!(
        "bulkflow run - --format csv --state {} --endpoint {}",
        s(&state),
        emu.url
    );
    assert_eq!(v["resume"], resume.as_str());
    assert!(copies(&state_dir).is_empty());

    // A wrong manifest: problems name <stdin>, and the copy goes too.
    let text = String::from_utf8(manifest)
        .expect("UTF-8")
        .replacen("/cfs/", "/x/", 1);
    let out = feed(&args, &creds(), &sb.home, text.as_bytes());
    out.expect_code(2);
    assert!(
        out.stderr.contains("<stdin>:2: TargetPath: "),
        "{}",
        out.stderr
    );
    assert!(copies(&state_dir).is_empty());
}

#[test]
fn stdin_needs_a_format_and_a_state_file() {
    let sb = Sandbox::new();
    let out = feed(&["run", "-", "--state", "s.db"], &creds(), &sb.home, b"");
    out.expect_code(2);
    assert!(out.stderr.contains("--format"), "{}", out.stderr);
    let out = feed(&["run", "-", "--format", "csv"], &creds(), &sb.home, b"");
    out.expect_code(2);
    assert!(out.stderr.contains("--state"), "{}", out.stderr);
    let out = feed(&["validate", "-"], &[], &sb.home, b"");
    out.expect_code(2);
    let out = feed(
        &["delete", "-", "--format", "csv", "--state", "s.db"],
        &creds(),
        &sb.home,
        b"",
    );
    out.expect_code(2);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
}

#[test]
fn validate_and_dry_run_read_stdin_and_ndjson() {
    let sb = Sandbox::new();
    let rows: Vec<String> = (1..=3)
        .map(|i| {
            format!(
                r#"{{"FileSystemId":"cfs-1","SourceStorageType":"S3_COS","SourceStorageAddress":"https://b","SourcePath":"s/{i}","TargetPath":"/cfs/{i}","SecretId":"i","SecretKey":"k-planted","Region":"ap-guangzhou"}}"#
            )
        })
        .collect();
    let jsonl = rows.join("\n") + "\n";
    // Without a state file the copy goes to $TMPDIR.
    let tmp = sb.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let env = [("TMPDIR", s(&tmp))];
    let out = feed(
        &["validate", "-", "--format", "jsonl", "--json"],
        &env,
        &sb.home,
        jsonl.as_bytes(),
    );
    out.expect_code(0);
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        (v["manifest"].clone(), v["rows"].clone()),
        (Value::from("-"), Value::from(3))
    );

    let out = feed(
        &["run", "-", "--format", "jsonl", "--dry-run"],
        &env,
        &sb.home,
        jsonl.as_bytes(),
    );
    out.expect_code(0);
    assert!(
        out.stdout
            .starts_with("-: 3 rows; nothing sent (dry run)\n"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_dir(&tmp).expect("tmp").count(),
        0,
        "a copy was left in $TMPDIR"
    );

    let ndjson = sb.path().join("flows.ndjson");
    std::fs::write(&ndjson, &jsonl).expect("write");
    let out = run(&["validate", s(&ndjson)], &[], &sb.home);
    out.expect_code(0);
    assert!(
        out.stderr.ends_with("flows.ndjson: 3 rows, valid\n"),
        "{}",
        out.stderr
    );
    assert!(!String::from_utf8_lossy(&out.raw).contains("k-planted"));
}

#[test]
fn a_second_ctrl_c_quits_at_once_and_still_removes_the_copy() {
    let sb = Sandbox::new();
    let manifest = std::fs::read(write_manifest(sb.path(), 4, 1)).expect("manifest");
    let state = sb.path().join("s.db");
    // No call is ever answered (the client gives up after a minute): the run cannot end before
    // the signals come, and only the second one ends it soon.
    let emu = EmulatorProc::start(&["--rate", "0", "--late-create", "1"]);
    let args = [
        "run",
        "-",
        "--format",
        "csv",
        "--state",
        s(&state),
        "--endpoint",
        &emu.url,
        "--request-timeout",
        "60",
    ];
    let child = spawn_with_stdin(&args, &creds(), &sb.home, manifest);
    // Calls are in flight once the state file records rows of unknown outcome.
    let in_flight = || {
        let out = run(&["status", "--state", s(&state), "--json"], &[], &sb.home);
        let v: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        v["counts"]["unknown"].as_u64().is_some_and(|n| n > 0)
    };
    assert!(
        wait_until(Duration::from_secs(30), in_flight),
        "no call in flight"
    );
    assert!(
        !copies(sb.path()).is_empty(),
        "no copy of stdin during the run"
    );
    for _ in 0..2 {
        let killed = std::process::Command::new("kill")
            .args(["-INT", &child.pid().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        // Apart enough that the two are never taken for one.
        std::thread::sleep(Duration::from_millis(1000));
    }
    let out = child.wait();
    out.expect_code(4);
    assert!(out.stderr.contains("quitting at once"), "{}", out.stderr);
    assert!(copies(sb.path()).is_empty(), "{:?}", copies(sb.path()));
}

/// A signal while stdin is still being copied (`gen | bulkflow run -`, and `gen` never ends):
/// the copy is removed and the command exits 4 at once, for SIGINT, SIGTERM and SIGHUP alike,
/// for a run and for `validate`.
#[test]
fn a_signal_while_stdin_is_copied_removes_the_copy() {
    use std::io::Write;
    let sb = Sandbox::new();
    let head = std::fs::read(write_manifest(sb.path(), 4, 1)).expect("manifest");
    let state_dir = sb.path().join("state");
    std::fs::create_dir(&state_dir).expect("dir");
    let tmp = sb.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let state = state_dir.join("s.db");
    let run_args = ["run", "-", "--format", "csv", "--state", s(&state)];
    let validate_args = ["validate", "-", "--format", "csv"];
    let cases: [(&[&str], &Path, &str); 4] = [
        (&run_args, &state_dir, "-INT"),
        (&run_args, &state_dir, "-TERM"),
        (&run_args, &state_dir, "-HUP"),
        (&validate_args, &tmp, "-TERM"),
    ];
    for (args, dir, signal) in cases {
        let env = [creds(), vec![("TMPDIR", s(&tmp))]].concat();
        let (child, mut stdin) = spawn_piped(args, &env, &sb.home);
        stdin.write_all(&head).expect("the first rows");
        stdin.flush().expect("flush");
        assert!(
            wait_until(Duration::from_secs(20), || !copies(dir).is_empty()),
            "{signal}: no copy of stdin appeared"
        );
        let killed = std::process::Command::new("kill")
            .args([signal, &child.pid().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait();
        drop(stdin);
        out.expect_code(4);
        assert!(
            out.stderr
                .contains("stopped before the first call; nothing was sent"),
            "{signal}: {}",
            out.stderr
        );
        assert!(copies(dir).is_empty(), "{signal}: {:?}", copies(dir));
        assert!(!state.exists(), "{signal}: a state file was made");
    }
}

/// After the copy, while the credentials are still being looked for (here a metadata service
/// that never answers): a signal removes the copy and exits 4 at once too.
#[test]
fn a_signal_before_the_first_call_removes_the_copy() {
    use std::io::Write;
    let sb = Sandbox::new();
    let manifest = std::fs::read(write_manifest(sb.path(), 4, 1)).expect("manifest");
    let state = sb.path().join("s.db");
    let metadata = super::credentials_run::silent_metadata();
    let args = ["run", "-", "--format", "csv", "--state", s(&state)];
    let (child, mut stdin) = spawn_piped(&args, &[("BULKFLOW_METADATA_URL", &metadata)], &sb.home);
    stdin.write_all(&manifest).expect("manifest");
    drop(stdin);
    assert!(wait_until(Duration::from_secs(20), || !copies(sb.path()).is_empty()));
    // The copy is made as soon as stdin ends; the metadata service then holds the run for
    // seconds. (A signal during the copy would end the same way.)
    std::thread::sleep(Duration::from_millis(500));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait();
    out.expect_code(4);
    assert!(copies(sb.path()).is_empty(), "{:?}", copies(sb.path()));
    assert!(!out.stderr.contains("credentials:"), "{}", out.stderr);
}
