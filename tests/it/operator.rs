//! What an operator's tools read from the binary: JSON log lines with stable keys, and plain
//! progress lines (no escape codes) when stderr is not a terminal.

use serde_json::Value;

use super::bin_helpers::{creds, run, s, EmulatorProc, Sandbox, API_KEY};
use super::common::write_manifest;

#[test]
fn json_logs_have_stable_keys_and_no_secret() {
    let sb = Sandbox::new();
    // Rows alternate between cfs-00000000, which exists, and cfs-00000001, which does not.
    let manifest = write_manifest(sb.path(), 6, 2);
    let emu = EmulatorProc::start(&["--rate", "0", "--file-systems", "cfs-00000000"]);
    let out = run(
        &[
            "-v",
            "--log-format",
            "json",
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "100",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(1);

    let objects: Vec<Value> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!objects.is_empty(), "no JSON line in:\n{}", out.stderr);
    for o in &objects {
        for key in ["time", "level", "message"] {
            assert!(o[key].is_string(), "{key} in {o}");
        }
        let time = o["time"].as_str().unwrap_or_default();
        assert!(
            time.len() == 24 && time.as_bytes()[10] == b'T' && time.ends_with('Z'),
            "{time}"
        );
    }
    let failures: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            o["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("row failed"))
        })
        .collect();
    assert_eq!(failures.len(), 3, "{}", out.stderr);
    for f in failures {
        assert_eq!(f["level"], "WARN", "{f}");
        assert!(f["line"].is_u64(), "{f}");
        assert!(f["attempt"].is_u64(), "{f}");
        assert_eq!(f["file_system_id"], "cfs-00000001", "{f}");
        assert!(
            f["target_path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/cfs/dir")),
            "{f}"
        );
        assert_eq!(
            f["error_code"], "ResourceNotFound.FileSystemNotFound",
            "{f}"
        );
    }

    let text = String::from_utf8_lossy(&out.raw);
    for secret in ["SRCKEY-planted", API_KEY] {
        assert!(!text.contains(secret), "{secret} in:\n{text}");
    }
}

#[test]
fn plain_progress_lines_mid_run_without_escape_codes() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 40, 2);
    let emu = EmulatorProc::start(&["--rate", "0", "--latency-ms", "20:60"]);
    // stderr is a pipe and TERM names a colour terminal: auto must still mean plain lines.
    let mut env = creds();
    env.extend([
        ("BULKFLOW_PLAIN_INTERVAL_MS", "200"),
        ("TERM", "xterm-256color"),
    ]);
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "20",
            "--progress",
            "auto",
        ],
        &env,
        &sb.home,
    );
    out.expect_code(0);
    assert!(
        !out.raw.contains(&0x1b),
        "an ESC byte in:\n{:?}",
        out.stderr
    );
    let mid_run: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("bulkflow: "))
        .filter(|l| l.contains(" done: created "))
        .filter(|l| {
            l.split_once('/')
                .and_then(|(done, _)| done.parse::<u32>().ok())
                .is_some_and(|done| (1..40).contains(&done))
        })
        .collect();
    assert!(
        !mid_run.is_empty(),
        "no plain progress line mid-run in:\n{}",
        out.stderr
    );
    for l in mid_run {
        assert!(l.contains("/40 done: created "), "{l}");
    }
}
