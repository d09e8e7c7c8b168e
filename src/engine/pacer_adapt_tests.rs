//! The rules by which the budget follows the service (`pacer_adapt.rs`), driven through the
//! pacer with calls that the test lets in or refuses. Paused time, seeded pacers.

use super::*;
use crate::engine::pacer_adapt::{PROBE_MAX, PROBE_MIN};

const SEED: u64 = 7;

fn pacer() -> Pacer {
    Pacer::seeded(20.0, None, SEED)
}

/// Calls for `span`, each let in when it is due.
async fn let_in(p: &Pacer, span: Duration) -> Vec<Instant> {
    let end = Instant::now() + span;
    let mut sent = Vec::new();
    while Instant::now() < end {
        let slot = p.turn().await;
        tokio::time::sleep_until(slot).await;
        p.succeeded(slot);
        sent.push(slot);
    }
    sent
}

/// Calls let in until no probe of ours is under way and we are not climbing into room found.
async fn steady(p: &Pacer) {
    let until = Instant::now() + Duration::from_secs(10);
    let busy = |p: &Pacer| {
        let l = p.lock();
        l.adapt.probing() || l.adapt.climbing()
    };
    while busy(p) && Instant::now() < until {
        let_in(p, Duration::from_millis(100)).await;
    }
    assert!(!busy(p));
}

/// A throttle while steady: someone else took a call of ours.
async fn hit(p: &Pacer) -> Instant {
    steady(p).await;
    refuse_next(p).await
}

/// One call, sent at its slot and refused.
async fn refuse_next(p: &Pacer) -> Instant {
    let slot = p.turn().await;
    tokio::time::sleep_until(slot).await;
    p.throttled(slot);
    slot
}

/// Our calls in the second before `at`.
fn ours_before(sent: &[Instant], at: Instant) -> f64 {
    sent.iter()
        .filter(|t| **t + Duration::from_secs(1) > at && **t < at)
        .count() as f64
}

/// Calls let in until a throttle would no longer be taken for a correction of the fill (ten
/// seconds), and no probe of ours is under way.
async fn settle(p: &Pacer, share: f64) {
    let_in(p, Duration::from_secs(11)).await;
    let until = Instant::now() + Duration::from_secs(5);
    while p.budget() != share && Instant::now() < until {
        let_in(p, Duration::from_millis(100)).await;
    }
    steady(p).await;
    assert_eq!(p.budget(), share);
}

/// Climbs for a second, then the window is full: returns the budget learned.
async fn fill(p: &Pacer) -> f64 {
    let sent = let_in(p, Duration::from_secs(1)).await;
    let refused = refuse_next(p).await;
    let ours = ours_before(&sent, refused);
    assert_eq!(p.budget(), ours);
    ours
}

#[tokio::test(start_paused = true)]
async fn a_fill_sets_the_budget() {
    let p = pacer();
    let sent = let_in(&p, Duration::from_secs(1)).await;
    assert!(p.budget() > 14.0, "still climbing: {}", p.budget());
    let refused = refuse_next(&p).await;
    assert_eq!(p.budget(), ours_before(&sent, refused));
}

#[tokio::test(start_paused = true)]
async fn a_burst_costs_one_decrease() {
    let p = pacer();
    let share = fill(&p).await;
    settle(&p, share).await;
    hit(&p).await;
    let_in(&p, Duration::from_secs(2)).await;
    steady(&p).await;
    // Three calls have their slots; the first is refused, the others leave after that answer,
    // and are refused too: one burst, one decrease (not a second and third "hit").
    let slots = [p.turn().await, p.turn().await, p.turn().await];
    tokio::time::sleep_until(slots[0]).await;
    p.throttled(slots[0]);
    let room = 20.0 * share / (20.0 + share);
    assert!((p.budget() - room).abs() < 1e-9, "{} {room}", p.budget());
    for slot in &slots[1..] {
        tokio::time::sleep_until(*slot).await;
        p.throttled(*slot);
    }
    assert!((p.budget() - room).abs() < 1e-9, "{} {room}", p.budget());
}

#[tokio::test(start_paused = true)]
async fn a_throttle_soon_after_the_fill_costs_a_call_asked_back_while_there_is_room() {
    // Our fill may have counted a call of someone else's refused in our place, or a call of
    // ours arrived late: we hold what the service counted, and ask the rest back.
    let p = pacer();
    let share = fill(&p).await;
    let_in(&p, Duration::from_secs(3)).await;
    let sent = let_in(&p, Duration::from_secs(1)).await;
    let refused = refuse_next(&p).await;
    let held = ours_before(&sent, refused).min(share);
    assert_eq!(p.budget(), held);
    assert!(held < share, "{held} {share}");
    let_in(&p, Duration::from_secs(6)).await;
    assert_eq!(p.budget(), share);
}

#[tokio::test(start_paused = true)]
async fn asks_refused_twice_make_what_we_hold_our_share() {
    let p = pacer();
    let share = fill(&p).await;
    let_in(&p, Duration::from_secs(3)).await;
    refuse_next(&p).await;
    // Each ask below the share is refused: the room is someone else's.
    for _ in 0..2 {
        let held = p.budget();
        assert!(held < share, "{held} {share}");
        let until = Instant::now() + Duration::from_secs(5);
        while p.budget() <= held && Instant::now() < until {
            let_in(&p, Duration::from_millis(50)).await;
        }
        assert!(p.budget() > held, "no ask");
        refuse_next(&p).await;
    }
    let lower = p.budget();
    assert!(lower < share, "{lower} {share}");
    // No more asks: only a rare probe above the new share, one call for one window.
    let start = Instant::now();
    while Instant::now() < start + Duration::from_secs(8) {
        let_in(&p, Duration::from_millis(100)).await;
        assert!(p.budget() <= lower + 1.0, "{} {lower}", p.budget());
    }
}

#[tokio::test(start_paused = true)]
async fn at_its_share_one_throttle_is_someones_probe_and_two_are_a_newcomer() {
    let p = pacer();
    let share = fill(&p).await;
    settle(&p, share).await;
    // A probe of someone else's takes one call of ours, once: we hold on.
    hit(&p).await;
    assert_eq!(p.budget(), share);
    let_in(&p, Duration::from_secs(3)).await;
    // Another within ten seconds: one more client shares; room as if it came to equal shares.
    let refused = hit(&p).await;
    let room = 20.0 * share / (20.0 + share);
    assert!(
        (p.budget() - room).abs() < 1e-9,
        "{refused:?}: {} {room}",
        p.budget()
    );
}

#[tokio::test(start_paused = true)]
async fn hits_more_than_ten_seconds_apart_are_probes() {
    let p = pacer();
    let share = fill(&p).await;
    settle(&p, share).await;
    for _ in 0..3 {
        let_in(&p, Duration::from_secs(2)).await;
        steady(&p).await;
        // (Probes of ours that all went through may have found room since: the budget then.)
        let held = p.budget();
        assert!(held >= share, "{held} {share}");
        hit(&p).await;
        assert_eq!(p.budget(), held);
        let_in(&p, Duration::from_secs(9)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn room_nobody_takes_is_asked_back_one_call_at_a_time() {
    let p = pacer();
    let share = fill(&p).await;
    settle(&p, share).await;
    hit(&p).await;
    let_in(&p, Duration::from_secs(1)).await;
    hit(&p).await;
    let made_room = p.budget();
    assert!(made_room < share - 2.0, "{made_room}");
    // The newcomer gets the first seconds; then our asks hold, one call each.
    let start = Instant::now();
    let mut last = made_room;
    while p.budget() < share && Instant::now() < start + Duration::from_secs(60) {
        let_in(&p, Duration::from_millis(100)).await;
        assert!(p.budget() - last <= 1.0 + 1e-9, "{last} -> {}", p.budget());
        if p.budget() > last && last == made_room {
            assert!(Instant::now() >= start + Duration::from_secs(2));
        }
        last = p.budget();
    }
    assert_eq!(p.budget(), share);
    // Someone took it after all: an ask refused keeps what we have.
    let p = pacer();
    let share = fill(&p).await;
    settle(&p, share).await;
    hit(&p).await;
    let_in(&p, Duration::from_secs(1)).await;
    hit(&p).await;
    let until = Instant::now() + Duration::from_secs(30);
    while p.budget() == 20.0 * share / (20.0 + share) && Instant::now() < until {
        let_in(&p, Duration::from_millis(100)).await;
    }
    let asked = p.budget();
    refuse_next(&p).await;
    assert!(p.budget() < asked, "{asked} {}", p.budget());
    let_in(&p, Duration::from_secs(30)).await;
    assert!(p.budget() < share - 1.0, "{}", p.budget());
}

#[tokio::test(start_paused = true)]
async fn a_probe_above_the_share_is_one_call_for_one_window_and_seldom() {
    let p = pacer();
    let share = fill(&p).await;
    let base = PROBE_MIN.mul_f64(20.0 / share);
    let mut waits = Vec::new();
    for _ in 0..5 {
        let since = Instant::now();
        while p.budget() <= share && Instant::now() < since + Duration::from_secs(600) {
            let_in(&p, Duration::from_millis(50)).await;
        }
        waits.push(Instant::now() - since);
        // One call more for one window, then back to the share by itself.
        let_in(&p, WINDOW + Duration::from_millis(100)).await;
        assert_eq!(p.budget(), share);
        // Then refused: the window was full.
        let until = Instant::now() + Duration::from_secs(600);
        while p.budget() <= share && Instant::now() < until {
            let_in(&p, Duration::from_millis(50)).await;
        }
        refuse_next(&p).await;
        assert_eq!(p.budget(), share);
    }
    // Half to one and a half times the wait, which doubles for each refused probe (the wait
    // before a refused probe counted from the last one that held).
    assert!(
        waits[0] >= base / 2 && waits[0] <= base * 3 / 2,
        "{waits:?}"
    );
    let most = PROBE_MAX.mul_f64(20.0 / share);
    let last = waits[4];
    assert!(last >= (base * 8).min(most) / 2 - base * 2, "{waits:?}");
}

#[tokio::test(start_paused = true)]
async fn a_newcomer_into_a_full_window_asks_for_room_with_spread_calls() {
    let p = pacer();
    // Its first call is refused: the window is full of others' calls.
    refuse_next(&p).await;
    assert_eq!(p.budget(), 1.0);
    // Still full: asks are refused, about one a second, calls spread.
    let start = Instant::now();
    let mut asks = 0;
    let mut sent = Vec::new();
    while Instant::now() < start + Duration::from_secs(10) {
        let slot = p.turn().await;
        tokio::time::sleep_until(slot).await;
        if p.budget() > 1.0 {
            p.throttled(slot);
            asks += 1;
        } else {
            p.succeeded(slot);
            sent.push(slot);
        }
    }
    assert!((3..=12).contains(&asks), "{asks}");
    let gaps: Vec<Duration> = sent.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().any(|g| *g != gaps[0]), "{gaps:?}");
    // Room: it takes it quickly, and the share it fills to is its own.
    let_in(&p, Duration::from_secs(8)).await;
    assert!(p.budget() >= 8.0, "{}", p.budget());
    let grown = p.budget();
    let refused = refuse_next(&p).await;
    assert!(p.budget() <= grown, "{refused:?}");
}
