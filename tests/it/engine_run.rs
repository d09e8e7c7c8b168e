//! The library's run against the emulator with faults: every row ends `created` with the
//! emulator's own id, no directory holds two flows, no row is falsely failed.

use std::collections::HashMap;

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{self, EventSink};
use bulkflow::store::{self, read, RowState};
use tokio_util::sync::CancellationToken;

use super::common::{settings, write_manifest};

fn check_state_matches_emulator(state: &std::path::Path, emu: &Emulator, rows: usize) {
    let flows = emu.flows();
    let mut by_dir: HashMap<(String, String), Vec<String>> = HashMap::new();
    for f in &flows {
        by_dir
            .entry((
                f.file_system_id.clone(),
                f.target_path.trim_end_matches('/').to_owned(),
            ))
            .or_default()
            .push(f.data_flow_id.clone());
    }
    assert!(
        by_dir.values().all(|ids| ids.len() == 1),
        "a directory holds two flows"
    );
    assert_eq!(flows.len(), rows, "one flow per row");
    let conn = store::open(state, false).unwrap();
    let mut seen = 0;
    read::for_each_row(&conn, None, |r| {
        assert_eq!(
            r.state, "created",
            "line {}: {} {}",
            r.line, r.error_code, r.error_message
        );
        let ids = &by_dir[&(r.file_system_id.clone(), r.target_path.clone())];
        assert_eq!(ids, &vec![r.data_flow_id.clone()], "line {}", r.line);
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, rows);
}

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
    assert_eq!(summary.exit_code(), 0);
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
    assert_eq!(again.exit_code(), 0);
    assert_eq!(emu.counters().create_calls, calls_before);
}
