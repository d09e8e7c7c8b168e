//! Issue 13, "Trust": the run lock follows the state file whatever its name, `report --output`
//! never lands on a file bulkflow needs, a hangup stops a run like SIGTERM, and a state file that
//! may not be written stops a run before its first call.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bin_helpers::{
    creds, dead_endpoint, run, s, spawn, spawn_through, wait_until, EmulatorProc, Running, Sandbox,
};
use super::common::write_manifest;

fn state_of(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

/// A query on a state file another process may be writing; `None` while it cannot answer.
fn query(state: &Path, sql: &str) -> Option<i64> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let conn = rusqlite::Connection::open_with_flags(state, flags).ok()?;
    conn.busy_timeout(Duration::from_secs(2)).ok()?;
    conn.query_row(sql, [], |r| r.get(0)).ok()
}

fn count(state: &Path, row_state: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM flows WHERE state = '{row_state}'");
    query(state, &sql).unwrap_or(0)
}

/// Waits until the run writing `state` has created a flow: its signal handlers and lock are
/// in place by then.
fn wait_for_a_created_row(state: &Path) {
    assert!(
        wait_until(Duration::from_secs(30), || count(state, "created") > 0),
        "the run created nothing"
    );
}

fn kill(child: &Running, signal: &str) {
    let killed = std::process::Command::new("kill")
        .args([signal, &child.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

#[test]
fn the_run_lock_follows_the_state_file_under_any_name() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 200, 2);
    let state = sb.path().join("real.db");
    std::fs::create_dir(sb.path().join("sub")).unwrap();
    let run_args = |state: &Path, rate: &str| {
        let args = [
            "run",
            s(&manifest),
            "--state",
            s(state),
            "--endpoint",
            &emu.url,
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(
            ["--rate", rate, "--request-timeout", "2", "--settle", "0.2"].map(String::from),
        );
        args
    };
    let first = spawn(&run_args(&state, "5"), &creds(), &sb.home);
    wait_for_a_created_row(&state);

    let symlink = sb.path().join("link.db");
    std::os::unix::fs::symlink(&state, &symlink).unwrap();
    let hard = sb.path().join("hard.db");
    std::fs::hard_link(&state, &hard).unwrap();
    let aliases = [
        symlink.clone(),
        hard,
        sb.path().join(".").join("real.db"),
        sb.path().join("sub").join("..").join("real.db"),
    ];
    for alias in &aliases {
        let out = run(&run_args(alias, "200"), &creds(), &sb.home);
        out.expect_code(5);
        let said = format!("{}: another bulkflow run", alias.display());
        assert!(out.stderr.contains(&said), "{}", out.stderr);
    }
    drop(first); // SIGKILL: the OS releases the lock with the process

    run(&run_args(&symlink, "200"), &creds(), &sb.home).expect_code(0);
    assert_eq!(count(&state, "created"), 200);
}

/// The command prefix that takes away the privilege to write any file, when this process has
/// it (root); `None` when it cannot be taken away here.
fn unprivileged(probe: &Path) -> Option<Vec<&'static str>> {
    if std::fs::OpenOptions::new().write(true).open(probe).is_err() {
        return Some(vec![]);
    }
    let setpriv = [
        "setpriv",
        "--bounding-set",
        "-dac_override,-dac_read_search",
        "--",
    ];
    let works = std::process::Command::new(setpriv[0])
        .args(&setpriv[1..])
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    works.then(|| setpriv.to_vec())
}

#[cfg(target_os = "linux")]
#[test]
fn a_read_only_state_file_stops_a_run_before_its_first_call() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 3, 1);
    let state = state_of(&manifest);
    run(
        &["run", s(&manifest), "--endpoint", &emu.url],
        &creds(),
        &sb.home,
    )
    .expect_code(0);
    write_manifest(sb.path(), 6, 1);
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o444)).unwrap();
    let Some(wrapper) = unprivileged(&state) else {
        eprintln!("skipped: cannot run bulkflow without the privilege to write any file");
        return;
    };
    let before = std::fs::read(&state).unwrap();
    let args = ["run", s(&manifest), "--endpoint", &dead_endpoint()];
    let out = spawn_through(&wrapper, &args, &creds(), &sb.home).wait();
    out.expect_code(5);
    let said = format!("{} is read-only", state.display());
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "the state file changed"
    );
    // Reading it is still fine.
    let status = ["status", s(&manifest)];
    spawn_through(&wrapper, &status, &[], &sb.home)
        .wait()
        .expect_code(0);
}

#[test]
fn report_output_never_lands_on_a_file_bulkflow_needs() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 3, 1);
    let state = state_of(&manifest);
    run(
        &["run", s(&manifest), "--endpoint", &emu.url],
        &creds(),
        &sb.home,
    )
    .expect_code(0);
    let link = sb.path().join("link.db");
    std::os::unix::fs::symlink(&state, &link).unwrap();
    let hard = sb.path().join("hard.csv");
    std::fs::hard_link(&manifest, &hard).unwrap();
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", state.display()));
    let needed = [&state, &manifest];
    let before: Vec<Vec<u8>> = needed.iter().map(|p| std::fs::read(p).unwrap()).collect();

    let by_manifest = [
        manifest.clone(),
        state.clone(),
        with("-wal"),
        with("-shm"),
        with(".lock"),
        link,
        hard,
        sb.path().join(".").join("flows.csv"),
    ];
    for out in &by_manifest {
        let got = run(&["report", s(&manifest), "--output", s(out)], &[], &sb.home);
        got.expect_code(2);
        assert!(
            got.stderr.contains("refusing to write there"),
            "{}",
            got.stderr
        );
    }
    // Named by --state alone: the manifest is the one its last run read.
    let got = run(
        &["report", "--state", s(&state), "--output", s(&manifest)],
        &[],
        &sb.home,
    );
    got.expect_code(2);
    for (p, bytes) in needed.iter().zip(&before) {
        assert_eq!(&std::fs::read(p).unwrap(), bytes, "{} changed", p.display());
    }
    run(&["status", s(&manifest)], &[], &sb.home).expect_code(0);

    let report = sb.path().join("report.csv");
    run(
        &["report", s(&manifest), "--output", s(&report)],
        &[],
        &sb.home,
    )
    .expect_code(0);
    let stdout = run(&["report", s(&manifest)], &[], &sb.home);
    assert_eq!(std::fs::read_to_string(&report).unwrap(), stdout.stdout);
}

#[test]
fn a_report_that_fails_leaves_the_previous_file_whole() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 3, 1);
    let state = state_of(&manifest);
    run(
        &["run", s(&manifest), "--endpoint", &emu.url],
        &creds(),
        &sb.home,
    )
    .expect_code(0);
    let report = sb.path().join("report.csv");
    run(
        &["report", s(&manifest), "--output", s(&report)],
        &[],
        &sb.home,
    )
    .expect_code(0);
    let good = std::fs::read(&report).unwrap();
    {
        let conn = rusqlite::Connection::open(&state).unwrap();
        conn.execute_batch("DROP TABLE attempts; DROP TABLE flows; CREATE TABLE flows (x);")
            .unwrap();
    }
    let out = run(
        &["report", s(&manifest), "--output", s(&report)],
        &[],
        &sb.home,
    );
    out.expect_code(5);
    assert_eq!(
        std::fs::read(&report).unwrap(),
        good,
        "the old report was lost"
    );
    let left: Vec<String> = std::fs::read_dir(sb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn sighup_stops_a_run_gracefully_with_its_summary() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0", "--latency-ms", "5:40"]);
    let rows = 200;
    let manifest = write_manifest(sb.path(), rows, 2);
    let state = state_of(&manifest);
    let args = ["run", s(&manifest), "--endpoint", &emu.url, "--rate", "20"];
    // A harness run under `nohup` ignores SIGHUP, and its children inherit that (bulkflow then
    // keeps ignoring it, as asked): the child's disposition is set back to the default.
    let child = spawn_through(&["env", "--default-signal=HUP"], &args, &creds(), &sb.home);
    wait_for_a_created_row(&state);
    kill(&child, "-HUP");
    let out = child.wait();
    out.expect_code(4);
    assert!(out.stderr.contains("SIGHUP: stopping"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("bulkflow: {rows} rows: ")),
        "no summary: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Stopped early (interrupted"),
        "{}",
        out.stderr
    );
    let created = count(&state, "created");
    assert!(created > 0 && created < rows as i64, "{created}");
    assert_eq!(
        count(&state, "unknown"),
        0,
        "the calls in flight were finished"
    );
}

#[test]
fn under_nohup_a_hangup_does_not_stop_the_run() {
    let has_nohup = std::process::Command::new("nohup")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    if !has_nohup {
        eprintln!("skipped: no nohup here");
        return;
    }
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0", "--latency-ms", "5:40"]);
    let rows = 200;
    let manifest = write_manifest(sb.path(), rows, 2);
    let state = state_of(&manifest);
    let args = ["run", s(&manifest), "--endpoint", &emu.url, "--rate", "40"];
    let child = spawn_through(&["nohup"], &args, &creds(), &sb.home);
    wait_for_a_created_row(&state);
    assert!(
        count(&state, "created") < rows as i64,
        "finished too soon to tell"
    );
    kill(&child, "-HUP");
    let out = child.wait();
    out.expect_code(0);
    assert!(!out.stderr.contains("stopping"), "{}", out.stderr);
    assert_eq!(count(&state, "created"), rows as i64);
}
