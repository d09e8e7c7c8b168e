//! The real binary, against an emulator child process: SPEC's exit codes 0 to 5, the report's
//! columns, plain progress, and no secret anywhere it writes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::bin_helpers::{
    creds, dead_endpoint, run, s, spawn, wait_until, EmulatorProc, Output, Sandbox, API_ID, API_KEY,
};
use super::common::write_manifest;

/// SPEC's report columns, in order.
const COLUMNS: [&str; 10] = [
    "line",
    "file_system_id",
    "target_path",
    "data_flow_name",
    "state",
    "data_flow_id",
    "request_id",
    "attempts",
    "error_code",
    "error_message",
];

/// A source key the manifest reads from the environment (`${SRC_KEY_ENV}`).
const ENV_SECRET: &str = "ENVKEY-PLANTED-c0ffee42";
/// Every marker of a secret that must never be written anywhere.
const SECRETS: [&str; 3] = ["SRCKEY-planted", ENV_SECRET, API_KEY];

/// `common::write_manifest`, with row 0's source key taken from `${SRC_KEY_ENV}`.
fn manifest_with_env_secret(dir: &Path, n: usize, file_systems: usize) -> PathBuf {
    let path = write_manifest(dir, n, file_systems);
    let text = std::fs::read_to_string(&path).unwrap();
    let marker = "SRCKEY-planted-0,";
    assert_eq!(text.matches(marker).count(), 1);
    std::fs::write(&path, text.replace(marker, "${SRC_KEY_ENV},")).unwrap();
    path
}

/// The emulator's credentials and the manifest's `${SRC_KEY_ENV}`.
fn run_env() -> Vec<(&'static str, &'static str)> {
    let mut env = creds();
    env.push(("SRC_KEY_ENV", ENV_SECRET));
    env
}

fn state_of(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[track_caller]
fn assert_no_secret(bytes: &[u8], what: &str) {
    for secret in SECRETS {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{what} contains the secret {secret:?}");
    }
}

/// The state file and its WAL, byte for byte.
#[track_caller]
fn assert_state_has_no_secret(state: &Path) {
    assert!(state.exists());
    for suffix in ["", "-wal", "-journal"] {
        let p = with_suffix(state, suffix);
        if let Ok(bytes) = std::fs::read(&p) {
            assert_no_secret(&bytes, &p.display().to_string());
        }
    }
}

/// Collects every command's output for the final secret check.
#[derive(Default)]
struct Outputs(Vec<(String, Vec<u8>)>);

impl Outputs {
    fn keep(&mut self, what: &str, out: Output) -> Output {
        self.0.push((what.to_owned(), out.raw.clone()));
        out
    }

    #[track_caller]
    fn assert_no_secret(&self) {
        for (what, raw) in &self.0 {
            assert_no_secret(raw, what);
        }
    }
}

fn status_json(state: &Path, home: &Path) -> Value {
    let out = run(&["status", "--state", s(state), "--json"], &[], home);
    out.expect_code(0);
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json: {e}: {}", out.stdout))
}

fn count(status: &Value, state: &str) -> u64 {
    status["counts"][state]
        .as_u64()
        .unwrap_or_else(|| panic!("no count {state} in {status}"))
}

/// The report as CSV records (header checked against SPEC), each a map from column to value.
fn report_csv(state: &Path, home: &Path, only: Option<&str>) -> (Vec<csv::StringRecord>, Output) {
    let mut args = vec!["report", "--state", s(state)];
    if let Some(o) = only {
        args.extend(["--only", o]);
    }
    let out = run(&args, &[], home);
    out.expect_code(0);
    let mut r = csv::Reader::from_reader(out.stdout.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert!(header.len() >= COLUMNS.len(), "{header:?}");
    assert_eq!(
        &header[..COLUMNS.len()],
        &COLUMNS[..],
        "the report's columns"
    );
    let rows = r.records().map(|rec| rec.unwrap()).collect();
    (rows, out)
}

fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap()
}

#[test]
fn exit_0_run_resume_status_report_and_no_secret_anywhere() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let rows = 30;
    let manifest = manifest_with_env_secret(sb.path(), rows, 3);
    let state = state_of(&manifest);
    let env = run_env();
    let mut all = Outputs::default();
    let args = ["run", s(&manifest), "--endpoint", &emu.url, "--rate", "200"];
    // The check finds a secret where there is one.
    let text = std::fs::read(&manifest).unwrap();
    assert!(std::panic::catch_unwind(|| assert_no_secret(&text, "manifest")).is_err());

    // The most talkative diagnostics there are.
    let mut verbose = args.to_vec();
    verbose.extend(["-vv", "--log-format", "json"]);
    let first = all.keep("first run", run(&verbose, &env, &sb.home));
    first.expect_code(0);
    assert!(
        first.stderr.contains("30 rows: 30 created"),
        "{}",
        first.stderr
    );

    let second = all.keep("second run", run(&args, &env, &sb.home));
    second.expect_code(0);
    assert!(second.stderr.contains(" 0 calls"), "{}", second.stderr);
    assert!(
        second.stderr.contains("s: 30 settled earlier."),
        "{}",
        second.stderr
    );

    let status = status_json(&state, &sb.home);
    assert_eq!(count(&status, "created"), rows as u64, "{status}");
    assert_eq!(status["rows"], rows as u64);
    let text = all.keep("status", run(&["status", s(&manifest)], &[], &sb.home));
    text.expect_code(0);
    assert!(text.stdout.contains("created"), "{}", text.stdout);

    let (records, out) = report_csv(&state, &sb.home, None);
    all.keep("report csv", out);
    assert_eq!(records.len(), rows);
    let mut ids = HashSet::new();
    for r in &records {
        assert_eq!(&r[col("state")], "created", "{r:?}");
        assert!(r[col("data_flow_id")].starts_with("cfs-dataflow-"), "{r:?}");
        assert!(!r[col("request_id")].is_empty(), "{r:?}");
        assert_eq!(&r[col("attempts")], "1", "{r:?}");
        assert!(
            ids.insert(r[col("data_flow_id")].to_owned()),
            "duplicate id {r:?}"
        );
    }

    let jsonl = all.keep(
        "report jsonl",
        run(
            &[
                "report",
                s(&manifest),
                "--format",
                "jsonl",
                "--only",
                "created",
            ],
            &[],
            &sb.home,
        ),
    );
    jsonl.expect_code(0);
    let objects: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(objects.len(), rows);
    for o in &objects {
        for key in COLUMNS {
            assert!(o.get(key).is_some(), "no {key} in {o}");
        }
        assert_eq!(o["state"], "created");
    }

    let out_file = sb.path().join("report.csv");
    run(
        &["report", s(&manifest), "--output", s(&out_file)],
        &[],
        &sb.home,
    )
    .expect_code(0);
    assert_no_secret(&std::fs::read(&out_file).unwrap(), "report --output");

    all.assert_no_secret();
    assert_state_has_no_secret(&state);
}

#[test]
fn exit_1_missing_file_system_fails_rows_and_retry_failed_reattempts_them() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0", "--file-systems", "cfs-00000000"]);
    let manifest = manifest_with_env_secret(sb.path(), 10, 2);
    let state = state_of(&manifest);
    let env = run_env();
    let mut all = Outputs::default();
    let args = ["run", s(&manifest), "--endpoint", &emu.url, "--rate", "200"];

    let first = all.keep("first run", run(&args, &env, &sb.home));
    first.expect_code(1);
    assert!(
        first.stderr.contains("ResourceNotFound.FileSystemNotFound"),
        "{}",
        first.stderr
    );
    let status = status_json(&state, &sb.home);
    assert_eq!(count(&status, "created"), 5, "{status}");
    assert_eq!(count(&status, "failed"), 5, "{status}");

    let (failed, out) = report_csv(&state, &sb.home, Some("failed"));
    all.keep("report failed", out);
    assert_eq!(failed.len(), 5);
    for r in &failed {
        assert_eq!(&r[col("state")], "failed", "{r:?}");
        assert_eq!(&r[col("file_system_id")], "cfs-00000001", "{r:?}");
        assert_eq!(
            &r[col("error_code")],
            "ResourceNotFound.FileSystemNotFound",
            "{r:?}"
        );
        assert!(!r[col("error_message")].is_empty(), "{r:?}");
        assert_eq!(&r[col("data_flow_id")], "", "{r:?}");
    }
    // Without --retry-failed, a permanent failure is not looked at again.
    let again = all.keep("second run", run(&args, &env, &sb.home));
    again.expect_code(1);
    assert!(again.stderr.contains(" 0 calls"), "{}", again.stderr);
    assert!(!again.stderr.contains("listing failed"), "{}", again.stderr);

    // With it, the rows are taken up again: their file system is listed before any create,
    // which says at once that it does not exist, so no CreateDataFlow is sent for them.
    let mut retry_args = args.to_vec();
    retry_args.extend(["--retry-failed", "-vv"]);
    let retry = all.keep("retry run", run(&retry_args, &env, &sb.home));
    retry.expect_code(1);
    assert!(retry.stderr.contains("listing failed"), "{}", retry.stderr);
    assert!(retry.stderr.contains(" 0 calls"), "{}", retry.stderr);
    let (failed_after, out) = report_csv(&state, &sb.home, Some("failed"));
    all.keep("report failed after retry", out);
    assert_eq!(failed_after.len(), 5);
    let (created, out) = report_csv(&state, &sb.home, Some("created"));
    all.keep("report created", out);
    assert_eq!(created.len(), 5);
    assert!(created
        .iter()
        .all(|r| &r[col("file_system_id")] == "cfs-00000000"));

    all.assert_no_secret();
    assert_state_has_no_secret(&state);
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

#[test]
fn exit_2_validate_lists_every_problem_as_file_line_field_message() {
    let sb = Sandbox::new();
    let mistakes = samples().join("mistakes.csv");
    let out = run(&["validate", s(&mistakes)], &[], &sb.home);
    out.expect_code(2);
    let prefix = format!("{}:", mistakes.display());
    let mut lines = HashSet::new();
    for l in out.stderr.lines().filter_map(|l| l.strip_prefix(&prefix)) {
        let mut parts = l.splitn(3, ": ");
        let line: u64 = parts
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{l}"));
        let field = parts.next().unwrap_or_else(|| panic!("no field in {l}"));
        let message = parts.next().unwrap_or_else(|| panic!("no message in {l}"));
        assert!(!field.is_empty() && !message.is_empty(), "{l}");
        lines.insert(line);
    }
    for line in 3..=10 {
        assert!(
            lines.contains(&line),
            "no problem on line {line}:\n{}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains("UserKafkaTopic"),
        "did-you-mean:\n{}",
        out.stderr
    );
    assert!(!sb.path().join("mistakes.csv.bulkflow.db").exists());
    assert!(!state_of(&mistakes).exists(), "validate wrote a state file");
}

#[test]
fn exit_2_invalid_manifest_sends_nothing_and_writes_no_state() {
    let sb = Sandbox::new();
    let manifest = sb.path().join("mistakes.csv");
    std::fs::copy(samples().join("mistakes.csv"), &manifest).unwrap();
    let endpoint = dead_endpoint();
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &endpoint,
            "--rate",
            "200",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(2);
    assert!(out.stderr.contains("mistakes.csv:3: "), "{}", out.stderr);
    let state = state_of(&manifest);
    assert!(!state.exists(), "a state file was created");
    assert!(
        !with_suffix(&state, ".lock").exists(),
        "a lock file was created"
    );
}

#[test]
fn exit_2_usage_errors() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let state = state_of(&manifest);

    let out = run(&["run", s(&manifest), "--no-such-flag"], &creds(), &sb.home);
    out.expect_code(2);
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
    run(&["frobnicate"], &[], &sb.home).expect_code(2);
    run(&["run", s(&manifest), "--rate", "fast"], &creds(), &sb.home).expect_code(2);

    let out = run(
        &["run", s(&manifest), "--endpoint", "http://example.com"],
        &creds(),
        &sb.home,
    );
    out.expect_code(2);
    assert!(out.stderr.contains("https://"), "{}", out.stderr);
    // A plain http host built from the region is checked for the manifest's regions: with
    // `ap-guangzhou` it is not loopback, so nothing is sent and no state is written.
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            "http://127.0.0.0{region}:9",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(2);
    assert!(out.stderr.contains("loopback"), "{}", out.stderr);
    assert!(!state.exists(), "a refused endpoint created the state file");

    // No credentials: no environment, an empty HOME.
    let out = run(
        &["run", s(&manifest), "--endpoint", &dead_endpoint()],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    assert!(
        out.stderr.contains("TENCENTCLOUD_SECRET_ID"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(".tccli"), "{}", out.stderr);

    // Half of the credentials is no better.
    let out = run(
        &["run", s(&manifest), "--endpoint", &dead_endpoint()],
        &[("TENCENTCLOUD_SECRET_ID", API_ID)],
        &sb.home,
    );
    out.expect_code(2);
    assert!(
        out.stderr.contains("TENCENTCLOUD_SECRET_KEY"),
        "{}",
        out.stderr
    );
    assert!(!state.exists(), "a usage error created the state file");

    // A row with no region, and no --region.
    let no_region = sb.path().join("noregion.csv");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].trim_end_matches("ap-guangzhou").to_owned();
    std::fs::write(&no_region, lines.join("\n") + "\n").unwrap();
    let out = run(
        &["run", s(&no_region), "--endpoint", &dead_endpoint()],
        &creds(),
        &sb.home,
    );
    out.expect_code(2);
    assert!(out.stderr.contains("noregion.csv:3: "), "{}", out.stderr);
    assert!(!state_of(&no_region).exists());
    // With --region, the same manifest is valid.
    run(
        &["validate", s(&no_region), "--region", "ap-guangzhou"],
        &[],
        &sb.home,
    )
    .expect_code(0);
    run(
        &[
            "run",
            s(&no_region),
            "--dry-run",
            "--region",
            "ap-guangzhou",
        ],
        &[],
        &sb.home,
    )
    .expect_code(0);
}

#[test]
fn exit_3_wrong_key_stops_early_and_resumes_with_the_right_one() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let rows = 20;
    let manifest = write_manifest(sb.path(), rows, 2);
    let state = state_of(&manifest);
    let args = ["run", s(&manifest), "--endpoint", &emu.url, "--rate", "200"];
    let wrong_key = "APIKEY-wrong-0000";
    let out = run(
        &args,
        &[
            ("TENCENTCLOUD_SECRET_ID", API_ID),
            ("TENCENTCLOUD_SECRET_KEY", wrong_key),
        ],
        &sb.home,
    );
    out.expect_code(3);
    assert!(out.stderr.contains("AuthFailure"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(wrong_key),
        "the key leaked:\n{}",
        out.stderr
    );
    let status = status_json(&state, &sb.home);
    assert_eq!(count(&status, "pending"), rows as u64, "{status}");
    assert_eq!(count(&status, "failed"), 0, "{status}");
    assert_eq!(count(&status, "created"), 0, "{status}");

    let out = run(&args, &creds(), &sb.home);
    out.expect_code(0);
    assert_eq!(
        count(&status_json(&state, &sb.home), "created"),
        rows as u64
    );
}

#[test]
fn exit_3_an_unreachable_endpoint_stops_the_run_and_fails_no_row() {
    let sb = Sandbox::new();
    let rows = 4;
    let manifest = write_manifest(sb.path(), rows, 2);
    let state = state_of(&manifest);
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &dead_endpoint(),
            "--rate",
            "200",
            "--max-attempts",
            "2",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(3);
    assert!(
        out.stderr.contains("ConnectFailed") || out.stderr.contains("could not connect"),
        "{}",
        out.stderr
    );
    let status = status_json(&state, &sb.home);
    assert_eq!(
        count(&status, "failed"),
        0,
        "a connection failure is not the row's: {status}"
    );
    assert_eq!(count(&status, "created"), 0, "{status}");
    assert_eq!(
        count(&status, "pending") + count(&status, "retrying"),
        rows as u64,
        "{status}"
    );

    // Resumable: once the endpoint answers, the same command (another endpoint) finishes.
    let emu = EmulatorProc::start(&["--rate", "0"]);
    run(
        &["run", s(&manifest), "--endpoint", &emu.url, "--rate", "200"],
        &creds(),
        &sb.home,
    )
    .expect_code(0);
    assert_eq!(
        count(&status_json(&state, &sb.home), "created"),
        rows as u64
    );
}

#[test]
fn exit_4_max_runtime_stops_and_the_next_run_finishes() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let rows = 200;
    let manifest = write_manifest(sb.path(), rows, 2);
    let state = state_of(&manifest);
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "20",
            "--max-runtime",
            "1s",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(4);
    let status = status_json(&state, &sb.home);
    let created = count(&status, "created");
    let pending = count(&status, "pending");
    assert!(created > 0 && pending > 0, "{status}");
    assert_eq!(created + pending, rows as u64, "{status}");
    assert!(created < 100, "--max-runtime 1s at 20/s created {created}");

    let out = run(
        &["run", s(&manifest), "--endpoint", &emu.url, "--rate", "200"],
        &creds(),
        &sb.home,
    );
    out.expect_code(0);
    assert!(
        out.stderr.contains(&format!(
            "calls: {} created, {created} settled earlier.",
            rows as u64 - created
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn exit_4_sigterm_finishes_in_flight_calls_and_the_rerun_creates_each_row_once() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0", "--latency-ms", "5:40"]);
    let rows = 200;
    let manifest = write_manifest(sb.path(), rows, 2);
    let state = state_of(&manifest);
    let child = spawn(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "20",
            "--progress",
            "plain",
        ],
        &creds(),
        &sb.home,
    );
    std::thread::sleep(Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let sent = Instant::now();
    let out = child.wait();
    out.expect_code(4);
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "took {:?} to stop",
        sent.elapsed()
    );
    assert!(out.stderr.contains("stopping"), "{}", out.stderr);
    let status = status_json(&state, &sb.home);
    let created = count(&status, "created");
    assert!(created > 0 && created < rows as u64, "{status}");

    let out = run(
        &["run", s(&manifest), "--endpoint", &emu.url, "--rate", "200"],
        &creds(),
        &sb.home,
    );
    out.expect_code(0);
    let (records, _) = report_csv(&state, &sb.home, None);
    assert_eq!(records.len(), rows);
    let ids: HashSet<&str> = records.iter().map(|r| &r[col("data_flow_id")]).collect();
    assert_eq!(ids.len(), rows, "every row has its own flow");
    assert!(records.iter().all(|r| &r[col("state")] == "created"));
}

#[test]
fn exit_5_a_foreign_sqlite_file_is_refused_and_left_untouched() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let foreign = sb.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');")
            .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let out = run(
        &[
            "run",
            s(&manifest),
            "--state",
            s(&foreign),
            "--endpoint",
            &dead_endpoint(),
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(5);
    assert!(
        out.stderr.contains("not a bulkflow state file"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "the file was changed"
    );
    assert!(!with_suffix(&foreign, "-wal").exists());
    run(&["status", "--state", s(&foreign)], &[], &sb.home).expect_code(5);
    run(&["report", "--state", s(&foreign)], &[], &sb.home).expect_code(5);
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "the file was changed"
    );
}

#[test]
fn exit_5_garbage_or_missing_state_file() {
    let sb = Sandbox::new();
    let garbage = sb.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not a database at all, just some bytes\n".repeat(100),
    )
    .unwrap();
    let before = std::fs::read(&garbage).unwrap();
    let out = run(&["status", "--state", s(&garbage)], &[], &sb.home);
    out.expect_code(5);
    assert!(out.stderr.contains("garbage.db"), "{}", out.stderr);
    run(&["status", "--state", s(&garbage), "--json"], &[], &sb.home).expect_code(5);
    run(&["report", "--state", s(&garbage)], &[], &sb.home).expect_code(5);
    assert_eq!(std::fs::read(&garbage).unwrap(), before);
    // A path that names no file is a mistake of the command line (2), not a busy or
    // unreadable state file (5, which cron jobs alert on).
    let missing = sb.path().join("missing.db");
    run(&["status", "--state", s(&missing)], &[], &sb.home).expect_code(2);
    assert!(!missing.exists(), "status created a state file");
}

#[test]
fn exit_5_a_state_file_in_use_is_refused_at_once() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 200, 2);
    let state = state_of(&manifest);
    // A short request timeout: the calls a SIGKILL leaves `unknown` are resolved only once
    // they can no longer land (timeout + queue), so the resume below stays quick.
    let args = [
        "run",
        s(&manifest),
        "--endpoint",
        &emu.url,
        "--rate",
        "5",
        "--request-timeout",
        "2",
    ];
    let first = spawn(&args, &creds(), &sb.home);
    assert!(
        wait_until(Duration::from_secs(20), || state.exists()),
        "the first run never created its state file"
    );
    let started = Instant::now();
    let second = run(&args, &creds(), &sb.home);
    second.expect_code(5);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        second.stderr.contains("another bulkflow run"),
        "{}",
        second.stderr
    );
    drop(first); // SIGKILL: calls in flight stay `unknown`

    // The OS released the lock with the process: the next run resolves and finishes.
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "200",
            "--settle",
            "0.2",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(0);
    let (records, _) = report_csv(&state, &sb.home, None);
    let ids: HashSet<&str> = records.iter().map(|r| &r[col("data_flow_id")]).collect();
    assert_eq!(ids.len(), 200, "every row has its own flow");
}

#[test]
fn help_completions_dry_run_and_plain_progress() {
    let sb = Sandbox::new();
    let out = run(&["--help"], &[], &sb.home);
    out.expect_code(0);
    assert!(out.stdout.contains("Example"), "{}", out.stdout);
    let out = run(&["run", "--help"], &[], &sb.home);
    out.expect_code(0);
    assert!(out.stdout.contains("--max-runtime"), "{}", out.stdout);
    let out = run(&["--version"], &[], &sb.home);
    out.expect_code(0);

    let out = run(&["completions", "bash"], &[], &sb.home);
    out.expect_code(0);
    assert!(
        out.stdout.contains("complete") && out.stdout.contains("bulkflow"),
        "{}",
        out.stdout
    );

    let manifest = write_manifest(sb.path(), 9, 3);
    let state = state_of(&manifest);
    let out = run(&["run", s(&manifest), "--dry-run"], &[], &sb.home);
    out.expect_code(0);
    for fs in ["cfs-00000000", "cfs-00000001", "cfs-00000002"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(fs))
            .unwrap_or_else(|| panic!("no {fs} in the plan:\n{}", out.stdout));
        assert!(line.trim_end().ends_with(" 3"), "{line}");
        assert!(line.contains("ap-guangzhou"), "{line}");
    }
    assert!(!state.exists(), "--dry-run created a state file");

    // stderr is a pipe: auto means plain lines, never an escape sequence.
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "200",
            "--progress",
            "auto",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(0);
    assert!(
        !out.raw.contains(&0x1b),
        "an ESC byte in:\n{:?}",
        out.stderr
    );
    // Even with TERM set to a colour terminal.
    let out = run(
        &["status", s(&manifest)],
        &[("TERM", "xterm-256color")],
        &sb.home,
    );
    out.expect_code(0);
    assert!(
        !out.raw.contains(&0x1b),
        "an ESC byte in:\n{:?}",
        out.stdout
    );
}
