//! Benchmarks of data tasks (issue 18), against the in-process emulator; each prints its
//! figures. Timing belongs here, not in the tests: all are ignored, and run with
//! `cargo test --release --test main bench_tasks -- --ignored --nocapture --test-threads 1`
//! (or `bash bench/tasks.sh`).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bulkflow::api::tasks::TaskType;
use bulkflow::emulator::{self, Emulator, EmulatorConfig};
use bulkflow::engine::{self, Event, EventSink, Goal, RunSettings, RunSummary, TaskAction};
use tokio_util::sync::CancellationToken;

use super::common::{settings, write_manifest};

async fn run(s: RunSettings) -> RunSummary {
    engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .expect("the run")
}

/// The flows of the manifest, existing and available before the first call.
fn preexisting(manifest: &Path) -> Vec<emulator::PreexistingFlow> {
    emulator::preexisting::load(manifest).expect("the manifest as preexisting flows")
}

fn start(kind: TaskType, wait: Option<Duration>) -> Goal {
    Goal::Task {
        action: TaskAction::Start {
            kind,
            overwrite: false,
            again: false,
        },
        wait,
    }
}

fn pass(s: &RunSummary, name: &str) -> (f64, u64) {
    let p = s
        .passes
        .iter()
        .find(|p| p.pass.name() == name)
        .unwrap_or_else(|| panic!("no pass {name}: {:?}", s.passes));
    (p.elapsed.as_secs_f64(), p.counts.calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: 1,000 metaload tasks started at a strict 20/s"]
async fn bench_tasks_start_1000() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 1000, 10);
    let config = EmulatorConfig {
        rate: 20,
        latency_ms: (50, 150),
        preexisting: preexisting(&manifest),
        task_queue: 1000,
        seed: 1,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let mut s = settings(&emu, &config, &manifest, 20.0);
    s.pacing.request_timeout = Duration::from_secs(30);
    s.pacing.settle = Duration::from_secs(5);
    s.pacing.concurrency = 40;
    let base = s;
    let adopt = run(clone(&base)).await;
    assert_eq!(adopt.exit_code().code(), 0);
    let wall = Instant::now();
    let mut s = clone(&base);
    s.goal = start(TaskType::Metaload, None);
    let end = run(s).await;
    let wall = wall.elapsed().as_secs_f64();
    assert_eq!(end.exit_code().code(), 0, "{end:?}");
    let (secs, calls) = pass(&end, "start metaload");
    let c = emu.task_counters();
    eprintln!(
        "start 1,000 metaload tasks over 10 file systems at a strict 20/s: the pass {secs:.2}s \
         ({:.2} tasks/s), {calls} calls, {} throttled; the command {wall:.2}s ({:.2} tasks/s \
         end to end, its first listings of 10 file systems included); emulator {c:?}",
        1000.0 / secs,
        end.throttled,
        1000.0 / wall
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: following 10,000 running tasks"]
async fn bench_tasks_follow_10000() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 10_000;
    let manifest = write_manifest(dir.path(), rows, 10);
    let config = EmulatorConfig {
        // The start is unpaced, to have 10,000 tasks running soon; the follow paces itself.
        rate: 0,
        latency_ms: (20, 60),
        preexisting: preexisting(&manifest),
        task_slots: 10_000,
        task_queue: 10_000,
        // Slow: every task runs for the benchmark's length.
        task_mbps: 0.01,
        seed: 2,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = settings(&emu, &config, &manifest, 0.0);
    assert_eq!(run(clone(&base)).await.exit_code().code(), 0);
    let mut s = clone(&base);
    s.goal = start(TaskType::Restore, None);
    assert_eq!(run(s).await.exit_code().code(), 0);
    let running = emu
        .tasks()
        .iter()
        .filter(|t| t.status.as_str() == "running")
        .count();
    // Follow for a minute at the strict 20 listings/s.
    let mut s = settings(&emu, &config, &manifest, 20.0);
    s.goal = Goal::Task {
        action: TaskAction::Start {
            kind: TaskType::Restore,
            overwrite: false,
            again: false,
        },
        wait: Some(Duration::from_secs(60)),
    };
    let before = emu.task_counters().describe_calls;
    let (events, mut rx) = EventSink::channel();
    let seen = tokio::spawn(async move {
        let mut listed: HashMap<String, Vec<Instant>> = HashMap::new();
        while let Some(e) = rx.recv().await {
            if let Event::Listing { file_system_id, .. } = e {
                listed
                    .entry(file_system_id)
                    .or_default()
                    .push(Instant::now());
            }
        }
        listed
    });
    let end = engine::run(s, events, CancellationToken::new())
        .await
        .unwrap();
    let listed = seen.await.unwrap();
    let calls = emu.task_counters().describe_calls - before;
    let refreshes: usize = listed.values().map(Vec::len).sum();
    let gaps: Vec<f64> = listed
        .values()
        .flat_map(|t| t.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()))
        .collect();
    let max_gap = gaps.iter().copied().fold(0.0, f64::max);
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
    let per_fs = rows / 10;
    eprintln!(
        "follow {running} running tasks (10 file systems of {per_fs}) for {:.0}s at 20 \
         listings/s: {calls} DescribeLifecycleDataTask calls for {refreshes} listings of a \
         file system: {:.2} calls per 100 tasks per refresh; a file system listed every \
         {mean_gap:.1}s on average, {max_gap:.1}s at most; exit {}",
        pass(&end, "follow restore").0,
        calls as f64 / refreshes.max(1) as f64 / (per_fs as f64 / 100.0),
        end.exit_code().code()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run --wait --task metaload --task restore of 1,000 rows"]
async fn bench_tasks_onboard_1000() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 1000, 10);
    let config = EmulatorConfig {
        rate: 20,
        latency_ms: (50, 150),
        available_after_ms: 2000,
        seed: 3,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let mut s = settings(&emu, &config, &manifest, 20.0);
    s.pacing.request_timeout = Duration::from_secs(30);
    s.pacing.settle = Duration::from_secs(5);
    s.pacing.concurrency = 40;
    s.goal = Goal::Create {
        update: false,
        rotate: false,
        wait: Some(Duration::from_secs(1800)),
    };
    s.tasks = vec![TaskType::Metaload, TaskType::Restore];
    let wall = Instant::now();
    let end = run(s).await;
    let wall = wall.elapsed().as_secs_f64();
    assert_eq!(end.exit_code().code(), 0, "{end:?}");
    let phases: Vec<String> = end
        .passes
        .iter()
        .map(|p| {
            format!(
                "{} {:.1}s ({} calls)",
                p.pass.name(),
                p.elapsed.as_secs_f64(),
                p.counts.calls
            )
        })
        .collect();
    let bytes: u64 = end.tasks.iter().map(|t| t.counts.volume.bytes_done).sum();
    eprintln!(
        "run --wait --task metaload --task restore, 1,000 rows over 10 file systems, strict \
         20/s, 2 task slots per file system: {wall:.1}s end to end; {}; {} calls, {} throttled; \
         {bytes} bytes loaded",
        phases.join(", "),
        end.calls,
        end.throttled
    );
}

fn clone(s: &RunSettings) -> RunSettings {
    RunSettings {
        manifest: s.manifest.clone(),
        state: s.state.clone(),
        endpoint: s.endpoint.clone(),
        credentials: s.credentials.clone(),
        manifest_options: bulkflow::manifest::ManifestOptions::with_env(None, |_| None),
        pacing: s.pacing,
        seed: s.seed,
        retry_failed: s.retry_failed,
        max_runtime: s.max_runtime,
        goal: s.goal.clone(),
        tasks: s.tasks.clone(),
        stop_tasks: s.stop_tasks,
    }
}
