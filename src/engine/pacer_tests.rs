use super::*;

const MS: Duration = Duration::from_millis(1);

/// Takes slots for `span`, reporting each call as sent at its slot and let in.
async fn run_for(p: &Pacer, span: Duration) -> Vec<Instant> {
    let end = Instant::now() + span;
    let mut slots = Vec::new();
    while Instant::now() < end {
        let slot = p.turn().await;
        tokio::time::sleep_until(slot).await;
        p.succeeded(slot);
        slots.push(slot);
    }
    slots
}

/// The most slots in any window of one second.
fn most_in_a_second(slots: &[Instant]) -> usize {
    slots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            slots[i..]
                .iter()
                .filter(|t| **t < *s + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn it_starts_at_60_percent_and_reaches_the_ceiling_within_three_seconds() {
    let p = Pacer::new(20.0);
    let start = Instant::now();
    let slots = run_for(&p, Duration::from_secs(4)).await;
    let in_second = |n: u64| {
        slots
            .iter()
            .filter(|s| {
                **s >= start + Duration::from_secs(n) && **s < start + Duration::from_secs(n + 1)
            })
            .count()
    };
    assert_eq!(in_second(0), 12, "the first second is cautious");
    assert!(
        in_second(2) >= 19,
        "{} calls in the third second",
        in_second(2)
    );
    assert!((p.budget() - 20.0).abs() < 1e-9);
    // Never a burst: even spacing, and never more than 20 in any second.
    assert!(most_in_a_second(&slots) <= 20);
    for w in slots.windows(2) {
        assert!(w[1] - w[0] + MS >= gap(20.0), "{:?}", w[1] - w[0]);
    }
}

#[tokio::test(start_paused = true)]
async fn slots_are_handed_out_just_in_time() {
    let p = Pacer::new(20.0);
    p.turn().await;
    // The next slot is 85 ms away: within the lead, so it is given at once.
    let now = Instant::now();
    let second = p.turn().await;
    assert_eq!(Instant::now(), now);
    // The one after is 170 ms away: given only when it is within the lead.
    let third = p.turn().await;
    assert!(
        Instant::now() > now,
        "a slot beyond the lead was given early"
    );
    assert!(third > second);
}

#[tokio::test(start_paused = true)]
async fn a_throttle_sets_the_budget_to_the_calls_the_service_let_in() {
    let p = Pacer::new(20.0);
    run_for(&p, Duration::from_millis(1500)).await;
    let before = p.budget();
    assert!(before > 12.0, "{before}");
    // Another client takes 8 of the 20: after 12 of ours in the last second, the next is refused.
    let sent = Instant::now();
    p.throttled(sent);
    let ours_in_window = 12.0_f64.min(before).floor();
    assert!(
        p.budget() <= ours_in_window + 2.0 && p.budget() >= 11.0,
        "{}",
        p.budget()
    );
    // Throttles of calls sent before the decrease are the same burst: no second cut.
    let after = p.budget();
    p.throttled(sent);
    assert_eq!(p.budget(), after);
}

#[tokio::test(start_paused = true)]
async fn a_call_sent_late_pushes_the_calls_after_it() {
    let p = Pacer::new(20.0);
    // Twelve slots (the first window's budget); the first call leaves 200 ms late.
    let mut slots = Vec::new();
    for _ in 0..12 {
        slots.push(p.turn().await);
    }
    p.succeeded(slots[0] + Duration::from_millis(200));
    for slot in &slots[1..] {
        p.succeeded(*slot);
    }
    // On time, the thirteenth call would leave a window after the first; now no second may
    // hold thirteen of the calls as they were really sent.
    let next = p.turn().await;
    assert!(next > slots[0] + WINDOW + Duration::from_millis(50));
    let mut sent: Vec<Instant> = slots[1..].to_vec();
    sent.push(slots[0] + Duration::from_millis(200));
    sent.push(next);
    sent.sort();
    assert!(most_in_a_second(&sent) <= 12, "{sent:?}");
}

#[tokio::test(start_paused = true)]
async fn a_refusal_before_our_window_filled_keeps_most_of_the_budget() {
    // A newcomer: the service's window is full of others' calls from its first call on.
    let p = Pacer::new(20.0);
    let slot = p.turn().await;
    tokio::time::sleep_until(slot).await;
    p.throttled(slot);
    assert!(
        (p.budget() - 12.0 * IMMATURE_KEEP).abs() < 1e-9,
        "{}",
        p.budget()
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_that_had_it_all_makes_room_for_a_newcomer() {
    let p = Pacer::new(20.0);
    run_for(&p, Duration::from_secs(5)).await;
    assert!((p.budget() - 20.0).abs() < 1e-9);
    // Refused with 18 of ours in the last second: someone took 2.
    let refused = Instant::now();
    {
        let mut s = p.lock();
        let keep = s.ledger.len().saturating_sub(2);
        s.ledger.truncate(keep);
    }
    p.throttled(refused);
    assert!((p.budget() - 10.0).abs() < 1.0, "{}", p.budget());
}

#[tokio::test(start_paused = true)]
async fn probes_that_meet_the_same_level_wait_longer_each_time() {
    let p = Pacer::new(20.0);
    run_for(&p, Duration::from_millis(1500)).await;
    p.throttled(Instant::now());
    let level = p.budget();
    let mut waits = Vec::new();
    for _ in 0..4 {
        let since = Instant::now();
        // Calls go through until the budget rises (a probe); that call is refused.
        loop {
            let slot = p.turn().await;
            tokio::time::sleep_until(slot).await;
            p.succeeded(slot);
            if p.budget() > level {
                break;
            }
        }
        waits.push(Instant::now() - since);
        let more = run_for(&p, Duration::from_millis(300)).await;
        p.throttled(more[more.len() - 1]);
        assert!((p.budget() - level).abs() <= 1.0, "{}", p.budget());
    }
    assert!(
        waits[0] >= PROBE_MIN - Duration::from_millis(100),
        "{waits:?}"
    );
    assert!(waits[1] > waits[0] + Duration::from_secs(3), "{waits:?}");
    assert!(waits[3] <= PROBE_MAX + Duration::from_secs(1), "{waits:?}");
}

#[tokio::test(start_paused = true)]
async fn tiny_and_zero_rates() {
    let tiny = Pacer::new(1e-30);
    tiny.turn().await;
    tiny.throttled(Instant::now());
    assert!(tiny.budget() <= 1e-30);
    let p = Pacer::new(0.0);
    let now = Instant::now();
    assert_eq!(p.turn().await, now);
    assert_eq!(p.turn().await, now);
    assert_eq!(Instant::now(), now);
}
