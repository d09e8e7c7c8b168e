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
    assert_eq!(err.exit_code().code(), 2);
    assert!(err.to_string().contains("--state"), "{err}");
}
