//! Chaos over data tasks: `bulkflow task MANIFEST --type metaload --wait` killed with SIGKILL at
//! seeded random moments, with every fault on (lost and late answers to creates, lost listing
//! answers, tasks listed late, internal errors, throttling from another client's load, queues
//! that fill), and tasks that someone else started on the same flows. After every kill:
//! - no row has two tasks of one type and generation (two of bulkflow's tasks with one name);
//! - every recorded task id is a task of the service with the row's name;
//! - no foreign task was stopped, adopted or counted.
//!
//! At the end every row's task is `finished`, recorded with the service's id.
//!
//! The long version over 1,000 rows, which prints its figures:
//! `BULKFLOW_CHAOS_SEED=1 cargo test --release --test main chaos_tasks_long -- --ignored --nocapture`

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bulkflow::emulator::{self, Emulator, EmulatorConfig, NewTask};
use bulkflow::engine::{self, EventSink, Goal};
use bulkflow::store;
use rand::{RngExt, SeedableRng};
use tokio_util::sync::CancellationToken;

use super::super::common::{settings, write_manifest};
use super::wait_for;

struct Chaos {
    rows: usize,
    cycles: usize,
    seed: u64,
    last_run: Duration,
}

/// What a check found wrong.
#[derive(Debug, Default)]
struct TaskFindings {
    /// Task names the service holds more than one of bulkflow's tasks under.
    duplicates: HashSet<String>,
    /// Recorded ids that are not a task of the service with the row's name.
    wrong_ids: HashSet<String>,
    /// Foreign tasks stopped or recorded as a row's.
    foreign_touched: HashSet<String>,
    corrupt: usize,
}

fn task_cmd(
    url: &str,
    config: &EmulatorConfig,
    manifest: &Path,
    settle: f64,
    conc: usize,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulkflow"));
    cmd.arg("task")
        .arg(manifest)
        .args(["--type", "metaload", "--wait", "--wait-timeout", "15m"])
        .args(["--endpoint", url])
        .args(["--rate", "100", "--request-timeout", "1"])
        .args(["--concurrency", &conc.to_string()])
        .args(["--settle", &settle.to_string()])
        .args(["--progress", "none"])
        .env_clear()
        .env("TENCENTCLOUD_SECRET_ID", &config.secret_id)
        .env("TENCENTCLOUD_SECRET_KEY", config.secret_key.expose())
        .env("HOME", manifest.parent().unwrap_or(Path::new("/")))
        .env("BULKFLOW_PEERS_DIR", "")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Checks the state's recorded tasks against the emulator's.
fn inspect(state: &Path, emu: &Emulator) -> TaskFindings {
    let tasks = emu.tasks();
    let mut found = TaskFindings::default();
    let mut by_name: HashMap<&str, Vec<&emulator::TaskRecord>> = HashMap::new();
    for t in tasks.iter().filter(|t| !t.added_by_test) {
        by_name.entry(&t.task_name).or_default().push(t);
    }
    for (name, ts) in &by_name {
        if ts.len() > 1 {
            found.duplicates.insert((*name).to_owned());
        }
    }
    let foreign: HashMap<&str, &emulator::TaskRecord> = tasks
        .iter()
        .filter(|t| t.added_by_test)
        .map(|t| (t.task_id.as_str(), t))
        .collect();
    for t in foreign.values() {
        if t.stop_calls > 0 {
            found
                .foreign_touched
                .insert(format!("{} stopped", t.task_id));
        }
    }
    let conn = store::open(state, false).expect("open the state file");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    if ok != "ok" {
        found.corrupt += 1;
    }
    let mut stmt = conn
        .prepare("SELECT name, task_id FROM tasks WHERE task_id IS NOT NULL")
        .unwrap();
    let recorded = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    for row in recorded {
        let (name, id) = row.unwrap();
        if foreign.contains_key(id.as_str()) {
            found
                .foreign_touched
                .insert(format!("{id} recorded for {name}"));
        }
        let ok = by_name
            .get(name.as_str())
            .is_some_and(|ts| ts.iter().any(|t| t.task_id == id));
        if !ok {
            found.wrong_ids.insert(format!("{name}: {id}"));
        }
    }
    found
}

fn chaos(c: Chaos) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), c.rows, 10);
    let state = manifest.with_extension("csv.bulkflow.db");
    let config = EmulatorConfig {
        rate: 60,
        background_load: 20,
        latency_ms: (2, 60),
        internal_error: 0.05,
        lost_response: 0.05,
        late_create: 0.03,
        late_create_delay_ms: 150,
        listing_delay_ms: 1500,
        lost_listing: 0.1,
        available_after_ms: 0,
        task_slots: 2,
        task_queue: 3,
        task_mbps: 40.0,
        seed: c.seed,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    // The flows first, with every fault on too.
    let rt = tokio::runtime::Runtime::new().unwrap();
    loop {
        let mut s = settings(&emu, &config, &manifest, 50.0);
        s.goal = Goal::Create {
            update: false,
            rotate: false,
            wait: Some(Duration::from_secs(120)),
        };
        let end = rt
            .block_on(engine::run(s, EventSink::none(), CancellationToken::new()))
            .unwrap();
        if end.exit_code().code() == 0 {
            break;
        }
    }
    // Tasks someone else started, two per file system (their queues are short): never to be
    // touched.
    let mut per_file_system: std::collections::HashMap<String, usize> = Default::default();
    for f in emu.flows() {
        let n = per_file_system.entry(f.file_system_id.clone()).or_default();
        if *n == 2 {
            continue;
        }
        *n += 1;
        let mut t = NewTask::new(
            &f.file_system_id,
            emulator::TaskType::Metaload,
            "someone-elses-metaload",
            f.target_path.trim_end_matches('/'),
        );
        t.data_flow_id = Some(f.data_flow_id.clone());
        emu.add_task(t).unwrap();
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(c.seed);
    let mut kills = 0;
    for cycle in 0..c.cycles {
        let settle = [0.3, 0.5, 1.0, 2.0][rng.random_range(0..4)];
        let conc = [1, 4, 16, 64][rng.random_range(0..4)];
        let wait = Duration::from_millis(rng.random_range(100..3000));
        let child = task_cmd(&emu.url(), &config, &manifest, settle, conc)
            .spawn()
            .unwrap();
        let ended = wait_for(child, wait);
        if ended.code.is_none() {
            kills += 1;
        }
        let found = inspect(&state, &emu);
        eprintln!(
            "cycle {cycle}: settle {settle}, concurrency {conc}, {} after {wait:?}; {found:?}; {:?}",
            ended.code.map_or("killed".into(), |c| format!("exit {c}")),
            emu.task_counters()
        );
        assert!(
            found.duplicates.is_empty()
                && found.wrong_ids.is_empty()
                && found.foreign_touched.is_empty()
                && found.corrupt == 0,
            "cycle {cycle}: {found:#?}\n{}",
            ended.stderr
        );
    }
    // A run that ends by itself has started every row's task, or left a row whose attempts ran
    // out `unknown` for the next run (exit 4): at most three more runs end it.
    let mut ended = None;
    for _ in 0..3 {
        let child = task_cmd(&emu.url(), &config, &manifest, 0.5, 16)
            .spawn()
            .unwrap();
        let e = wait_for(child, c.last_run);
        let done = e.code != Some(4);
        ended = Some(e);
        if done {
            break;
        }
    }
    let ended = ended.expect("a last run");
    let found = inspect(&state, &emu);
    let counters = emu.task_counters();
    eprintln!(
        "seed {}: {} rows, {kills} kills in {} cycles; last run {:?} in {:?}; {found:?}; {counters:?}",
        c.seed, c.rows, c.cycles, ended.code, ended.took
    );
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert!(found.duplicates.is_empty() && found.wrong_ids.is_empty());
    assert!(found.foreign_touched.is_empty() && found.corrupt == 0);
    assert!(counters.queue_full > 0, "no queue filled: {counters:?}");
    assert!(emu.counters().lost_responses > 0, "no answer was lost");
    // Every row: one task of its own, finished, recorded with the service's id.
    let ours = emu.tasks().into_iter().filter(|t| !t.added_by_test).count();
    assert_eq!(ours, c.rows);
    let conn = store::open(&state, false).unwrap();
    let finished: i64 = conn
        .query_row(
            "SELECT count(*) FROM tasks WHERE state = 'created' AND status = 'finished'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(finished, c.rows as i64);
}

#[test]
fn chaos_tasks_ci() {
    chaos(Chaos {
        rows: 100,
        cycles: 3,
        seed: 21,
        last_run: Duration::from_secs(180),
    });
}

#[test]
#[ignore = "long: 30 kill-and-restart cycles of `task --wait` over 1,000 rows; run it --release"]
fn chaos_tasks_long() {
    let seed = std::env::var("BULKFLOW_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    chaos(Chaos {
        rows: 1000,
        cycles: 30,
        seed,
        last_run: Duration::from_secs(900),
    });
}
