//! The library's run against the emulator with faults: every row ends `created` with the
//! emulator's own id, no directory holds two flows, no row is falsely failed.

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{self, EventSink};
use bulkflow::store::RowState;
use tokio_util::sync::CancellationToken;

use super::common::{check_state_matches_emulator, settings, write_manifest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_rows_through_faults_and_throttling() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 300, 3);
    let config = EmulatorConfig {
        rate: 150,
        latency_ms: (1, 20),
        internal_error: 0.08,
        lost_response: 0.08,
        late_create: 0.03,
        listing_delay_ms: 100,
        seed: 42,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    // Ask for more than the emulator allows, so that some calls are throttled.
    let s = settings(&emu, &config, &manifest, 220.0);
    let state = s.state.clone();
    let summary = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .unwrap();
    let c = emu.counters();
    assert!(
        c.lost_responses > 0 && c.internal_errors > 0 && c.throttled > 0,
        "{c:?}"
    );
    assert_eq!(summary.counts[&RowState::Created], 300, "{summary:?}");
    assert_eq!(summary.exit_code().code(), 0);
    check_state_matches_emulator(&state, &emu, 300);

    // A finished state sends nothing.
    let calls_before = emu.counters().create_calls;
    let again = engine::run(
        settings(&emu, &config, &manifest, 220.0),
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(again.calls, 0);
    assert_eq!(again.exit_code().code(), 0);
    assert_eq!(emu.counters().create_calls, calls_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsal_state_is_never_taken_for_the_real_service() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 5, 1);
    let config = EmulatorConfig {
        rate: 0,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let rehearsal = engine::run(
        settings(&emu, &config, &manifest, 0.0),
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(rehearsal.exit_code().code(), 0);

    // The same state file, now aimed at the real service: refused before any call.
    let mut real = settings(&emu, &config, &manifest, 0.0);
    real.endpoint = bulkflow::api::Endpoint::parse("https://cfs.tencentcloudapi.com").unwrap();
    let err = engine::run(real, EventSink::none(), CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--state"), "{err}");
    assert_eq!(bulkflow::app::Failure::from(err).exit_code().code(), 2);
}

/// The manifest edited while a run creates its flows: the run stops with exit 4 (resumable: run
/// again to validate and resume), not 2, which promises that nothing was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_changed_during_the_run_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 20, 1);
    let config = EmulatorConfig {
        rate: 0,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let run = tokio::spawn(engine::run(
        settings(&emu, &config, &manifest, 5.0),
        EventSink::none(),
        CancellationToken::new(),
    ));
    while emu.counters().create_calls == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("cfs-00000000,S3_COS,https://src-0.cos.ap-guangzhou.myqcloud.com,data/new,/cfs/new,AKIDsrc,SRCKEY-planted-new,flow_new,ap-guangzhou\n");
    std::fs::write(&manifest, text).unwrap();
    let summary = run.await.unwrap().unwrap();
    assert!(summary.calls > 0, "{summary:?}");
    assert_eq!(
        summary.stop.as_ref().map(|(r, _)| *r),
        Some(engine::StopReason::Manifest),
        "{summary:?}"
    );
    assert!(
        summary
            .stop
            .as_ref()
            .is_some_and(|(_, d)| d.contains("run again to validate and resume")),
        "{summary:?}"
    );
    assert_eq!(summary.exit_code().code(), 4);
}
