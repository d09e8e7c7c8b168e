//! Issue 21, item 3: an interrupted `run --rotate-keys` or `run --update` (SIGINT, SIGTERM,
//! `--max-runtime`) exits 4, its summary file says so, and the command it prints to resume
//! carries the flag, so that pasting it finishes the work.

use std::path::Path;
use std::time::Duration;

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::secret::Secret;

use super::bin_helpers::{
    creds, run, s, spawn, wait_until, Output, Running, Sandbox, API_ID, API_KEY,
};

const ROWS: usize = 60;

/// A manifest of [`ROWS`] rows whose SecretIds and names carry `generation`.
fn write(path: &Path, generation: &str) {
    let mut out = String::from(
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n",
    );
    for i in 0..ROWS {
        let fs = i % 2;
        out.push_str(&format!(
            "cfs-{fs:08x},S3_COS,https://src-{fs}.cos.ap-guangzhou.myqcloud.com,data/{i},/cfs/dir{i:05},AKID{generation}{i},KEY-{generation}-{i},flow_{generation}_{i},ap-guangzhou\n"
        ));
    }
    std::fs::write(path, out).unwrap();
}

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        secret_id: API_ID.into(),
        secret_key: Secret::new(API_KEY),
        rate: 0,
        latency_ms: (5, 20),
        seed: 21,
        ..EmulatorConfig::default()
    })
    .unwrap()
}

/// Rows whose flow has been modified at least once.
fn modified(emu: &Emulator) -> usize {
    emu.flow_records()
        .iter()
        .filter(|f| f.modifications > 0)
        .count()
}

/// How the interruption comes.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Signal(&'static str),
    MaxRuntime,
}

/// Runs `run M FLAG` slowly, stops it once some rows were modified, and returns its output and
/// the command its summary file says resumes it.
fn interrupted(
    sb: &Sandbox,
    emu: &Emulator,
    manifest: &Path,
    flag: &str,
    stop: Stop,
) -> (Output, String) {
    let summary = sb.path().join("summary.json");
    let mut args = vec![
        "run".to_owned(),
        s(manifest).to_owned(),
        "--endpoint".into(),
        emu.url(),
        "--rate".into(),
        "10".into(),
        flag.into(),
        "--summary-file".into(),
        s(&summary).to_owned(),
    ];
    if let Stop::MaxRuntime = stop {
        args.extend(["--max-runtime".into(), "2s".into()]);
    }
    let child = spawn(&args, &creds(), &sb.home);
    if let Stop::Signal(signal) = stop {
        assert!(
            wait_until(Duration::from_secs(30), || modified(emu) >= 3),
            "nothing was modified"
        );
        signal_to(&child, signal);
    }
    let out = child.wait();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(json["exit_code"], 4, "{stop:?} {flag}: {json}");
    let resume = json["resume"]
        .as_str()
        .expect("a resume command")
        .to_owned();
    (out, resume)
}

fn signal_to(child: &Running, signal: &str) {
    let killed = std::process::Command::new("kill")
        .args([signal, &child.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

/// The words of the command that resumes the run, as the summary file gives it and the closing
/// paragraph prints it.
fn hint(out: &Output, resume: &str) -> Vec<String> {
    assert!(
        out.stderr.contains(&format!("Resume: {resume}")),
        "the printed hint is not {resume:?}: {}",
        out.stderr
    );
    // The hint's words are plain here (temp paths, a loopback URL): no quoting to undo.
    resume.split_whitespace().map(str::to_owned).collect()
}

fn check(flag: &str, generation: &str, stop: Stop, done: impl Fn(&Emulator) -> bool) {
    let sb = Sandbox::new();
    let emu = emulator();
    let manifest = sb.path().join("flows.csv");
    write(&manifest, "one");
    run(
        &["run", s(&manifest), "--endpoint", &emu.url(), "--rate", "0"],
        &creds(),
        &sb.home,
    )
    .expect_code(0);
    write(&manifest, generation);
    let (out, resume) = interrupted(&sb, &emu, &manifest, flag, stop);
    out.expect_code(4);
    assert!(!done(&emu), "{stop:?} came after every row was done");
    let words = hint(&out, &resume);
    assert_eq!(words[0], "bulkflow");
    assert!(words.iter().any(|w| w == flag), "{flag} dropped: {words:?}");
    // The endpoint from the environment: the hint names it or not (it does not have to).
    let url = emu.url();
    let mut env = creds();
    env.push(("BULKFLOW_ENDPOINT", &url));
    run(&words[1..], &env, &sb.home).expect_code(0);
    assert!(done(&emu), "the pasted hint did not finish the {flag}");
}

fn rotated(emu: &Emulator) -> bool {
    emu.flow_records()
        .iter()
        .all(|f| f.secret_id.expose().starts_with("AKIDtwo"))
}

fn updated(emu: &Emulator) -> bool {
    emu.flow_records()
        .iter()
        .all(|f| f.info.data_flow_name.starts_with("flow_two_"))
}

#[test]
fn an_interrupted_rotation_exits_4_and_its_hint_resumes_it() {
    check("--rotate-keys", "two", Stop::Signal("-INT"), rotated);
}

#[test]
fn a_rotation_stopped_by_sigterm_exits_4_and_its_hint_resumes_it() {
    check("--rotate-keys", "two", Stop::Signal("-TERM"), rotated);
}

#[test]
fn a_rotation_stopped_by_max_runtime_exits_4_and_its_hint_resumes_it() {
    check("--rotate-keys", "two", Stop::MaxRuntime, rotated);
}

#[test]
fn an_interrupted_update_exits_4_and_its_hint_resumes_it() {
    check("--update", "two", Stop::Signal("-INT"), updated);
}

#[test]
fn an_update_stopped_by_max_runtime_exits_4_and_its_hint_resumes_it() {
    check("--update", "two", Stop::MaxRuntime, updated);
}
