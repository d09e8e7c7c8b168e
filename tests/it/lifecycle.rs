//! The flows' whole life through the library against the emulator with faults: adopt what
//! exists, refuse a conflict, wait until available, update, rotate keys (resumably), delete (never
//! another source's flow), and create again after a delete.

use bulkflow::emulator::{Emulator, EmulatorConfig, FlowStatus, PreexistingFlow};
use bulkflow::engine::{self, EventSink, Goal};
use bulkflow::secret::Secret;
use bulkflow::store::{self, RowState};
use tokio_util::sync::CancellationToken;

use super::common::{settings, write_manifest};

/// A flow that exists before the run, at row `i`'s directory, with its source or another.
fn preexisting(i: usize, fs: usize, ours: bool) -> PreexistingFlow {
    PreexistingFlow {
        origin: String::new(),
        data_flow_id: Some(format!("cfs-dataflow-pre{i}")),
        status: Some(FlowStatus::Available),
        file_system_id: format!("cfs-{fs:08x}"),
        source_storage_type: "S3_COS".into(),
        source_storage_address: format!("https://src-{fs}.cos.ap-guangzhou.myqcloud.com"),
        source_path: if ours {
            format!("data/{i}")
        } else {
            "other/".into()
        },
        target_path: format!("/cfs/dir{i:05}"),
        data_flow_name: format!("flow_{i}"),
        auto_refresh: None,
        user_kafka_topic: None,
        server_addr: None,
        user_name: None,
        secret_id: Secret::new("AKIDold"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopt_wait_update_rotate_delete_and_create_again() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 60, 2);
    // Rows 0-9 already have their flow (made by another tool), row 10 a flow of another source.
    let mut pre: Vec<PreexistingFlow> = (0..10).map(|i| preexisting(i, i % 2, true)).collect();
    pre.push(preexisting(10, 0, false));
    let config = EmulatorConfig {
        rate: 200,
        latency_ms: (1, 10),
        internal_error: 0.05,
        lost_response: 0.05,
        available_after_ms: 300,
        deleting_ms: 300,
        seed: 9,
        preexisting: pre,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let run = |goal: Goal| {
        let mut s = settings(&emu, &config, &manifest, 150.0);
        s.goal = goal;
        engine::run(s, EventSink::none(), CancellationToken::new())
    };
    let state = settings(&emu, &config, &manifest, 150.0).state;

    // Create and wait: adopted rows cost no create, the conflict is refused without one.
    let s = run(Goal::Create {
        update: false,
        rotate: false,
        wait: Some(std::time::Duration::from_secs(60)),
    })
    .await
    .unwrap();
    assert_eq!(s.counts[&RowState::Created], 59, "{s:?}");
    assert_eq!(s.counts[&RowState::Failed], 1, "{s:?}");
    assert_eq!(s.waiting, 0);
    assert_eq!(s.exit_code().code(), 1);
    let c = emu.counters();
    assert_eq!(c.created, 49, "{c:?}");
    assert!(c.create_calls >= 49, "{c:?}");
    let conn = store::open(&state, false).unwrap();
    let (available, pre0): (i64, String) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM flows WHERE flow_status = 'available'), \
             (SELECT data_flow_id FROM flows WHERE target_key = '/cfs/dir00000')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((available, pre0.as_str()), (59, "cfs-dataflow-pre0"));
    drop(conn);

    // Rotate: every created row's flow gets the manifest's keys, once.
    let s = run(Goal::Create {
        update: false,
        rotate: true,
        wait: None,
    })
    .await
    .unwrap();
    assert_eq!(s.exit_code().code(), 1, "{s:?}");
    let rotated = emu
        .flow_records()
        .into_iter()
        .filter(|f| f.key_rotations >= 1)
        .count();
    assert_eq!(rotated, 59);
    assert!(emu
        .flow_records()
        .iter()
        .filter(|f| f.info.data_flow_id != "cfs-dataflow-pre10")
        .all(|f| f.secret_id.expose().starts_with("AKIDsrc")));

    // Delete: every row's flow but the other source's, which is left alone.
    let mut s = settings(&emu, &config, &manifest, 150.0);
    s.goal = Goal::Delete;
    let d = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(d.counts[&RowState::Deleted], 59, "{d:?}");
    assert_eq!(d.exit_code().code(), 1);
    let left: Vec<String> = emu
        .flows()
        .into_iter()
        .filter(|f| f.status != "deleting")
        .map(|f| f.data_flow_id)
        .collect();
    assert_eq!(left, vec!["cfs-dataflow-pre10".to_owned()]);

    // A later run creates the deleted rows again (once their directories are free).
    let s = run(Goal::default()).await.unwrap();
    assert_eq!(s.counts[&RowState::Created], 59, "{s:?}");
    let mut dirs: Vec<String> = emu
        .flows()
        .into_iter()
        .filter(|f| f.status != "deleting")
        .map(|f| f.target_path)
        .collect();
    let n = dirs.len();
    dirs.sort();
    dirs.dedup();
    assert_eq!(dirs.len(), n, "a directory holds two flows");
    assert_eq!(n, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_only_what_differs_and_a_wait_that_times_out_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 6, 1);
    let mut pre = preexisting(0, 0, true);
    pre.data_flow_name = "old_name".into();
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 600_000,
        seed: 3,
        preexisting: vec![pre],
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let mut s = settings(&emu, &config, &manifest, 100.0);
    s.goal = Goal::Create {
        update: true,
        rotate: false,
        wait: Some(std::time::Duration::from_secs(1)),
    };
    let sum = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    // Five new flows are pending for ten minutes: the wait gives up, rows stay created.
    assert_eq!(sum.counts[&RowState::Created], 6, "{sum:?}");
    assert_eq!(sum.waiting, 5, "{sum:?}");
    assert_eq!(sum.exit_code().code(), 4);
    let c = emu.counters();
    assert_eq!((c.modify_calls, c.modified), (1, 1), "{c:?}");
    let renamed = emu
        .flows()
        .into_iter()
        .find(|f| f.data_flow_id == "cfs-dataflow-pre0")
        .unwrap();
    assert_eq!(renamed.data_flow_name, "flow_0");
}
