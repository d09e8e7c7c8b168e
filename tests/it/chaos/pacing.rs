//! Every concurrency from 1 to 64 and every rate from 0.5 to 1000 calls/s finishes against a
//! seeded emulator with faults (lost answers to creates and listings, internal errors, a listing
//! delay longer than `--settle`): no hang (a run that outlasts its limit fails the test), no
//! false failure, no duplicate. CI runs a sample of the grid, each pair on its own emulator, all
//! at once; the whole grid (64 concurrencies by 3 rates):
//! `cargo test --release --test main pacing_grid_long -- --ignored --nocapture`

use std::time::Duration;

use bulkflow::emulator::{Emulator, EmulatorConfig};

use super::super::common::{check_state_matches_emulator, write_manifest};
use super::{inspect, run_cmd, run_to_end, Flags};

/// One run of a few rows at `concurrency` and `rate`; panics on a hang or a wrong end.
fn finishes(concurrency: usize, rate: f64, seed: u64) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    // At 0.5 calls/s every call takes 2 s: fewer rows keep the run within seconds.
    let rows = if rate < 1.0 { 3 } else { 8 };
    let manifest = write_manifest(dir.path(), rows, 2);
    let state = dir.path().join("flows.csv.bulkflow.db");
    let config = EmulatorConfig {
        latency_ms: (1, 30),
        internal_error: 0.1,
        lost_response: 0.15,
        lost_listing: 0.1,
        listing_delay_ms: 400,
        seed,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let flags = Flags {
        rate,
        concurrency,
        settle: 0.2,
        request_timeout: 1.0,
        max_attempts: None,
    };
    let limit = Duration::from_secs(90);
    let ended = run_to_end(&mut run_cmd(&emu.url(), &config, &manifest, flags), limit);
    let what = format!("concurrency {concurrency}, rate {rate}, seed {seed}");
    inspect(&state, &emu).assert_clean(&what);
    assert_eq!(ended.code, Some(0), "{what}: {}", ended.stderr);
    check_state_matches_emulator(&state, &emu, rows);
    ended.took
}

/// Runs every pair on its own thread, at most `parallel` at once.
fn grid(concurrencies: &[usize], rates: &[f64], parallel: usize) {
    let pairs: Vec<(usize, f64)> = concurrencies
        .iter()
        .flat_map(|&c| rates.iter().map(move |&r| (c, r)))
        .collect();
    for chunk in pairs.chunks(parallel.max(1)) {
        let handles: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, &(c, r))| {
                std::thread::spawn(move || {
                    let took = finishes(c, r, 100 + c as u64 * 7 + i as u64);
                    eprintln!("concurrency {c:>2}, rate {r:>6}: {took:?}");
                })
            })
            .collect();
        let mut failed = Vec::new();
        for (h, pair) in handles.into_iter().zip(chunk) {
            if let Err(e) = h.join() {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failed.push(format!("{pair:?}: {msg}"));
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }
}

#[test]
fn concurrencies_from_1_to_64_and_rates_from_half_to_1000_finish() {
    grid(&[1, 2, 3, 7, 64], &[0.5, 3.0, 1000.0], 15);
}

#[test]
#[ignore = "long: every concurrency from 1 to 64 at rates 0.5, 3 and 1000; run it --release"]
fn pacing_grid_long() {
    let all: Vec<usize> = (1..=64).collect();
    grid(&all, &[0.5, 3.0, 1000.0], 16);
}
