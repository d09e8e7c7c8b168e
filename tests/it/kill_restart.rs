//! SIGKILL in the middle of a run, then the same command again: every row ends `created` with
//! the emulator's id, none duplicated, none falsely failed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bulkflow::emulator::{Emulator, EmulatorConfig};

use super::common::{check_state_matches_emulator, write_manifest};

fn run_cmd(emu: &Emulator, config: &EmulatorConfig, manifest: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulkflow"));
    cmd.arg("run")
        .arg(manifest)
        .args(["--endpoint", &emu.url(), "--rate", "150", "--request-timeout", "1", "--settle", "0.3"])
        .args(["--progress", "none"])
        .env_clear()
        .env("TENCENTCLOUD_SECRET_ID", &config.secret_id)
        .env("TENCENTCLOUD_SECRET_KEY", config.secret_key.expose())
        .env("HOME", manifest.parent().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn a_killed_run_resumes_without_duplicates_or_false_failures() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 300, 4);
    let config = EmulatorConfig {
        rate: 0,
        latency_ms: (5, 60),
        internal_error: 0.05,
        lost_response: 0.05,
        late_create: 0.02,
        listing_delay_ms: 200,
        seed: 7,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();

    for kill_at in [40, 160] {
        let mut child = run_cmd(&emu, &config, &manifest).spawn().unwrap();
        let started = Instant::now();
        while emu.counters().created < kill_at && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(emu.counters().created < 300, "the run ended before it was killed");
    }

    let out = run_cmd(&emu, &config, &manifest).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let state = dir.path().join("flows.csv.bulkflow.db");
    check_state_matches_emulator(&state, &emu, 300);
}
