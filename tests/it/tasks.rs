//! Data tasks through the library against the emulator: exactly one task per row, type and
//! generation through lost and late answers and lagging listings; a full queue holds its file
//! system back without failing a row; rows without an available flow are reported and counted;
//! a task bulkflow did not start is never adopted, stopped or counted; delete stops the rows'
//! own tasks first and leaves a flow busy with a foreign task alone.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bulkflow::api::tasks::TaskType;
use bulkflow::emulator::{self, Emulator, EmulatorConfig, NewTask};
use bulkflow::engine::{self, EventSink, Goal, RunSettings, RunSummary, TaskAction};
use bulkflow::store;
use tokio_util::sync::CancellationToken;

use super::common::{settings, write_manifest};

async fn run(s: RunSettings) -> RunSummary {
    engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .expect("the run")
}

fn with_goal(mut s: RunSettings, goal: Goal) -> RunSettings {
    s.goal = goal;
    s
}

fn start(kind: TaskType, again: bool, wait: bool) -> Goal {
    Goal::Task {
        action: TaskAction::Start {
            kind,
            overwrite: false,
            again,
        },
        wait: wait.then_some(Duration::from_secs(120)),
    }
}

fn created_and_available() -> Goal {
    Goal::Create {
        update: false,
        rotate: false,
        wait: Some(Duration::from_secs(60)),
    }
}

/// The emulator's tasks of `kind` by (file system, path), foreign ones apart.
fn ours(emu: &Emulator, kind: emulator::TaskType) -> HashMap<(String, String), Vec<String>> {
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    for t in emu.tasks() {
        if t.task_type == kind && !t.added_by_test {
            out.entry((t.file_system_id.clone(), t.target.path().to_owned()))
                .or_default()
                .push(t.task_id.clone());
        }
    }
    out
}

/// Each manifest row's recorded latest task id of `kind`, by (file system, path).
fn recorded(state: &Path, kind: TaskType) -> HashMap<(String, String), (u32, Option<String>)> {
    let conn = store::open(state, false).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT f.file_system_id, f.target_key, t.generation, t.task_id FROM tasks t \
             JOIN flows f ON f.id = t.flow_id WHERE t.type = ?1 AND t.generation = \
             (SELECT max(generation) FROM tasks u WHERE u.flow_id = t.flow_id AND u.type = t.type)",
        )
        .unwrap();
    let rows = stmt
        .query_map([kind.as_str()], |r| {
            Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_task_per_row_and_generation_through_lost_and_late_answers() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 60;
    let manifest = write_manifest(dir.path(), rows, 3);
    let config = EmulatorConfig {
        rate: 0,
        lost_response: 0.2,
        late_create: 0.1,
        late_create_delay_ms: 100,
        listing_delay_ms: 400,
        internal_error: 0.05,
        available_after_ms: 50,
        task_mbps: 10_000.0,
        seed: 5,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    let s = run(with_goal(base(), created_and_available())).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");

    let s = run(with_goal(base(), start(TaskType::Metaload, false, true))).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    let c = emu.task_counters();
    assert!(
        c.create_calls > c.created.min(rows as u64),
        "no fault fired: {c:?}"
    );
    let tasks = ours(&emu, emulator::TaskType::Metaload);
    assert_eq!(tasks.len(), rows, "every row has its task");
    assert!(
        tasks.values().all(|ids| ids.len() == 1),
        "a row has two tasks: {tasks:?}"
    );
    let state = manifest.with_extension("csv.bulkflow.db");
    for (dir, (generation, id)) in recorded(&state, TaskType::Metaload) {
        assert_eq!(generation, 1);
        assert_eq!(
            Some(&tasks[&dir][0]),
            id.as_ref(),
            "{dir:?}: the recorded id is the service's"
        );
    }
    let t = &s.tasks[0];
    assert_eq!(
        (t.counts.status("finished"), t.counts.total()),
        (rows as u64, rows as u64)
    );
    assert!(
        t.counts.volume.bytes_total > 0
            && t.counts.volume.bytes_done == t.counts.volume.bytes_total
    );

    // The same command again continues what is recorded: nothing new.
    let before = emu.task_counters().create_calls;
    let s = run(with_goal(base(), start(TaskType::Metaload, false, true))).await;
    assert_eq!(s.exit_code().code(), 0);
    assert_eq!(
        emu.task_counters().create_calls,
        before,
        "no call for rows with a task"
    );

    // --again: one more generation, one more task per row.
    let s = run(with_goal(base(), start(TaskType::Metaload, true, true))).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    let tasks = ours(&emu, emulator::TaskType::Metaload);
    assert!(tasks.values().all(|ids| ids.len() == 2), "{tasks:?}");
    for (dir, (generation, id)) in recorded(&state, TaskType::Metaload) {
        assert_eq!(generation, 2);
        assert!(tasks[&dir].contains(id.as_ref().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_holds_its_file_system_and_never_fails_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 24;
    let manifest = write_manifest(dir.path(), rows, 2);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 1,
        task_queue: 2,
        task_mbps: 20_000.0,
        seed: 2,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), created_and_available())).await;
    let s = run(with_goal(base(), start(TaskType::Restore, false, true))).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    let c = emu.task_counters();
    assert!(c.queue_full > 0, "the queue never filled: {c:?}");
    assert_eq!(c.created, rows as u64, "{c:?}");
    assert_eq!(s.tasks[0].counts.status("finished"), rows as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_without_an_available_flow_are_reported_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 6, 1);
    let config = EmulatorConfig {
        rate: 0,
        // The flows stay `pending` for the test's length.
        available_after_ms: 600_000,
        seed: 3,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), Goal::default())).await;
    let s = run(with_goal(base(), start(TaskType::Metaload, false, false))).await;
    assert_eq!(s.exit_code().code(), 1, "{s:?}");
    assert_eq!(
        s.skipped.get("DataFlowNotAvailable"),
        Some(&6),
        "{:?}",
        s.skipped
    );
    assert_eq!(emu.task_counters().create_calls, 0);
    let resume = bulkflow::settings::Resume::default();
    let text = bulkflow::report::summary::render(&s, &resume);
    assert!(text.contains("No task started for 6 rows"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_tasks_are_never_stopped_and_delete_stops_only_the_rows_own() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 4, 1);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 10,
        // Slow: the tasks run for the test's length.
        task_mbps: 0.001,
        deleting_ms: 100,
        task_stopping_ms: 100,
        seed: 4,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), created_and_available())).await;
    // A task someone else started on row 0's flow, under a name like ours.
    let flow0 = emu
        .flows()
        .into_iter()
        .find(|f| f.target_path.trim_end_matches('/') == "/cfs/dir00000")
        .unwrap();
    let mut foreign = NewTask::new(
        &flow0.file_system_id,
        emulator::TaskType::Restore,
        "bf-00000000-000000000000-restore-1",
        "/cfs/dir00000",
    );
    foreign.data_flow_id = Some(flow0.data_flow_id.clone());
    let foreign_id = emu.add_task(foreign).unwrap();

    let s = run(with_goal(base(), start(TaskType::Restore, false, false))).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    assert_eq!(
        s.tasks[0].counts.total(),
        4,
        "the foreign task is not counted"
    );

    // Stop: only the rows' own tasks.
    let stop = Goal::Task {
        action: TaskAction::Stop { kinds: Vec::new() },
        wait: Some(Duration::from_secs(60)),
    };
    let s = run(with_goal(base(), stop)).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    let tasks = emu.tasks();
    let theirs = tasks.iter().find(|t| t.task_id == foreign_id).unwrap();
    assert_eq!((theirs.stop_calls, theirs.status.as_str()), (0, "running"));
    assert!(tasks
        .iter()
        .filter(|t| !t.added_by_test)
        .all(|t| t.status.as_str() == "stopped"));

    // Delete: row 0's flow is busy with the foreign task and left alone; the others go.
    let s = run(with_goal(base(), Goal::Delete)).await;
    assert_eq!(s.exit_code().code(), 1, "{s:?}");
    assert_eq!(s.failures, vec![("DataFlowBusy".to_owned(), 1)]);
    let left: Vec<_> = emu
        .flows()
        .into_iter()
        .filter(|f| f.status != "deleting")
        .map(|f| f.data_flow_id)
        .collect();
    assert_eq!(left, vec![flow0.data_flow_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_stops_the_rows_running_tasks_before_it_deletes_their_flows() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 6, 2);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 1,
        // Slow: the tasks are queued or running when the delete comes.
        task_mbps: 0.001,
        deleting_ms: 50,
        task_stopping_ms: 200,
        seed: 6,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), created_and_available())).await;
    let s = run(with_goal(base(), start(TaskType::Archive, false, false))).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    assert!(emu.tasks().iter().all(|t| t.status.is_active()));
    let s = run(with_goal(base(), Goal::Delete)).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    assert!(emu.tasks().iter().all(|t| t.status.as_str() == "stopped"));
    assert!(
        emu.flows().iter().all(|f| f.status == "deleting"),
        "{:?}",
        emu.flows()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_tasks_exit_1_and_retry_failed_starts_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 20;
    let manifest = write_manifest(dir.path(), rows, 2);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 20,
        task_mbps: 50_000.0,
        task_fail: 0.3,
        seed: 8,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), created_and_available())).await;
    let s = run(with_goal(base(), start(TaskType::Restore, false, true))).await;
    assert_eq!(s.exit_code().code(), 1, "{s:?}");
    let failed = s.tasks[0].counts.status("failed");
    assert!(
        failed > 0 && failed < rows as u64,
        "{:?}",
        s.tasks[0].counts
    );

    // The same command: nothing new. With --retry-failed: a new task for each failed one.
    let before = emu.task_counters().created;
    run(with_goal(base(), start(TaskType::Restore, false, true))).await;
    assert_eq!(emu.task_counters().created, before);
    let mut again = with_goal(base(), start(TaskType::Restore, false, true));
    again.retry_failed = true;
    run(again).await;
    assert_eq!(emu.task_counters().created, before + failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_files_exit_1_and_the_report_says_where_their_list_is() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 6, 1);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 6,
        task_mbps: 50_000.0,
        task_fail_files: 0.1,
        seed: 9,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), created_and_available())).await;
    let s = run(with_goal(base(), start(TaskType::Restore, false, true))).await;
    assert_eq!(s.exit_code().code(), 1, "{s:?}");
    assert_eq!(s.tasks[0].counts.with_failed_files, 6);
    let resume = bulkflow::settings::Resume::default();
    let text = bulkflow::report::summary::render(&s, &resume);
    assert!(text.contains("task_failed_list"), "{text}");
    let conn = store::open(&manifest.with_extension("csv.bulkflow.db"), false).unwrap();
    let mut csv = Vec::new();
    bulkflow::report::export::write(
        &conn,
        bulkflow::report::export::ReportFormat::Csv,
        None,
        &mut csv,
    )
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "task_failed_list")
        .unwrap();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert!(cells[col].starts_with("cos://"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_stop_tasks_stops_a_foreign_task_on_the_flow_and_deletes_it() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 2, 1);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 10,
        task_mbps: 0.001,
        deleting_ms: 50,
        task_stopping_ms: 100,
        seed: 10,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let base = || settings(&emu, &config, &manifest, 0.0);
    run(with_goal(base(), created_and_available())).await;
    let flows = emu.flows();
    let mut ids = Vec::new();
    for (i, f) in flows.iter().enumerate() {
        let mut t = NewTask::new(
            &f.file_system_id,
            emulator::TaskType::Restore,
            &format!("someone-elses-{i}"),
            f.target_path.trim_end_matches('/'),
        );
        t.data_flow_id = Some(f.data_flow_id.clone());
        ids.push(emu.add_task(t).unwrap());
    }
    // Without --stop-tasks: both flows are busy, left alone.
    let s = run(with_goal(base(), Goal::Delete)).await;
    assert_eq!(s.failures, vec![("DataFlowBusy".to_owned(), 2)], "{s:?}");
    // With it: the tasks are stopped, then the flows deleted.
    let mut s = with_goal(base(), Goal::Delete);
    s.stop_tasks = true;
    s.retry_failed = true;
    let s = run(s).await;
    assert_eq!(s.exit_code().code(), 0, "{s:?}");
    let tasks = emu.tasks();
    for id in &ids {
        let t = tasks.iter().find(|t| &t.task_id == id).unwrap();
        assert_eq!(t.status.as_str(), "stopped");
    }
    assert!(emu.flows().iter().all(|f| f.status == "deleting"));
}
