//! Chaos: the real binary against the emulator with faults, checked against what the emulator
//! holds. What every file here checks, after every run and every SIGKILL:
//! - the state file is intact (`PRAGMA integrity_check`);
//! - no directory holds two flows (no duplicate);
//! - no row is `created` with an id the emulator does not hold for its directory;
//! - no row is `failed` whose flow exists (no false failure).
//!
//! - `kills`: every fault at once, SIGKILL at seeded random moments, concurrency and `--settle`
//!   drawn per cycle (the listing delay up to 3x the settle time); the long run is
//!   `BULKFLOW_CHAOS_SEED=1 cargo test --release --test main chaos_long -- --ignored --nocapture`.
//! - `listing`: listings that lag behind `--settle` and the listing backoff's first steps, lost
//!   listing answers, and a service that takes minutes to list a new flow.
//! - `pacing`: concurrencies from 1 to 64 and rates from 0.5 to 1000 all finish.
//! - `lossy`: a loopback proxy that loses chosen answers, for faults no seed can aim.
//! - `changed_delete`, `changed_keys` (helpers in `changed`): a manifest that changes between
//!   killed runs, under listing lag and late creates: `delete` after rows' sources moved (never
//!   another source's flow, never `deleted` while the flow lives), and a key rotation resumed
//!   with other keys (every row ends with the manifest's keys as they are now).

mod changed;
mod changed_delete;
mod changed_keys;
mod kills;
mod listing;
pub mod lossy;
mod pacing;
mod tasks;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::store;

/// The runner's flags that the chaos varies.
#[derive(Debug, Clone, Copy)]
pub struct Flags {
    pub rate: f64,
    pub concurrency: usize,
    pub settle: f64,
    pub request_timeout: f64,
    /// `None`: the default.
    pub max_attempts: Option<u32>,
}

impl Default for Flags {
    fn default() -> Flags {
        Flags {
            rate: 100.0,
            concurrency: 16,
            settle: 0.5,
            request_timeout: 1.0,
            max_attempts: None,
        }
    }
}

/// `bulkflow run MANIFEST` against `url` with the emulator's credentials, a bare environment,
/// stdout discarded and stderr piped.
pub fn run_cmd(url: &str, config: &EmulatorConfig, manifest: &Path, flags: Flags) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulkflow"));
    cmd.arg("run")
        .arg(manifest)
        .args(["--endpoint", url])
        .args(["--rate", &flags.rate.to_string()])
        .args(["--concurrency", &flags.concurrency.to_string()])
        .args(["--request-timeout", &flags.request_timeout.to_string()])
        .args(["--settle", &flags.settle.to_string()])
        .args(["--progress", "none"]);
    if let Some(n) = flags.max_attempts {
        cmd.args(["--max-attempts", &n.to_string()]);
    }
    cmd.env_clear()
        .env("TENCENTCLOUD_SECRET_ID", &config.secret_id)
        .env("TENCENTCLOUD_SECRET_KEY", config.secret_key.expose())
        .env("HOME", manifest.parent().unwrap_or(Path::new("/")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// How a run ended: its exit code, or `None` when it did not end within its time and was
/// killed (a hang).
pub struct Ended {
    pub code: Option<i32>,
    pub stderr: String,
    pub took: Duration,
}

/// Waits for `child` up to `limit`; kills it after that. Stderr is read on a thread so that a
/// chatty run never blocks on a full pipe.
pub fn wait_for(mut child: Child, limit: Duration) -> Ended {
    let started = Instant::now();
    let err = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
            s
        })
    });
    let code = loop {
        match child.try_wait().expect("try_wait") {
            Some(status) => break Some(status.code().unwrap_or(-1)),
            None if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let took = started.elapsed();
    let stderr = err
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    Ended { code, stderr, took }
}

/// Runs to the end within `limit`; fails the test on a hang.
pub fn run_to_end(cmd: &mut Command, limit: Duration) -> Ended {
    let ended = wait_for(cmd.spawn().expect("spawn bulkflow"), limit);
    assert!(
        ended.code.is_some(),
        "bulkflow did not finish in {limit:?} (a hang); stderr:\n{}",
        ended.stderr
    );
    ended
}

/// The emulator's flows by directory (file system, target path without its trailing slash).
pub fn held(emu: &Emulator) -> HashMap<(String, String), Vec<String>> {
    let mut held: HashMap<(String, String), Vec<String>> = HashMap::new();
    for f in emu.flows() {
        held.entry((
            f.file_system_id,
            f.target_path.trim_end_matches('/').to_owned(),
        ))
        .or_default()
        .push(f.data_flow_id);
    }
    held
}

/// What a check of the state file against the emulator found wrong, one line per finding.
#[derive(Debug, Default, Clone)]
pub struct Findings {
    /// Directories that hold two flows or more.
    pub duplicates: Vec<String>,
    /// Rows `created` with an id the emulator does not hold for their directory.
    pub wrong_ids: Vec<String>,
    /// Rows `failed` whose flow exists.
    pub false_failures: Vec<String>,
    /// Rows `failed` with no flow (every row of these manifests is valid).
    pub other_failures: Vec<String>,
    /// `PRAGMA integrity_check` answers other than `ok`.
    pub corrupt: Vec<String>,
    /// Rows left `unknown`.
    pub unknown: usize,
}

impl Findings {
    pub fn is_clean(&self) -> bool {
        self.duplicates.is_empty()
            && self.wrong_ids.is_empty()
            && self.false_failures.is_empty()
            && self.other_failures.is_empty()
            && self.corrupt.is_empty()
    }

    /// Panics with every finding unless there is none.
    #[track_caller]
    pub fn assert_clean(&self, when: &str) {
        assert!(self.is_clean(), "{when}: {self:#?}");
    }
}

/// Checks the state file (when it exists) against the emulator's flows.
pub fn inspect(state: &Path, emu: &Emulator) -> Findings {
    let held = held(emu);
    let mut found = Findings::default();
    for ((fs, dir), ids) in &held {
        if ids.len() > 1 {
            found.duplicates.push(format!("{fs} {dir}: {ids:?}"));
        }
    }
    if !state.exists() {
        return found;
    }
    let conn = store::open(state, false).expect("open the state file");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    if ok != "ok" {
        found.corrupt.push(ok);
    }
    store::read::for_each_row(&conn, None, |r| {
        let ids = held.get(&(r.file_system_id.clone(), r.target_path.clone()));
        let row = format!(
            "line {} ({} {}): {} {} {}",
            r.line, r.file_system_id, r.target_path, r.data_flow_id, r.error_code, r.error_message
        );
        match r.state.as_str() {
            "created" if ids != Some(&vec![r.data_flow_id.clone()]) => {
                found
                    .wrong_ids
                    .push(format!("{row}; the emulator holds {ids:?}"));
            }
            "failed" if ids.is_some() => found.false_failures.push(row),
            "failed" => found.other_failures.push(row),
            "unknown" => found.unknown += 1,
            _ => {}
        }
        Ok(())
    })
    .expect("read the rows");
    found
}

/// The row states of a state file, with their count.
pub fn counts(state: &Path) -> HashMap<String, u64> {
    let conn = store::open(state, false).expect("open the state file");
    let mut counts = HashMap::new();
    store::read::for_each_row(&conn, None, |r| {
        *counts.entry(r.state.clone()).or_default() += 1;
        Ok(())
    })
    .expect("read the rows");
    counts
}
