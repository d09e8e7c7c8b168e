//! Listings that lag: a new flow shows in DescribeDataFlow only after longer than `--settle`,
//! longer than the first steps of the listing backoff (2, 4, 8, 16, 30 s after a
//! `PathUsedInDataflow` answer), or only after minutes; and listings whose answers are lost.
//! No row whose flow exists may end `failed`; a row may end `unknown` (exit 4) only when no
//! listing shows its flow within the documented time, and the next run takes it up again.

use std::time::Duration;

use bulkflow::emulator::{Emulator, EmulatorConfig};

use super::super::common::{check_state_matches_emulator, write_manifest};
use super::lossy::{first_create_of_each_directory, LossyProxy};
use super::{counts, inspect, run_cmd, run_to_end, Flags};

/// How long one run of these tests may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(60);

fn quick() -> Flags {
    Flags {
        rate: 20.0,
        concurrency: 4,
        settle: 0.3,
        request_timeout: 2.0,
        max_attempts: None,
    }
}

/// Per row of the state file: (state, attempts, error code).
fn rows(state: &std::path::Path) -> Vec<(String, u32, String)> {
    let conn = bulkflow::store::open(state, false).unwrap();
    let mut v = Vec::new();
    bulkflow::store::read::for_each_row(&conn, None, |r| {
        v.push((r.state.clone(), r.attempts, r.error_code.clone()));
        Ok(())
    })
    .unwrap();
    v
}

/// Every row's first create acts and its answer is lost; the flow shows in listings only 5 s
/// later, longer than `--settle` (0.3 s) and than the first two steps of the listing backoff. The
/// first listing after the lost answer does not show the flow, so the row is sent again and
/// answered `PathUsedInDataflow`; the listings after that find the flow. Lost listing answers
/// come on top.
#[test]
fn listings_slower_than_settle_and_the_first_backoff_steps_end_created() {
    let dir = tempfile::tempdir().unwrap();
    // One row per file system: each listing is for one row (the test below crowds them).
    let rows_n = 6;
    let manifest = write_manifest(dir.path(), rows_n, rows_n);
    let state = dir.path().join("flows.csv.bulkflow.db");
    let config = EmulatorConfig {
        latency_ms: (1, 20),
        listing_delay_ms: 5000,
        lost_listing: 0.25,
        seed: 21,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let proxy = LossyProxy::start(emu.addr(), first_create_of_each_directory());
    let ended = run_to_end(
        &mut run_cmd(&proxy.url(), &config, &manifest, quick()),
        LIMIT,
    );
    inspect(&state, &emu).assert_clean("after the run");
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    check_state_matches_emulator(&state, &emu, rows_n);
    assert_eq!(proxy.lost(), rows_n);
    // The lost create, then the one answered PathUsedInDataflow: no third.
    for (state, attempts, _) in rows(&state) {
        assert_eq!((state.as_str(), attempts), ("created", 2));
    }
    let n = emu.counters();
    assert_eq!(
        (n.create_calls, n.created),
        (2 * rows_n as u64, rows_n as u64)
    );
    assert!(n.lost_listings > 0, "{n:?}");
}

/// Thirty rows of one file system, sent over three seconds: each row's first create acts and
/// its answer is lost, the resend is answered `PathUsedInDataflow`, and a new flow lists only 5 s
/// after it was made. Each row gets that answer at its own moment, so the file system is listed
/// often, for one row or another. A row must still have its six listings spread over about a
/// minute (2, 4, 8, 16, 30 s apart): its flow shows after 5 s, so no row may be left `unknown`.
#[test]
fn a_busy_file_system_does_not_use_up_a_rows_listings_before_their_time() {
    let dir = tempfile::tempdir().unwrap();
    let rows_n = 30;
    let manifest = write_manifest(dir.path(), rows_n, 1);
    let state = dir.path().join("flows.csv.bulkflow.db");
    let config = EmulatorConfig {
        latency_ms: (1, 20),
        listing_delay_ms: 5000,
        seed: 13,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let proxy = LossyProxy::start(emu.addr(), first_create_of_each_directory());
    let flags = Flags {
        rate: 10.0,
        ..quick()
    };
    let ended = run_to_end(&mut run_cmd(&proxy.url(), &config, &manifest, flags), LIMIT);
    inspect(&state, &emu).assert_clean("after the run");
    assert_eq!(proxy.lost(), rows_n);
    assert_eq!(
        ended.code,
        Some(0),
        "{:?} after {:?}\n{}",
        counts(&state),
        ended.took,
        ended.stderr
    );
    check_state_matches_emulator(&state, &emu, rows_n);
}

/// Lost answers to creates and to listings, late creates, and a listing delay three times
/// `--settle`, all seeded: every row ends `created`, none `failed`.
#[test]
fn lost_listing_answers_and_lost_creates_never_fail_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let rows_n = 24;
    let manifest = write_manifest(dir.path(), rows_n, 3);
    let state = dir.path().join("flows.csv.bulkflow.db");
    let config = EmulatorConfig {
        rate: 0,
        latency_ms: (1, 30),
        lost_response: 0.3,
        late_create: 0.1,
        late_create_delay_ms: 100,
        lost_listing: 0.4,
        listing_delay_ms: 900,
        seed: 5,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let flags = Flags {
        rate: 50.0,
        concurrency: 8,
        request_timeout: 0.5,
        ..quick()
    };
    let ended = run_to_end(&mut run_cmd(&emu.url(), &config, &manifest, flags), LIMIT);
    inspect(&state, &emu).assert_clean("after the run");
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    check_state_matches_emulator(&state, &emu, rows_n);
    let n = emu.counters();
    assert!(n.lost_listings > 0 && n.lost_responses > 0, "{n:?}");
}

/// Every create acts and its answer is lost (so is the answer `PathUsedInDataflow` to a
/// resend), and a new flow lists only 4 s later. Each listing a settle time after a lost answer
/// shows no flow, so the row is sent again; once its attempts are used up it must not be
/// `failed`: its flow exists. It may stay `unknown` (exit 4) for the next run.
#[test]
fn a_row_whose_answers_are_all_lost_and_listed_late_is_never_failed() {
    let dir = tempfile::tempdir().unwrap();
    let rows_n = 2;
    let manifest = write_manifest(dir.path(), rows_n, 1);
    let state = dir.path().join("flows.csv.bulkflow.db");
    let config = EmulatorConfig {
        lost_response: 1.0,
        listing_delay_ms: 4000,
        seed: 3,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let flags = Flags {
        settle: 0.2,
        ..quick()
    };
    let ended = run_to_end(&mut run_cmd(&emu.url(), &config, &manifest, flags), LIMIT);
    let found = inspect(&state, &emu);
    assert_eq!(emu.flows().len(), rows_n, "every first create acted");
    found.assert_clean("after the run");
    assert!(
        matches!(ended.code, Some(0 | 4)),
        "exit {:?}; {:?}\n{}",
        ended.code,
        counts(&state),
        ended.stderr
    );
}

/// A service that takes minutes (150 s) to list a new flow. Each row's first create acts and
/// its answer is lost; the resend is answered `PathUsedInDataflow`. The run lists the row's
/// file system six times after that answer (2, 4, 8, 16 and 30 s apart, about a minute), then
/// leaves the row `unknown` and exits 4; never `failed`. The next run asks again (one more
/// create, answered `PathUsedInDataflow`, six more listings), and the run after that finds the
/// flow and records its id.
#[test]
#[ignore = "long: about 155 s, the documented listing backoff three times over"]
fn a_flow_listed_only_after_minutes_stays_unknown_then_is_found() {
    let dir = tempfile::tempdir().unwrap();
    // One row per file system: each file system's listings serve exactly one row.
    let rows_n = 2;
    let manifest = write_manifest(dir.path(), rows_n, rows_n);
    let state = dir.path().join("flows.csv.bulkflow.db");
    let config = EmulatorConfig {
        listing_delay_ms: 150_000,
        seed: 8,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let proxy = LossyProxy::start(emu.addr(), first_create_of_each_directory());
    let limit = Duration::from_secs(120);
    let mut describes = 0;
    for run in 1..=3u32 {
        let ended = run_to_end(
            &mut run_cmd(&proxy.url(), &config, &manifest, quick()),
            limit,
        );
        let found = inspect(&state, &emu);
        found.assert_clean(&format!("after run {run}"));
        let n = emu.counters();
        let listings = n.describe_calls - describes;
        describes = n.describe_calls;
        eprintln!(
            "run {run}: exit {:?} in {:?}, {listings} listings, {:?}",
            ended.code,
            ended.took,
            counts(&state)
        );
        assert_eq!(proxy.lost(), rows_n);
        assert_eq!(n.created, rows_n as u64);
        if run < 3 {
            assert_eq!(ended.code, Some(4), "{}", ended.stderr);
            for (state, attempts, code) in rows(&state) {
                assert_eq!(
                    (state.as_str(), attempts, code.as_str()),
                    (
                        "unknown",
                        run + 1,
                        "InvalidParameterValue.PathUsedInDataflow"
                    )
                );
            }
            // No run can give up before the documented minute.
            assert!(ended.took >= Duration::from_secs(60), "{:?}", ended.took);
            // Per file system, eight: two before the row is sent again (the first run: the look
            // before the first create and the one a settle time after the lost answer; a
            // resumed run: the look at once and one more a settle time later, a call of the
            // run before may still show), then six after PathUsedInDataflow.
            assert_eq!(listings, 8 * rows_n as u64, "run {run}");
        } else {
            assert_eq!(ended.code, Some(0), "{}", ended.stderr);
            check_state_matches_emulator(&state, &emu, rows_n);
        }
    }
}
