//! Issue 20, item 2: every failure has a fix that works. For each code a row can end with, a
//! table row: bring a row to it against the emulator (through the library, to read the row's own
//! message), do what the message asks of the person (fix the keys, delete a flow in the console,
//! restore a row...), run the `bulkflow` command the message names through the real binary, and
//! check that the outcome changed.

use std::path::PathBuf;
use std::time::Duration;

use bulkflow::api::tasks::TaskType;
use bulkflow::api::{Client, DeleteDataFlowRequest, Endpoint};
use bulkflow::emulator::{self, Emulator, EmulatorConfig, NewTask, PreexistingFlow};
use bulkflow::engine::{self, Event, EventSink, Goal, RowEvent, TaskAction};
use bulkflow::secret::Secret;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::bin_helpers::{creds, run, s, Output, Sandbox, API_ID, API_KEY};
use super::common::{credentials, settings, write_manifest};

const ROWS: usize = 4;
const REGION: &str = "ap-guangzhou";

/// An emulator, a manifest of [`ROWS`] rows over two file systems, its state file beside it.
struct Scene {
    sb: Sandbox,
    emu: Emulator,
    config: EmulatorConfig,
    manifest: PathBuf,
}

impl Scene {
    fn new(config: EmulatorConfig) -> Scene {
        let config = EmulatorConfig {
            secret_id: API_ID.to_owned(),
            secret_key: Secret::new(API_KEY),
            rate: 0,
            seed: 5,
            deleting_ms: 100,
            ..config
        };
        let emu = Emulator::start(config.clone()).unwrap();
        let sb = Sandbox::new();
        let manifest = write_manifest(sb.path(), ROWS, 2);
        Scene {
            sb,
            emu,
            config,
            manifest,
        }
    }

    /// A run of `goal` through the library; the summary's exit code and the rows it told of.
    async fn lib(&self, goal: Goal) -> (i32, Vec<RowEvent>) {
        let mut settings = settings(&self.emu, &self.config, &self.manifest, 0.0);
        settings.goal = goal;
        let (sink, mut rx) = EventSink::channel();
        let summary = engine::run(settings, sink, CancellationToken::new())
            .await
            .unwrap();
        let mut rows = Vec::new();
        while let Ok(e) = rx.try_recv() {
            if let Event::Row(r) = e {
                rows.push(r);
            }
        }
        (summary.exit_code().code(), rows)
    }

    /// `bulkflow CMD` through the binary, aimed at the emulator: `MANIFEST` in it is the
    /// manifest; a delete is confirmed as a person at the terminal would.
    fn bin(&self, cmd: &str) -> Output {
        let mut args: Vec<String> = cmd
            .split_whitespace()
            .skip(1)
            .map(|w| match w {
                "MANIFEST" => s(&self.manifest).to_owned(),
                w => w.to_owned(),
            })
            .collect();
        if args.first().map(String::as_str) == Some("delete") {
            args.push("--yes".into());
        }
        args.extend(["--endpoint".into(), self.emu.url()]);
        args.extend(["--progress".into(), "none".into()]);
        run(&args, &creds(), &self.sb.home)
    }

    /// The report's rows, by manifest line.
    fn report(&self) -> Vec<Value> {
        let args = ["report", s(&self.manifest), "--format", "jsonl"];
        let out = run(&args, &creds(), &self.sb.home);
        out.expect_code(0);
        out.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// The manifest with `from` replaced by `to` (on every line, or on row 0's).
    fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(&self.manifest).unwrap();
        assert!(text.contains(from), "{from} in the manifest");
        std::fs::write(&self.manifest, text.replace(from, to)).unwrap();
    }

    /// The flow at row 0's directory, as the emulator holds it.
    fn flow0(&self) -> Option<bulkflow::api::DataFlowInfo> {
        self.emu
            .flows()
            .into_iter()
            .find(|f| f.target_path.trim_end_matches('/') == "/cfs/dir00000")
    }

    /// Deletes row 0's flow as a person would in the console, and waits until it is gone.
    async fn delete_in_console(&self) {
        let flow = self.flow0().expect("a flow at row 0's directory");
        let client = Client::new(credentials(&self.config), Duration::from_secs(5)).unwrap();
        let target = Endpoint::parse(&self.emu.url())
            .unwrap()
            .resolve(REGION)
            .unwrap();
        let req = DeleteDataFlowRequest {
            data_flow_id: flow.data_flow_id,
            file_system_id: Some(flow.file_system_id),
        };
        client
            .delete_data_flow(&target, REGION, &req)
            .await
            .unwrap();
        for _ in 0..100 {
            if self.flow0().is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the flow was not gone");
    }
}

/// The `bulkflow` commands a message names, in backticks.
fn advised(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("bulkflow "))
        .map(str::to_owned)
        .collect()
}

/// The message of the first row told with `code`, and its advised commands (at least one).
fn advice(rows: &[RowEvent], code: &str) -> (String, Vec<String>) {
    let r = rows
        .iter()
        .find(|r| r.error_code.as_deref() == Some(code))
        .unwrap_or_else(|| panic!("a row told {code}: {rows:?}"));
    let message = r.error_message.clone().unwrap_or_default();
    let commands = advised(&message);
    assert!(!commands.is_empty(), "{code}: no command in {message:?}");
    (message, commands)
}

/// Row 0's (line 2's) state and error code, as `report` shows them.
fn row0(scene: &Scene) -> (String, String) {
    let report = scene.report();
    let r = report.iter().find(|r| r["line"] == 2).expect("row 0");
    (
        r["state"].as_str().unwrap_or("").to_owned(),
        r["error_code"].as_str().unwrap_or("").to_owned(),
    )
}

fn create(wait: bool) -> Goal {
    Goal::Create {
        update: false,
        rotate: false,
        wait: wait.then_some(Duration::from_secs(20)),
    }
}

fn metaload() -> Goal {
    Goal::Task {
        action: TaskAction::Start {
            kind: TaskType::Metaload,
            overwrite: false,
            again: false,
        },
        wait: None,
    }
}

/// The keys were refused: the flows end unavailable. The fix is new keys set on the flows and
/// a wait for them; `--retry-failed`, the old advice, changes nothing.
async fn unavailable() {
    let scene = Scene::new(EmulatorConfig {
        unavailable: 1.0,
        available_after_ms: 100,
        ..EmulatorConfig::default()
    });
    let (code, rows) = scene.lib(create(true)).await;
    assert_eq!(code, 1);
    let (message, commands) = advice(&rows, "DataFlowUnavailable");
    // The old advice, after fixing the keys: the same rows fail again.
    scene.edit("SRCKEY-planted-", "SRCKEY-fixed-");
    scene
        .bin("bulkflow run MANIFEST --retry-failed --wait")
        .expect_code(1);
    assert_eq!(row0(&scene).1, "DataFlowUnavailable");
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    for r in scene.report() {
        assert_eq!(
            (&r["state"], &r["flow_status"]),
            (&"created".into(), &"available".into()),
            "{message}: {r}"
        );
    }
    assert!(scene
        .emu
        .flow_records()
        .iter()
        .all(|f| f.key_rotations == 1));
}

/// An emulator where a flow of another source holds row 0's directory.
fn other_source_at_row0() -> EmulatorConfig {
    EmulatorConfig {
        preexisting: vec![PreexistingFlow {
            file_system_id: "cfs-00000000".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://elsewhere.cos.ap-guangzhou.myqcloud.com".into(),
            source_path: "other/".into(),
            target_path: "/cfs/dir00000".into(),
            ..PreexistingFlow::default()
        }],
        ..EmulatorConfig::default()
    }
}

/// Another source's flow holds row 0's directory: once it is deleted in the console, the
/// advised command creates the row's.
async fn conflict() {
    let scene = Scene::new(other_source_at_row0());
    let (code, rows) = scene.lib(create(false)).await;
    assert_eq!(code, 1);
    let (_, commands) = advice(&rows, "DataFlowConflict");
    scene.delete_in_console().await;
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    assert_eq!(row0(&scene), ("created".into(), String::new()));
}

/// A task someone else started runs on row 0's flow: once it ended, the advised command
/// deletes the flow.
async fn busy() {
    let scene = Scene::new(EmulatorConfig::default());
    assert_eq!(scene.lib(create(false)).await.0, 0);
    scene.emu.fast_forward(Duration::from_secs(2));
    let flow = scene.flow0().unwrap();
    let mut theirs = NewTask::new(
        &flow.file_system_id,
        emulator::TaskType::Restore,
        "someone-elses",
        "/cfs/dir00000",
    );
    theirs.data_flow_id = Some(flow.data_flow_id);
    scene.emu.add_task(theirs).unwrap();
    let (code, rows) = scene.lib(Goal::Delete).await;
    assert_eq!(code, 1);
    let (_, commands) = advice(&rows, "DataFlowBusy");
    scene.emu.fast_forward(Duration::from_secs(3600));
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    assert_eq!(row0(&scene).0, "deleted");
}

/// Row 0's source moved after its flow was created: a delete leaves the flow alone; with the
/// source restored, the advised command deletes it.
async fn not_ours_recorded() {
    let scene = Scene::new(EmulatorConfig::default());
    assert_eq!(scene.lib(create(false)).await.0, 0);
    scene.edit(",data/0,", ",data/0-moved,");
    let (code, rows) = scene.lib(Goal::Delete).await;
    assert_eq!(code, 1);
    let (_, commands) = advice(&rows, "DataFlowNotOurs");
    assert!(scene.flow0().is_some(), "left alone");
    scene.edit(",data/0-moved,", ",data/0,");
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    assert_eq!(row0(&scene).0, "deleted");
    assert!(scene.flow0().is_none_or(|f| f.status == "deleting"));
}

/// A flow of another source at row 0's directory, never the row's: left alone; once it is
/// deleted in the console, the advised command settles the row.
async fn not_ours_found() {
    let scene = Scene::new(other_source_at_row0());
    let (code, rows) = scene.lib(Goal::Delete).await;
    assert_eq!(code, 1);
    let (_, commands) = advice(&rows, "DataFlowNotOurs");
    assert_eq!(row0(&scene).1, "DataFlowNotOurs");
    scene.delete_in_console().await;
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    assert_eq!(row0(&scene), ("deleted".into(), String::new()));
}

/// Row 0's flow was deleted behind bulkflow's back: a rotation finds it gone; the advised
/// command creates it again.
async fn missing() {
    let scene = Scene::new(EmulatorConfig::default());
    assert_eq!(scene.lib(create(false)).await.0, 0);
    scene.delete_in_console().await;
    let rotate = Goal::Create {
        update: false,
        rotate: true,
        wait: None,
    };
    let (_, rows) = scene.lib(rotate).await;
    let (_, commands) = advice(&rows, "DataFlowMissing");
    assert_eq!(row0(&scene).0, "pending");
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    assert_eq!(row0(&scene), ("created".into(), String::new()));
    assert!(scene.flow0().is_some());
}

/// Row 0's source moved after its flow was created: reported on every run; with the source
/// restored, the advised command reports it no more.
async fn drift() {
    let scene = Scene::new(EmulatorConfig::default());
    assert_eq!(scene.lib(create(false)).await.0, 0);
    scene.edit(",data/0,", ",data/0-moved,");
    let (_, rows) = scene.lib(create(false)).await;
    let (_, commands) = advice(&rows, "DataFlowDrift");
    assert_eq!(row0(&scene).1, "DataFlowDrift");
    scene.edit(",data/0-moved,", ",data/0,");
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    assert_eq!(row0(&scene), ("created".into(), String::new()));
}

/// A task is started only on an available flow: the advised command brings the flows up, and
/// the same command as before then starts the tasks.
async fn task_without_available_flow(created: bool, code: &str) {
    // Flows that take a minute to come up, when they exist already.
    let scene = Scene::new(EmulatorConfig {
        available_after_ms: if created { 60_000 } else { 100 },
        ..EmulatorConfig::default()
    });
    if created {
        assert_eq!(scene.lib(create(false)).await.0, 0);
    }
    let (exit, rows) = scene.lib(metaload()).await;
    assert_eq!(exit, 1);
    let (_, commands) = advice(&rows, code);
    scene.emu.fast_forward(Duration::from_secs(120));
    for c in &commands {
        scene.bin(c).expect_code(0);
    }
    // "then run this command again"
    let (exit, _) = scene.lib(metaload()).await;
    assert_eq!(exit, 0);
    let report = scene.report();
    assert!(report.iter().all(|r| r["task_id"] != ""), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_names_a_command_that_fixes_it() {
    // code -> the scene that brings a row to it, does what its message asks of the person,
    // runs the command it names, and checks that the outcome changed.
    unavailable().await;
    conflict().await;
    busy().await;
    not_ours_recorded().await;
    not_ours_found().await;
    missing().await;
    drift().await;
    task_without_available_flow(true, "DataFlowNotAvailable").await;
    task_without_available_flow(false, "NoDataFlow").await;
}

#[test]
fn advised_commands_are_read_from_backticks() {
    let m = "x is unavailable: put keys in the manifest, then run `bulkflow run MANIFEST \
             --rotate-keys --wait` (or `tccli cfs ModifyDataFlow`)";
    assert_eq!(
        advised(m),
        vec!["bulkflow run MANIFEST --rotate-keys --wait"]
    );
    assert!(advised("check the source bucket's keys, then run with --retry-failed").is_empty());
}
