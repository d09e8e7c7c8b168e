//! The pacer in the simulated world of [`super::sim`]: alone, beside a steady client, and
//! sharing with clients on other machines.

use super::sim::*;
use super::*;

/// The scenarios of the issue: 2, 3 and 5 clients started together and 10 s apart.
fn sharing(seed: u64) -> Vec<Scenario> {
    [2, 3, 5]
        .into_iter()
        .flat_map(|n| {
            [
                Scenario::together(n, 75, seed),
                Scenario::staggered(n, 10, 60 + 10 * n as u64, seed),
            ]
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn alone_it_reaches_the_ceiling_by_the_third_second() {
    for seed in [1, 2, 3] {
        for sc in [
            Scenario::together(1, 5, seed),
            Scenario::together(1, 5, seed).loopback(0),
        ] {
            let r = simulate(sc).await;
            let third = r.admitted(Some(0), 2 * SECOND, 3 * SECOND);
            assert!(third >= 19, "{}", r.summary());
            assert_eq!(r.throttled(), 0.0, "{}", r.summary());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn beside_a_steady_client_it_takes_what_is_left() {
    // A guard against regressions, on every seed: the goal (>= 11.4/s, <= 1%) is met on
    // the loopback emulator (`bench/run.sh shared`: 11.5/s, 0.99%), and in this simulation by
    // seed 2 only (11.82/s, 0.84%; seeds 1 and 3: 11.22/s at 1.46%, 11.65/s at 1.41%), where the
    // steady client's latency differs from ours.
    for seed in [1, 2, 3] {
        let r = simulate(Scenario::together(1, 60, seed).beside(8.0)).await;
        let ours = r.rate_of_first();
        assert!(ours >= 11.0, "seed {seed}: {ours}/s\n{}", r.summary());
        assert!(r.throttled() <= 0.015, "seed {seed}: {}", r.summary());
    }
}

#[tokio::test(start_paused = true)]
async fn clients_on_other_machines_use_the_budget() {
    for sc in sharing(1) {
        let r = simulate(sc).await;
        assert!(
            r.utilisation(Duration::ZERO, r.sc.span) >= 0.9,
            "{}",
            r.summary()
        );
    }
}

/// The goal, not met yet: at most 2% throttled and each client within 25% of an equal
/// share over every 10 s once all have been in for 15 s.
/// `cargo test --lib fair_shares -- --ignored --nocapture` shows each client second by second.
#[tokio::test(start_paused = true)]
#[ignore = "the goal of the fairness issue, not met yet"]
async fn fair_shares() {
    let mut failed = Vec::new();
    for sc in sharing(1) {
        let r = simulate(sc).await;
        println!("{}", r.summary());
        if r.throttled() > 0.02 || r.unfairness(r.settled()) > 0.25 {
            failed.push(r.figures());
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Every scenario over seeds, one line each:
/// `cargo test --lib pacer_table -- --ignored --nocapture`.
#[tokio::test(start_paused = true)]
#[ignore = "a table for tuning, not a test"]
async fn pacer_table() {
    let seeds: Vec<u64> = std::env::var("SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| (1..=8).collect());
    let only = std::env::var("ONLY").unwrap_or_default();
    let mut scenarios = Vec::new();
    for &seed in &seeds {
        scenarios.push(Scenario::together(1, 60, seed).beside(8.0));
        scenarios.push(Scenario::together(1, 60, seed).beside(8.0).loopback(0));
        for sc in sharing(seed) {
            scenarios.push(sc.clone());
            scenarios.push(sc.loopback(100));
        }
    }
    for sc in scenarios {
        if !format!("seed {} {}:", sc.seed, sc.name()).contains(&only) {
            continue;
        }
        let r = simulate(sc).await;
        let line = format!("seed {} {} ", r.sc.seed, r.figures());
        if r.sc.background.is_some() {
            println!("{line}; ours {:.2}/s", r.rate_of_first());
        } else {
            println!("{line}");
        }
        if std::env::var("SUMMARY").is_ok() {
            println!("{}", r.summary());
        }
    }
}
