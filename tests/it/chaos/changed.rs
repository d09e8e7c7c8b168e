//! What the chaos of a changing manifest shares: one emulator with every fault on (listings
//! that lag, late creates, lost answers, internal errors), a manifest rewritten between runs
//! (rows' sources moved, keys of another generation), and runs of the real binary killed with
//! SIGKILL at seeded moments. The tests are in `changed_delete.rs` and `changed_keys.rs`.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bulkflow::emulator::{Emulator, EmulatorConfig, FlowRecord};
use bulkflow::secret::Secret;
use bulkflow::store;
use rand::{RngExt, SeedableRng};

use super::super::bin_helpers::{API_ID, API_KEY, BIN};

/// File systems the rows are spread over.
pub const FILE_SYSTEMS: usize = 4;

pub fn fs_id(i: usize) -> String {
    format!("cfs-{:08x}", i % FILE_SYSTEMS)
}

pub fn dir(i: usize) -> String {
    format!("/cfs/dir{i:05}")
}

/// Row `i`'s source path: its own, or the moved one.
pub fn source(i: usize, moved: bool) -> String {
    if moved {
        format!("moved/{i}")
    } else {
        format!("data/{i}")
    }
}

/// Row `i`'s SecretId and SecretKey in key generation `generation`.
pub fn keys(generation: &str, i: usize) -> (String, String) {
    (
        format!("AKID{generation}{i}"),
        format!("KEY{generation}-{i}"),
    )
}

/// One row as the state file has it.
#[derive(Debug, Clone)]
pub struct StateRow {
    pub i: usize,
    pub state: String,
    pub data_flow_id: String,
    pub error_code: String,
    pub rotation: Option<i64>,
    pub rotation_keys: Option<String>,
}

/// The emulator, the manifest, the state file, and the seeded moments of the kills.
pub struct Bench {
    _dir: tempfile::TempDir,
    pub manifest: PathBuf,
    pub state: PathBuf,
    log: PathBuf,
    pub emu: Emulator,
    rng: rand::rngs::StdRng,
    pub rows: usize,
    /// `--settle` values a run draws from.
    settles: Vec<f64>,
    /// How long after a kill its calls in flight and their late effects have landed.
    pub landing: Duration,
}

impl Bench {
    pub fn new(rows: usize, seed: u64, config: EmulatorConfig, settles: &[f64]) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let config = EmulatorConfig {
            secret_id: API_ID.into(),
            secret_key: Secret::new(API_KEY),
            seed,
            ..config
        };
        // The checks read what the emulator holds, not its listings: the next run starts while
        // listings still lag behind the last one's flows.
        let landing = Duration::from_millis(300 + config.late_create_delay_ms + config.deleting_ms);
        Bench {
            manifest: dir.path().join("flows.csv"),
            state: dir.path().join("flows.csv.bulkflow.db"),
            log: dir.path().join("stderr.log"),
            _dir: dir,
            emu: Emulator::start(config).unwrap(),
            rng: rand::rngs::StdRng::seed_from_u64(seed ^ 0x0c4a_99ed),
            rows,
            settles: settles.to_vec(),
            landing,
        }
    }

    /// Writes the manifest: rows in `moved` with their moved source, keys of `generation`.
    pub fn write(&self, moved: &BTreeSet<usize>, generation: &str) {
        let mut s = String::from(
            "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n",
        );
        for i in 0..self.rows {
            let (id, key) = keys(generation, i);
            s.push_str(&format!(
                "{},S3_COS,https://src.cos.ap-guangzhou.myqcloud.com,{},{},{id},{key},flow_{i},ap-guangzhou\n",
                fs_id(i),
                source(i, moved.contains(&i)),
                dir(i),
            ));
        }
        std::fs::write(&self.manifest, s).unwrap();
    }

    fn spawn(&mut self, args: &[&str]) -> std::process::Child {
        let settle = self.settles[self.rng.random_range(0..self.settles.len())];
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg(&self.manifest)
            .args(["--endpoint", &self.emu.url(), "--rate", "60"])
            .args(["--concurrency", "16", "--request-timeout", "1"])
            .args(["--settle", &settle.to_string(), "--progress", "none"])
            .env_clear()
            .env("TENCENTCLOUD_SECRET_ID", API_ID)
            .env("TENCENTCLOUD_SECRET_KEY", API_KEY)
            .env("HOME", self.manifest.parent().unwrap())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&self.log).unwrap());
        cmd.spawn().unwrap()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs `args`, SIGKILLs it after a seeded moment in `kill_ms` unless it ended first (its
    /// exit code), and returns once what it left in flight has landed.
    pub fn cycle(&mut self, args: &[&str], kill_ms: (u64, u64)) -> Option<i32> {
        let wait = Duration::from_millis(self.rng.random_range(kill_ms.0..kill_ms.1));
        let mut child = self.spawn(args);
        let started = Instant::now();
        let mut code = None;
        while started.elapsed() < wait && code.is_none() {
            code = child.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
            std::thread::sleep(Duration::from_millis(2));
        }
        if code.is_none() {
            child.kill().unwrap();
        }
        child.wait().unwrap();
        std::thread::sleep(self.landing);
        code
    }

    /// Runs `args` to its end (within a minute); its exit code.
    pub fn finish(&mut self, args: &[&str]) -> i32 {
        let mut child = self.spawn(args);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{args:?} did not end in 60 s:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        std::thread::sleep(self.landing);
        status.code().unwrap_or(-1)
    }

    pub fn conn(&self) -> rusqlite::Connection {
        store::open(&self.state, false).unwrap()
    }

    /// The manifest's rows as the state file has them (none before the first run).
    pub fn state_rows(&self) -> Vec<StateRow> {
        if !self.state.exists() {
            return Vec::new();
        }
        let conn = self.conn();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "the state file is damaged");
        let mut stmt = conn
            .prepare(
                "SELECT line, state, COALESCE(data_flow_id, ''), COALESCE(error_code, ''), \
                 rotation, rotation_keys FROM flows WHERE in_manifest = 1 ORDER BY line",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(StateRow {
                    i: (r.get::<_, i64>(0)? - 2) as usize,
                    state: r.get(1)?,
                    data_flow_id: r.get(2)?,
                    error_code: r.get(3)?,
                    rotation: r.get(4)?,
                    rotation_keys: r.get(5)?,
                })
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows
    }

    /// The emulator's live flows (not being deleted) by row, asserting one per directory.
    pub fn live(&self) -> HashMap<usize, FlowRecord> {
        let mut out: HashMap<usize, FlowRecord> = HashMap::new();
        for f in self.emu.flow_records() {
            if f.info.status == "deleting" {
                continue;
            }
            let path = f.info.target_path.trim_end_matches('/');
            let i: usize = path
                .strip_prefix("/cfs/dir")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a flow no row names: {f:?}"));
            assert_eq!(f.info.file_system_id, fs_id(i), "{f:?}");
            if let Some(other) = out.insert(i, f.clone()) {
                panic!("row {i}'s directory holds two flows: {other:?} and {f:?}");
            }
        }
        out
    }
}

/// The manifest's rows `i` with `i % every == at`.
pub fn some_rows(rows: usize, every: usize, at: usize) -> BTreeSet<usize> {
    (0..rows).filter(|i| i % every == at).collect()
}

/// The emulator of these tests: every fault on, listings that lag `lag_ms`.
pub fn faulty(lag_ms: u64) -> EmulatorConfig {
    EmulatorConfig {
        rate: 0,
        latency_ms: (2, 60),
        internal_error: 0.05,
        lost_response: 0.05,
        late_create: 0.05,
        late_create_delay_ms: 150,
        listing_delay_ms: lag_ms,
        lost_listing: 0.05,
        deleting_ms: 200,
        ..EmulatorConfig::default()
    }
}
