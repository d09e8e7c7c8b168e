//! README's data-task block is a promise: each of its commands runs, in order, against the
//! emulator (the endpoint from `BULKFLOW_ENDPOINT`), on a part of `samples/flows.csv`, and exits 0.

use std::process::Command;

use bulkflow::emulator::{Emulator, EmulatorConfig};

/// The commands of the first `sh` block after `heading`.
fn block(readme: &str, heading: &str) -> Vec<String> {
    let at = readme.find(heading).expect("the heading");
    let rest = &readme[at..];
    let start = rest.find("```sh\n").expect("an sh block") + 6;
    let end = rest[start..].find("```").expect("the block's end") + start;
    rest[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_data_task_block_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let cmds = block(&readme, "## Loading the data: data tasks");
    assert!(cmds.len() >= 6, "{cmds:?}");
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/flows.csv"))
        .expect("the sample");
    let dir = tempfile::tempdir().unwrap();
    let part: Vec<&str> = sample.lines().take(13).collect();
    std::fs::write(dir.path().join("flows.csv"), part.join("\n") + "\n").unwrap();
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 200,
        task_mbps: 100_000.0,
        seed: 1,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let bin = env!("CARGO_BIN_EXE_bulkflow");
    for cmd in &cmds {
        // No bar in a test: the option goes before the manifest, ahead of any comment.
        let line = cmd
            .replacen("bulkflow run ", "bulkflow run --progress none ", 1)
            .replacen("bulkflow task ", "bulkflow task --progress none ", 1)
            .replacen("bulkflow ", &format!("{bin} "), 1);
        let out = Command::new("sh")
            .args(["-c", &line])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("BULKFLOW_ENDPOINT", emu.url())
            .env("BULKFLOW_PEERS_DIR", "")
            .env("TENCENTCLOUD_SECRET_ID", &config.secret_id)
            .env("TENCENTCLOUD_SECRET_KEY", config.secret_key.expose())
            .output()
            .expect("sh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{cmd}\n{stderr}");
    }
}
