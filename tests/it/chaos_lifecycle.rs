//! Chaos over the flows' whole life: the real binary against the emulator with every fault on
//! (latency, internal errors, lost answers, late answers, lost listings, a listing delay,
//! another client's load, throttling), killed with SIGKILL at seeded moments in the middle of three phases and
//! started again each time:
//!
//! 1. `run M --wait`: create every row's flow and wait until it is `available`;
//! 2. `run M --rotate-keys`, after the manifest's keys changed: one rotation, resumed after
//!    every kill;
//! 3. `delete M --yes`.
//!
//! The emulator starts with flows of its own (read from a `--preexisting` file): flows that no
//! row names (on the manifest's file systems and on another one), flows with another source at
//! some rows' directories (those rows fail with `DataFlowConflict`), and flows with the row's
//! source at others (adopted). After every kill, once the calls in flight have landed:
//! - the state file passes `PRAGMA integrity_check`;
//! - no directory holds two flows, and every flow is either one the emulator started with or a
//!   row's, at the row's directory, with the row's source;
//! - no flow that no row owns was modified or deleted;
//! - a `created` row names the one flow at its directory, which has its source;
//! - no row is `deleted` whose flow still exists (other than `deleting`): counted after each
//!   kill and asserted at the end, so that a long run still prints its figures;
//! - only the rows with another source's flow at their directory fail;
//! - a row recorded as rotated by the current rotation has its flow holding the manifest's key.
//!
//! At the end of each phase its goal is reached (every row `created` and `available`; every
//! row's flow holding the manifest's SecretId, the rotation recorded finished; every row
//! `deleted` and only the flows no row owns left), and the ModifyDataFlow calls that acted per
//! flow are counted: the excess over one per row must be explained by lost or late answers and
//! by rows whose rotation landed but was not yet recorded at a kill, never by a second pass.
//!
//! The CI version kills each phase a few times over 80 rows (one page of DescribeDataFlow per
//! file system). The long one (release), 50 kill cycles over 1,000 rows across the three phases
//! (three pages per file system):
//! `BULKFLOW_CHAOS_SEED=1 cargo test --release --test main chaos_lifecycle_long -- --ignored --nocapture`
//!
//! Engine bugs it found, each pinned by a deterministic test of its own:
//! `wait_right_after_create_waits_out_the_listing_delay` (below) and
//! `paging_shift::a_recorded_flow_skipped_by_a_shrinking_listing_is_still_deleted` (the long run
//! recorded 20-33 rows `deleted` whose flow was never deleted), both fixed in 13fdcf3; and
//! `paging_shift::an_unrecorded_flow_skipped_by_a_shrinking_listing_is_not_taken_for_deleted`,
//! ignored until fixed.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulkflow::emulator::{self, Counters, Emulator, EmulatorConfig, FlowRecord};
use bulkflow::secret::Secret;
use bulkflow::store;
use rand::{RngExt, SeedableRng};

use super::bin_helpers::{API_ID, API_KEY, BIN};

/// File systems the manifest's rows are spread over.
const FILE_SYSTEMS: usize = 5;
/// A file system no row names; the emulator holds flows there too.
const OTHER_FS: &str = "cfs-0000ffff";
/// Flows no row names, per file system (the manifest's ones and [`OTHER_FS`]).
const UNOWNED_PER_FS: usize = 3;
/// Concurrency of every run: bounds the calls a kill can leave in flight.
const CONCURRENCY: usize = 48;
/// How long after a kill the calls it left in flight (latency, late answers) have landed.
const LANDING: Duration = Duration::from_millis(300);

fn fs_id(fs: usize) -> String {
    format!("cfs-{fs:08x}")
}

fn address(fs: usize) -> String {
    format!("https://src-{fs}.cos.ap-guangzhou.myqcloud.com")
}

fn dir(i: usize) -> String {
    format!("/cfs/dir{i:05}")
}

/// The SecretId of row `i` in the manifest of generation `generation`.
fn key_id(generation: &str, i: usize) -> String {
    format!("AKID{generation}{i}")
}

/// What is at row `i`'s directory before the first call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    Nothing,
    /// A flow with the row's source: adopted.
    Ours,
    /// A flow with another source: the row fails, and the flow is never touched.
    OtherSource,
}

fn before(i: usize) -> Before {
    if i % 13 == 5 {
        Before::OtherSource
    } else if i % 9 == 2 {
        Before::Ours
    } else {
        Before::Nothing
    }
}

/// Writes the manifest of `rows` rows with the keys of `generation`.
fn write_manifest(path: &Path, rows: usize, generation: &str) {
    let mut s = String::from(
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n",
    );
    for i in 0..rows {
        let fs = i % FILE_SYSTEMS;
        s.push_str(&format!(
            "{},S3_COS,{},data/{i},{},{},KEY{generation}-{i},flow_{i},ap-guangzhou\n",
            fs_id(fs),
            address(fs),
            dir(i),
            key_id(generation, i),
        ));
    }
    std::fs::write(path, s).unwrap();
}

/// Writes the emulator's `--preexisting` file; returns the flows no row owns, by id, with
/// their SecretId.
fn write_preexisting(path: &Path, rows: usize) -> BTreeMap<String, String> {
    let mut unowned = BTreeMap::new();
    let mut s = String::from(
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,DataFlowName,DataFlowId,Status\n",
    );
    for i in 0..rows {
        let fs = i % FILE_SYSTEMS;
        let (source_path, id) = match before(i) {
            Before::Nothing => continue,
            Before::Ours => (format!("data/{i}"), format!("cfs-dataflow-ours{i}")),
            Before::OtherSource => (format!("other/{i}"), format!("cfs-dataflow-other{i}")),
        };
        let status = if i % 2 == 0 { "pending" } else { "available" };
        let secret = format!("AKIDbefore{i}");
        s.push_str(&format!(
            "{},S3_COS,{},{source_path},{},{secret},pre_{i},{id},{status}\n",
            fs_id(fs),
            address(fs),
            dir(i),
        ));
        if before(i) == Before::OtherSource {
            unowned.insert(id, secret);
        }
    }
    let file_systems = (0..FILE_SYSTEMS)
        .map(|fs| (fs_id(fs), address(fs)))
        .chain([(OTHER_FS.to_owned(), address(99))]);
    for (k, (fs, addr)) in file_systems.enumerate() {
        for j in 0..UNOWNED_PER_FS {
            // The row's address, a path no row has; one directory near the rows' own.
            let (id, secret) = (
                format!("cfs-dataflow-free{k}x{j}"),
                format!("AKIDfree{k}{j}"),
            );
            s.push_str(&format!(
                "{fs},S3_COS,{addr},data/free{j},/cfs/dir{k:02}free{j},{secret},free_{k}_{j},{id},available\n"
            ));
            unowned.insert(id, secret);
        }
    }
    std::fs::write(path, s).unwrap();
    unowned
}

/// One row as the state file has it.
#[derive(Debug, Clone)]
struct StateRow {
    i: usize,
    state: String,
    data_flow_id: String,
    error_code: String,
    flow_status: String,
    rotation: Option<i64>,
}

/// The phase a check runs in: what may be true of the rows then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Create,
    Rotate,
    Delete,
}

/// What one check saw, for the figures.
#[derive(Debug, Default)]
struct Seen {
    states: BTreeMap<String, usize>,
    /// Rows recorded as rotated by the latest rotation.
    rotated: usize,
    /// Rows whose flow holds the new key while the state file does not record it rotated: each
    /// is sent once more by the next run.
    landed_unrecorded: usize,
}

impl Seen {
    fn summary(&self) -> String {
        let states: Vec<String> = self
            .states
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{}; rotated {}, landed unrecorded {}",
            states.join(", "),
            self.rotated,
            self.landed_unrecorded
        )
    }
}

/// Figures of one phase.
#[derive(Debug, Default)]
struct Figures {
    cycles: usize,
    kills: usize,
    elapsed: Duration,
    calls: Counters,
}

struct Chaos {
    _dir: tempfile::TempDir,
    manifest: PathBuf,
    state: PathBuf,
    log: PathBuf,
    emu: Emulator,
    rng: rand::rngs::StdRng,
    rows: usize,
    rate: u32,
    /// The manifest's keys.
    generation: &'static str,
    unowned: BTreeMap<String, String>,
    /// How long a run to completion may take.
    limit: Duration,
    /// Rows recorded `deleted` while their flow exists (and is not being deleted).
    falsely_deleted: std::cell::RefCell<std::collections::BTreeSet<usize>>,
}

impl Chaos {
    fn new(rows: usize, seed: u64, rate: u32, config: EmulatorConfig, limit: Duration) -> Chaos {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("flows.csv");
        write_manifest(&manifest, rows, "src");
        let pre = dir.path().join("preexisting.csv");
        let unowned = write_preexisting(&pre, rows);
        let config = EmulatorConfig {
            secret_id: API_ID.into(),
            secret_key: Secret::new(API_KEY),
            seed,
            // What `bulkflow emulator --preexisting FILE` reads.
            preexisting: emulator::preexisting::load(&pre).unwrap(),
            ..config
        };
        let emu = Emulator::start(config.clone()).unwrap();
        Chaos {
            state: dir.path().join("flows.csv.bulkflow.db"),
            log: dir.path().join("stderr.log"),
            _dir: dir,
            manifest,
            emu,
            rng: rand::rngs::StdRng::seed_from_u64(seed ^ 0x5eed_c1a0),
            rows,
            rate,
            generation: "src",
            unowned,
            limit,
            falsely_deleted: Default::default(),
        }
    }

    fn spawn(&self, args: &[&str]) -> Child {
        let home = self.manifest.parent().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg(&self.manifest)
            .args([
                "--endpoint",
                &self.emu.url(),
                "--rate",
                &self.rate.to_string(),
            ])
            .args(["--concurrency", &CONCURRENCY.to_string()])
            .args(["--request-timeout", "1", "--settle", "0.5"])
            .args(["--progress", "none"])
            .env_clear()
            .env("TENCENTCLOUD_SECRET_ID", API_ID)
            .env("TENCENTCLOUD_SECRET_KEY", API_KEY)
            .env("HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&self.log).unwrap());
        cmd.spawn().unwrap()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs `args` and SIGKILLs it after a seeded moment in `kill_ms`, unless it ended first
    /// (its exit code), and the moment. Returns once the calls it left in flight have landed.
    fn cycle(&mut self, args: &[&str], kill_ms: (u64, u64)) -> (Option<i32>, Duration) {
        let wait = Duration::from_millis(self.rng.random_range(kill_ms.0..kill_ms.1));
        let mut child = self.spawn(args);
        let started = Instant::now();
        let mut code = None;
        while started.elapsed() < wait {
            if let Some(status) = child.try_wait().unwrap() {
                code = Some(status.code().unwrap_or(-1));
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if code.is_none() {
            child.kill().unwrap(); // SIGKILL
        }
        child.wait().unwrap();
        std::thread::sleep(LANDING);
        (code, wait)
    }

    /// Runs `args` to its end; its exit code.
    fn finish(&self, args: &[&str]) -> i32 {
        let mut child = self.spawn(args);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > self.limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{args:?} did not end in {:?}:\n{}",
                    self.limit,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        std::thread::sleep(LANDING);
        status.code().unwrap_or(-1)
    }

    fn conn(&self) -> rusqlite::Connection {
        store::open(&self.state, false).unwrap()
    }

    fn state_rows(&self) -> Vec<StateRow> {
        let conn = self.conn();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "the state file is damaged");
        let mut stmt = conn
            .prepare(
                "SELECT line, state, COALESCE(data_flow_id, ''), COALESCE(error_code, ''), \
                 COALESCE(flow_status, ''), rotation FROM flows WHERE in_manifest = 1 ORDER BY line",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(StateRow {
                    i: (r.get::<_, i64>(0)? - 2) as usize,
                    state: r.get(1)?,
                    data_flow_id: r.get(2)?,
                    error_code: r.get(3)?,
                    flow_status: r.get(4)?,
                    rotation: r.get(5)?,
                })
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows
    }

    /// The rows neither created nor failed, and their attempts, for messages.
    fn unsettled(&self) -> String {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT f.line, f.state, COALESCE(f.error_code, ''), COALESCE(f.error_message, ''), \
                 f.attempts, COALESCE(f.data_flow_id, ''), \
                 (SELECT group_concat(a.run_id || ':' || a.attempt || ':' || COALESCE(a.outcome, '-') \
                  || ':' || COALESCE(a.error_code, ''), ' ') FROM attempts a WHERE a.flow_id = f.id) \
                 FROM flows f WHERE f.state NOT IN ('created', 'failed', 'deleted') ORDER BY f.line",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(format!(
                    "line {} {} {} {:?} attempts {} id {:?} calls [{}]",
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                ))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("\n")
    }

    /// The latest rotation: its id and whether it finished.
    fn rotation(&self) -> Option<(i64, bool)> {
        if !self.state.exists() {
            return None;
        }
        use rusqlite::OptionalExtension;
        self.conn()
            .query_row(
                "SELECT id, finished_at_ms IS NOT NULL FROM rotations ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .unwrap()
    }

    /// The emulator's flows by directory.
    fn by_dir(&self) -> HashMap<(String, String), Vec<FlowRecord>> {
        let mut by_dir: HashMap<(String, String), Vec<FlowRecord>> = HashMap::new();
        for f in self.emu.flow_records() {
            let key = (
                f.info.file_system_id.clone(),
                f.info.target_path.trim_end_matches('/').to_owned(),
            );
            by_dir.entry(key).or_default().push(f);
        }
        by_dir
    }

    /// Every invariant; what was seen.
    #[track_caller]
    fn check(&self, phase: Phase) -> Seen {
        let by_dir = self.by_dir();
        let ctx = || format!("{phase:?}; the last run's stderr:\n{}", self.stderr());
        // No directory holds two flows; every flow is one the emulator started with, or a
        // row's flow at its directory with its source.
        for ((fs, path), flows) in &by_dir {
            assert_eq!(flows.len(), 1, "{fs} {path} holds {flows:?}; {}", ctx());
            let f = &flows[0];
            if self.unowned.contains_key(&f.info.data_flow_id) {
                continue;
            }
            let i: usize = path
                .strip_prefix("/cfs/dir")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a flow nobody asked for: {f:?}; {}", ctx()));
            assert!(i < self.rows, "a flow at no row's directory: {f:?}");
            assert_eq!(
                (fs.as_str(), f.info.source_path.as_str()),
                (
                    fs_id(i % FILE_SYSTEMS).as_str(),
                    format!("data/{i}").as_str()
                ),
                "a flow with a source no row has: {f:?}"
            );
        }
        // The flows no row owns are there, untouched.
        let records: HashMap<String, FlowRecord> = self
            .emu
            .flow_records()
            .into_iter()
            .map(|f| (f.info.data_flow_id.clone(), f))
            .collect();
        for (id, secret) in &self.unowned {
            let f = records
                .get(id)
                .unwrap_or_else(|| panic!("{id}, no row's, was deleted; {}", ctx()));
            assert_ne!(
                f.info.status, "deleting",
                "{id}, no row's, is being deleted"
            );
            assert_eq!(f.modifications, 0, "{id}, no row's, was modified");
            assert_eq!(f.secret_id.expose(), secret, "{id}, no row's, got new keys");
        }
        let mut seen = Seen::default();
        if !self.state.exists() {
            return seen;
        }
        let rotation = self.rotation().map(|(id, _)| id);
        for r in self.state_rows() {
            *seen.states.entry(r.state.clone()).or_default() += 1;
            let i = r.i;
            let held = by_dir.get(&(fs_id(i % FILE_SYSTEMS), dir(i)));
            let ours = held
                .and_then(|v| v.first())
                .filter(|f| f.info.source_path == format!("data/{i}"));
            match r.state.as_str() {
                "created" => {
                    let f = ours.unwrap_or_else(|| {
                        panic!(
                            "row {i} is created, its directory holds {held:?}; {}",
                            ctx()
                        )
                    });
                    assert_eq!(
                        f.info.data_flow_id, r.data_flow_id,
                        "row {i} names a wrong id"
                    );
                }
                "deleted" => {
                    // Counted, not asserted here, so that a long run still gives its figures:
                    // see `paging_shift`, and the end of `chaos_lifecycle`.
                    if let Some(f) = ours.filter(|f| f.info.status != "deleting") {
                        if self.falsely_deleted.borrow_mut().insert(i) {
                            eprintln!("row {i} is deleted, its flow is not: {f:?}");
                        }
                    }
                }
                "failed" => {
                    let want = match phase {
                        Phase::Delete => ["DataFlowConflict", "DataFlowNotOurs"].as_slice(),
                        _ => ["DataFlowConflict"].as_slice(),
                    };
                    assert!(
                        before(i) == Before::OtherSource && want.contains(&r.error_code.as_str()),
                        "row {i} failed: {r:?}; {}",
                        ctx()
                    );
                }
                _ => {}
            }
            // A flow listed late is not missing (see
            // `wait_right_after_create_waits_out_the_listing_delay`).
            assert!(
                !(r.state == "pending" && r.error_code == "DataFlowMissing" && ours.is_some()),
                "row {i} is recorded missing, its flow exists: {r:?}; {}",
                ctx()
            );
            if before(i) == Before::OtherSource {
                assert!(
                    matches!(r.state.as_str(), "pending" | "failed"),
                    "row {i}, with another source's flow at its directory: {r:?}"
                );
            }
            if let (Phase::Rotate, Some(f)) = (phase, ours) {
                let has_key = f.secret_id.expose() == key_id(self.generation, i);
                if rotation.is_some() && r.rotation == rotation {
                    seen.rotated += 1;
                    assert!(
                        has_key,
                        "row {i} is recorded rotated, its flow is not: {f:?}"
                    );
                } else if has_key {
                    seen.landed_unrecorded += 1;
                }
            }
        }
        seen
    }

    /// Kill cycles of one phase, then a run to its end (for a rotation, unless it finished
    /// already: another run would start a new one); the figures, the exit code of the run that
    /// ended the phase, and the rows found landed but unrecorded after the kills.
    fn phase(
        &mut self,
        phase: Phase,
        args: &[&str],
        kills: usize,
        kill_ms: (u64, u64),
    ) -> (Figures, i32, usize) {
        let before = self.emu.counters();
        let started = Instant::now();
        let mut fig = Figures::default();
        let mut code = None;
        let mut landed_unrecorded = 0;
        for cycle in 0..kills {
            if phase == Phase::Rotate && matches!(self.rotation(), Some((_, true))) {
                // A finished rotation is not resumed: another run would start a new one.
                break;
            }
            fig.cycles += 1;
            let (ended, wait) = self.cycle(args, kill_ms);
            if ended.is_none() {
                fig.kills += 1;
            }
            code = ended;
            let seen = self.check(phase);
            landed_unrecorded += seen.landed_unrecorded;
            eprintln!(
                "{phase:?} cycle {cycle}: {}; {}",
                ended.map_or(format!("killed after {wait:?}"), |c| format!(
                    "ended with {c}"
                )),
                seen.summary()
            );
        }
        let done = phase == Phase::Rotate && matches!(self.rotation(), Some((_, true)));
        let code = match (done, code) {
            (true, Some(code)) => code,
            // Killed after the rotation was recorded finished: a plain run tells how it ended.
            (true, None) => self.finish(&["run"]),
            (false, _) => self.finish(args),
        };
        let seen = self.check(phase);
        eprintln!("{phase:?} end: exit {code}; {}", seen.summary());
        fig.elapsed = started.elapsed();
        fig.calls = minus(self.emu.counters(), before);
        (fig, code, landed_unrecorded)
    }
}

fn minus(a: Counters, b: Counters) -> Counters {
    Counters {
        create_calls: a.create_calls - b.create_calls,
        describe_calls: a.describe_calls - b.describe_calls,
        delete_calls: a.delete_calls - b.delete_calls,
        modify_calls: a.modify_calls - b.modify_calls,
        throttled: a.throttled - b.throttled,
        created: a.created - b.created,
        deleted: a.deleted - b.deleted,
        modified: a.modified - b.modified,
        lost_responses: a.lost_responses - b.lost_responses,
        late_creates: a.late_creates - b.late_creates,
        lost_listings: a.lost_listings - b.lost_listings,
        internal_errors: a.internal_errors - b.internal_errors,
        auth_failures: a.auth_failures - b.auth_failures,
        rejected: a.rejected - b.rejected,
    }
}

/// The sizes of one chaos run.
struct Plan {
    rows: usize,
    /// Kill cycles of the create, rotate and delete phases.
    kills: [usize; 3],
    /// Each kill comes after a seeded moment in this range (ms).
    kill_ms: (u64, u64),
    /// The runner's `--rate`; the emulator allows `emulator_rate` per action, `background` of
    /// which another client uses, so that calls are throttled.
    rate: u32,
    emulator_rate: u32,
    background: u32,
    seed: u64,
    available_after_ms: u64,
    deleting_ms: u64,
    limit: Duration,
}

fn chaos_lifecycle(plan: Plan) {
    let rate = plan.rate;
    let config = EmulatorConfig {
        rate: plan.emulator_rate,
        background_load: plan.background,
        latency_ms: (2, 80),
        internal_error: 0.05,
        lost_response: 0.05,
        late_create: 0.03,
        late_create_delay_ms: 150,
        lost_listing: 0.05,
        listing_delay_ms: 300,
        available_after_ms: plan.available_after_ms,
        deleting_ms: plan.deleting_ms,
        ..EmulatorConfig::default()
    };
    let mut h = Chaos::new(plan.rows, plan.seed, rate, config, plan.limit);
    let rows = plan.rows;
    let conflicts = (0..rows)
        .filter(|&i| before(i) == Before::OtherSource)
        .count();
    let adopted = (0..rows).filter(|&i| before(i) == Before::Ours).count();
    let owned = rows - conflicts;

    // 1. Create and wait.
    let (create, code, _) = h.phase(
        Phase::Create,
        &["run", "--wait"],
        plan.kills[0],
        plan.kill_ms,
    );
    assert_eq!(
        code,
        1,
        "the conflicts fail; {}\n{}",
        h.stderr(),
        h.unsettled()
    );
    for r in h.state_rows() {
        if before(r.i) == Before::OtherSource {
            assert_eq!(
                (r.state.as_str(), r.error_code.as_str()),
                ("failed", "DataFlowConflict")
            );
        } else {
            assert_eq!(
                (r.state.as_str(), r.flow_status.as_str()),
                ("created", "available"),
                "{r:?}"
            );
        }
    }
    // Every row's flow but the conflicts', and the flows no row owns (the conflicts' among them).
    assert_eq!(h.emu.flows().len(), owned + h.unowned.len());
    assert_eq!(
        create.calls.created as usize,
        owned - adopted,
        "{:?}",
        create.calls
    );

    // 2. Rotate to the manifest's new keys.
    write_manifest(&h.manifest, rows, "rot");
    h.generation = "rot";
    let (rotate, code, landed_unrecorded) = h.phase(
        Phase::Rotate,
        &["run", "--rotate-keys"],
        plan.kills[1],
        plan.kill_ms,
    );
    assert_eq!(code, 1, "the conflicts stay failed; {}", h.stderr());
    let (rotation, finished) = h.rotation().expect("a rotation");
    assert!(finished, "the rotation is recorded finished");
    let mut per_flow: BTreeMap<u32, usize> = BTreeMap::new();
    let by_dir = h.by_dir();
    for r in h.state_rows() {
        if before(r.i) == Before::OtherSource {
            continue;
        }
        assert_eq!(r.rotation, Some(rotation), "row {} not rotated: {r:?}", r.i);
        let f = &by_dir[&(fs_id(r.i % FILE_SYSTEMS), dir(r.i))][0];
        assert_eq!(f.secret_id.expose(), key_id("rot", r.i), "{f:?}");
        assert!(f.key_rotations >= 1);
        *per_flow.entry(f.key_rotations).or_default() += 1;
    }
    let acted: usize = per_flow.iter().map(|(&n, &c)| n as usize * c).sum();
    let excess = acted - owned;
    let c = rotate.calls;
    let explained = (c.lost_responses + c.late_creates) as usize + landed_unrecorded;
    eprintln!(
        "rotation: {owned} flows, ModifyDataFlow received {}, acted {acted} (per flow: {per_flow:?}); \
         excess {excess}; explained by lost {} + late {} answers and {landed_unrecorded} rows \
         landed but unrecorded at a kill",
        c.modify_calls, c.lost_responses, c.late_creates
    );
    assert!(
        excess <= explained,
        "{excess} extra rotations, only {explained} explained: rows rotated twice"
    );
    let again: usize = per_flow.range(2..).map(|(_, &c)| c).sum();
    assert!(
        again * 2 < owned,
        "a second pass: {again} of {owned} flows rotated more than once"
    );

    // 3. Delete.
    let (delete, code, _) = h.phase(
        Phase::Delete,
        &["delete", "--yes"],
        plan.kills[2],
        plan.kill_ms,
    );
    assert_eq!(
        code,
        1,
        "the other sources' flows are not ours; {}",
        h.stderr()
    );
    for r in h.state_rows() {
        if before(r.i) == Before::OtherSource {
            assert_eq!(
                (r.state.as_str(), r.error_code.as_str()),
                ("failed", "DataFlowNotOurs")
            );
        } else {
            assert_eq!(r.state, "deleted", "{r:?}");
        }
    }
    // Wait for the deleted flows to disappear, unless they take long.
    let gone = plan.deleting_ms <= 5000;
    if gone {
        std::thread::sleep(Duration::from_millis(plan.deleting_ms + 100));
    }
    h.check(Phase::Delete);

    let phases = [
        ("create+wait", &create),
        ("rotate", &rotate),
        ("delete", &delete),
    ];
    for (name, f) in phases {
        eprintln!(
            "{name}: {} kills in {} cycles, {:.1?}; emulator: {:?}",
            f.kills, f.cycles, f.elapsed, f.calls
        );
    }
    let kills: usize = phases.iter().map(|(_, f)| f.kills).sum();
    eprintln!(
        "seed {}: {rows} rows ({adopted} adopted, {conflicts} with another source's flow, {} \
         flows no row owns), {kills} kills; rotation excess {excess} of {owned}; rows falsely \
         deleted {}",
        plan.seed,
        h.unowned.len() - conflicts,
        h.falsely_deleted.borrow().len()
    );
    let falsely_deleted = h.falsely_deleted.borrow().clone();
    assert!(
        falsely_deleted.is_empty(),
        "rows recorded deleted whose flow was never deleted (see paging_shift): \
         {falsely_deleted:?}"
    );
    let mut left: Vec<String> = h
        .emu
        .flows()
        .into_iter()
        .filter(|f| f.status != "deleting")
        .map(|f| f.data_flow_id)
        .collect();
    left.sort();
    let unowned: Vec<String> = h.unowned.keys().cloned().collect();
    assert_eq!(left, unowned, "only the flows no row owns are left");
    if gone {
        assert_eq!(
            h.emu.flows().len(),
            unowned.len(),
            "the deleted flows are gone"
        );
    }
    for (name, f) in phases {
        assert!(f.kills >= 1, "no kill landed in the {name} phase");
    }
    // Lost listings are rarer (a few dozen listings in CI): reported above, not required.
    let c = h.emu.counters();
    assert!(
        c.lost_responses > 0 && c.late_creates > 0 && c.throttled > 0 && c.internal_errors > 0,
        "the faults did not fire: {c:?}"
    );
}

#[test]
fn chaos_lifecycle_ci() {
    chaos_lifecycle(Plan {
        rows: 80,
        kills: [3, 3, 3],
        kill_ms: (80, 600),
        rate: 150,
        emulator_rate: 60,
        background: 20,
        seed: 7,
        available_after_ms: 250,
        deleting_ms: 400,
        limit: Duration::from_secs(60),
    });
}

#[test]
#[ignore = "long: 50 kill cycles over 1,000 rows across create+wait, rotate and delete; run it \
            --release"]
fn chaos_lifecycle_long() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let seed = var("BULKFLOW_CHAOS_SEED", 1);
    // How long a deleted flow lists as `deleting`; 600000 keeps every flow listed (no page of a
    // listing shifts), to tell the paging bug from other causes.
    let deleting_ms = var("BULKFLOW_CHAOS_DELETING_MS", 2000);
    chaos_lifecycle(Plan {
        rows: 1000,
        kills: [17, 17, 16],
        kill_ms: (200, 4000),
        rate: 30,
        emulator_rate: 24,
        background: 5,
        seed,
        available_after_ms: 3000,
        deleting_ms,
        limit: Duration::from_secs(900),
    });
}

/// `run --wait` right after a create: the service lists a new flow only a moment after creating
/// it, so the wait's first listing may not show it yet. Waiting must look again (as a create's
/// resolution does, after `--settle`), not declare the flow gone.
///
/// Found by `chaos_lifecycle_ci` (seed 7, whenever the run to completion of the create phase
/// still had rows to create): the wait finished a row as missing the first time a listing showed
/// nothing at its directory, so the row was recorded `pending` with `DataFlowMissing` while its
/// flow existed, and `run --wait` exited 4. Fixed in 13fdcf3 (missing only after the row's own
/// six looks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_right_after_create_waits_out_the_listing_delay() {
    use bulkflow::engine::{self, EventSink, Goal};
    use bulkflow::store::RowState;
    use tokio_util::sync::CancellationToken;

    let dir = tempfile::tempdir().unwrap();
    let manifest = super::common::write_manifest(dir.path(), 6, 2);
    let config = EmulatorConfig {
        rate: 0,
        listing_delay_ms: 1500,
        available_after_ms: 200,
        seed: 7,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let mut s = super::common::settings(&emu, &config, &manifest, 100.0);
    s.goal = Goal::Create {
        update: false,
        rotate: false,
        wait: Some(Duration::from_secs(30)),
    };
    let state = s.state.clone();
    let sum = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    let conn = store::open(&state, false).unwrap();
    let missing: i64 = conn
        .query_row(
            "SELECT count(*) FROM flows WHERE error_code = 'DataFlowMissing'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(emu.flows().len(), 6, "every row's flow exists");
    assert_eq!(missing, 0, "rows recorded DataFlowMissing: {sum:?}");
    assert_eq!(sum.counts.get(&RowState::Created), Some(&6), "{sum:?}");
    assert_eq!(sum.exit_code().code(), 0, "{sum:?}");
}
