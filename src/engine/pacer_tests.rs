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
    let first_half = slots
        .iter()
        .filter(|s| **s < start + Duration::from_millis(500))
        .count();
    assert_eq!(first_half, 6, "the first half second is at 60%");
    assert!(
        in_second(0) < 17,
        "{} calls in the first second",
        in_second(0)
    );
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
async fn a_call_sent_late_pushes_the_calls_after_it() {
    // 5 calls/s: a budget of 3 in the first window, slots 338 ms apart.
    let p = Pacer::new(5.0);
    let mut slots = Vec::new();
    for _ in 0..3 {
        slots.push(p.turn().await);
    }
    // The first call leaves 200 ms late; the others on time.
    let late = slots[0] + Duration::from_millis(200);
    tokio::time::sleep_until(late).await;
    p.succeeded(late);
    for slot in &slots[1..] {
        tokio::time::sleep_until(*slot).await;
        p.succeeded(*slot);
    }
    // On time, the fourth call would leave a window after the first; now no second may hold
    // four of the calls as they were really sent.
    let next = p.turn().await;
    assert!(next > slots[0] + WINDOW + Duration::from_millis(50));
    let mut sent: Vec<Instant> = vec![late, slots[1], slots[2], next];
    sent.sort();
    assert!(most_in_a_second(&sent) <= 3, "{sent:?}");
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
async fn alone_one_throttle_is_jitter_and_a_second_soon_after_is_a_newcomer() {
    let p = Pacer::new(20.0);
    run_for(&p, Duration::from_secs(5)).await;
    // One of ours too many in a second (a call sent late): keep the pace.
    p.throttled(Instant::now());
    assert!(p.budget() >= 18.0, "{}", p.budget());
    // Another within seconds, with one call of someone else's in the window: make room.
    let slots = run_for(&p, Duration::from_secs(2)).await;
    {
        let mut s = p.lock();
        let keep = s.ledger.len().saturating_sub(1);
        s.ledger.truncate(keep);
    }
    p.throttled(slots[slots.len() - 1]);
    assert!(p.budget() <= 11.0, "{}", p.budget());
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

/// Peers as a shared counter (what the registration directory tells).
#[derive(Debug, Clone, Default)]
struct FakePeers(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl FakePeers {
    fn set(&self, n: usize) {
        self.0.store(n, std::sync::atomic::Ordering::SeqCst);
    }
}

impl PeerCount for FakePeers {
    fn count(&self) -> crate::engine::peers::Peering {
        crate::engine::peers::Peering {
            n: self.0.load(std::sync::atomic::Ordering::SeqCst),
            rank: 0,
        }
    }
}

fn shared(rate: f64, peers: &FakePeers) -> Pacer {
    Pacer::with_peers(rate, Some(Box::new(peers.clone())))
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_arrives_gets_half_and_one_that_leaves_gives_it_back() {
    let peers = FakePeers::default();
    peers.set(1);
    let p = shared(20.0, &peers);
    run_for(&p, Duration::from_secs(4)).await;
    assert_eq!(p.budget(), 20.0);
    peers.set(2);
    let slots = run_for(&p, Duration::from_secs(3)).await;
    assert_eq!(p.budget(), 10.0);
    // Within a count, the pace is the share; over the last two seconds, ten calls a second.
    let late: Vec<Instant> = slots
        .iter()
        .copied()
        .filter(|t| *t > Instant::now() - Duration::from_secs(2))
        .collect();
    assert!(most_in_a_second(&late) <= 10, "{late:?}");
    peers.set(1);
    run_for(&p, PEER_EVERY * 2).await;
    assert_eq!(
        p.budget(),
        20.0,
        "the share of one that left is taken at once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_newcomer_waits_for_its_peers_to_make_room_and_together_they_never_overflow() {
    let peers = FakePeers::default();
    peers.set(1);
    let a = std::sync::Arc::new(shared(20.0, &peers));
    let start = Instant::now();
    let a_run = {
        let a = a.clone();
        tokio::spawn(async move { run_for(&a, Duration::from_secs(8)).await })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    // B registers: A sees two at its next count.
    peers.set(2);
    let b = shared(20.0, &peers);
    let joined = Instant::now();
    let b_slots = run_for(&b, Duration::from_secs(5)).await;
    let a_slots = a_run.await.expect("a");
    assert!(
        b_slots[0] >= joined + PEER_EVERY + WINDOW,
        "B called {:?} after joining",
        b_slots[0] - joined
    );
    let mut all: Vec<Instant> = a_slots.iter().chain(&b_slots).copied().collect();
    all.sort();
    assert!(most_in_a_second(&all) <= 20, "{}", most_in_a_second(&all));
    // Both at an equal share once B is up: seconds 6 to 8, about ten calls a second each.
    let settled = start + Duration::from_secs(6);
    let count = |s: &[Instant]| s.iter().filter(|t| **t >= settled).count();
    let (na, nb) = (count(&a_slots), count(&b_slots));
    assert!(
        (18..=22).contains(&na) && (18..=22).contains(&nb),
        "{na} {nb}"
    );
    assert!(na.abs_diff(nb) <= 2, "{na} {nb}");
}

#[tokio::test(start_paused = true)]
async fn a_throttle_never_lifts_the_budget_above_the_share() {
    let peers = FakePeers::default();
    peers.set(4);
    let p = shared(20.0, &peers);
    let slots = run_for(&p, Duration::from_secs(5)).await;
    assert_eq!(p.budget(), 5.0);
    assert!(slots[0] >= Instant::now() - Duration::from_secs(5) + PEER_EVERY + WINDOW);
    p.throttled(Instant::now());
    assert!(p.budget() <= 5.0, "{}", p.budget());
    // Probes stop at the share.
    run_for(&p, Duration::from_secs(60)).await;
    assert!(p.budget() <= 5.0, "{}", p.budget());
}
