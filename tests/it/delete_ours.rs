//! Issue 21, items 1 and 2, through the library against the emulator: `delete` removes only
//! what is the rows' own (never a recorded flow whose source the manifest no longer names, even
//! while listings lag), and only once it is there to remove (a create of unknown outcome is
//! waited for: a listing late enough for it to show).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bulkflow::api::Endpoint;
use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{self, EventSink, Goal, RunSummary};
use bulkflow::store::RowState;
use tokio_util::sync::CancellationToken;

use super::chaos::lossy::{LossyProxy, Rule};
use super::common::{settings, write_manifest};

const ROWS: usize = 20;
/// Rows whose source B moves.
const MOVED: usize = 5;

async fn run(emu: &Emulator, config: &EmulatorConfig, manifest: &Path, goal: Goal) -> RunSummary {
    let mut s = settings(emu, config, manifest, 0.0);
    s.state = manifest.with_file_name("flows.csv.bulkflow.db");
    s.goal = goal;
    engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap()
}

/// Manifest B: manifest A with the first [`MOVED`] rows' `SourcePath` changed.
fn moved(a: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(a).unwrap();
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        if (1..=MOVED).contains(&n) {
            let i = n - 1;
            out.push_str(&line.replace(&format!(",data/{i},"), &format!(",moved/{i},")));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let b = a.with_file_name("b.csv");
    std::fs::write(&b, out).unwrap();
    b
}

/// Live flows (not being deleted) by source path.
fn live_sources(emu: &Emulator) -> Vec<String> {
    let mut v: Vec<String> = emu
        .flows()
        .into_iter()
        .filter(|f| f.status != "deleting")
        .map(|f| f.source_path)
        .collect();
    v.sort();
    v
}

async fn delete_of_moved_sources(run_b_first: bool) {
    let dir = tempfile::tempdir().unwrap();
    let a = write_manifest(dir.path(), ROWS, 2);
    // Listings lag 30 s: no listing of this test shows a flow it made.
    let config = EmulatorConfig {
        rate: 0,
        listing_delay_ms: 30_000,
        seed: 21,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let s = run(&emu, &config, &a, Goal::default()).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    let b = moved(&a);
    if run_b_first {
        let s = run(&emu, &config, &b, Goal::default()).await;
        assert_eq!(s.counts[&RowState::Created], ROWS as u64, "{s:?}");
    }
    let d = run(&emu, &config, &b, Goal::Delete).await;
    assert_eq!(
        d.counts.get(&RowState::Deleted),
        Some(&((ROWS - MOVED) as u64)),
        "{d:?}"
    );
    assert_eq!(
        d.skipped.get("DataFlowNotOurs"),
        Some(&(MOVED as u64)),
        "{d:?}"
    );
    assert_eq!(d.exit_code().code(), 1, "{d:?}");
    let want: Vec<String> = (0..MOVED).map(|i| format!("data/{i}")).collect();
    assert_eq!(
        live_sources(&emu),
        want,
        "A's flows of the moved rows are left alone"
    );
    // They stay recorded as the flows they are.
    assert_eq!(d.counts.get(&RowState::Created), Some(&(MOVED as u64)));
    let again = run(&emu, &config, &b, Goal::Delete).await;
    assert_eq!(again.calls, 0, "{again:?}");
    assert_eq!(live_sources(&emu), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_leaves_a_drifted_rows_flow_alone_while_listings_lag() {
    delete_of_moved_sources(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_another_manifests_state_leaves_its_flows_alone_while_listings_lag() {
    delete_of_moved_sources(false).await;
}

/// A create run whose every CreateDataFlow acted and lost its answer, against an emulator
/// whose listings show a new flow only after 2.5 s: with one attempt each, its rows are left
/// `unknown` (their listing, a settle time after the loss, cannot show them yet). Returns the
/// emulator, its configuration, the manifest and the state file.
async fn unknown_rows(dir: &Path) -> (Emulator, EmulatorConfig, PathBuf, PathBuf) {
    let manifest = write_manifest(dir, 10, 2);
    let config = EmulatorConfig {
        rate: 0,
        listing_delay_ms: 2500,
        deleting_ms: 200,
        seed: 21,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let rule: Rule = Arc::new(|action, _| action == "CreateDataFlow");
    let proxy = LossyProxy::start(emu.addr(), rule);
    let mut s = settings(&emu, &config, &manifest, 0.0);
    s.endpoint = Endpoint::parse(&proxy.url()).unwrap();
    s.pacing.max_attempts = 1;
    let state = s.state.clone();
    let created = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&created, RowState::Unknown), 10, "{created:?}");
    assert_eq!(created.exit_code().code(), 4);
    assert_eq!(emu.flows().len(), 10, "every create acted");
    (emu, config, manifest, state)
}

fn count(s: &RunSummary, state: RowState) -> u64 {
    s.counts.get(&state).copied().unwrap_or(0)
}

/// A delete right after waits until the creates can show (their latest end plus `--settle`),
/// then deletes what shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_right_after_unknown_creates_waits_for_them_and_deletes_them() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, config, manifest, state) = unknown_rows(dir.path()).await;
    let mut s = settings(&emu, &config, &manifest, 0.0);
    s.goal = Goal::Delete;
    s.state = state;
    // Longer than the listings lag.
    s.pacing.settle = Duration::from_secs(3);
    let d = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&d, RowState::Deleted), 10, "{d:?}");
    assert_eq!(d.exit_code().code(), 0, "{d:?}");
    assert_eq!(d.calls, 10, "the flows were deleted by calls: {d:?}");
    assert_eq!(live_sources(&emu), Vec::<String>::new());
}

/// Interrupted before its rows' creates can show, a delete leaves them `unknown` (exit 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_stopped_before_unknown_creates_can_show_leaves_them_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, config, manifest, state) = unknown_rows(dir.path()).await;
    let mut s = settings(&emu, &config, &manifest, 0.0);
    s.goal = Goal::Delete;
    s.state = state;
    s.pacing.settle = Duration::from_secs(3);
    s.max_runtime = Some(Duration::from_millis(300));
    let d = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&d, RowState::Unknown), 10, "{d:?}");
    assert_eq!(count(&d, RowState::Deleted), 0, "{d:?}");
    assert_eq!(d.exit_code().code(), 4, "{d:?}");
    assert_eq!(emu.flows().len(), 10);
}
