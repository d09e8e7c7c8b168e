//! Pacers sharing one account's budget, simulated: a service that admits a call when fewer than
//! [`LIMIT`] calls arrived in the second before it, clients on other machines (no peers) each
//! pacing with its own [`Pacer`], and optionally a steady client that does not adapt.
//!
//! Time is tokio's paused clock and every latency comes from a seeded generator: a run is the
//! same every time, and a minute of it takes milliseconds.
//!
//! Each call leaves at its slot, arrives after a one-way latency (the client's distance, 5 to
//! 50 ms, plus a little jitter per call), is admitted or refused there, and is reported to the
//! pacer with its send time when the answer is back, as the shell does.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;

/// The service's limit: calls per sliding second, counted at arrival.
const LIMIT: usize = 20;
const SECOND: Duration = Duration::from_secs(1);

/// What is simulated.
#[derive(Debug, Clone)]
struct Scenario {
    /// Adaptive clients (each a `Pacer::new(LIMIT)`).
    clients: usize,
    /// Between the starts of two clients.
    stagger: Duration,
    /// A steady client that does not adapt: calls per second.
    background: Option<f64>,
    /// How long the run lasts.
    span: Duration,
    /// The most jitter added to a client's latency, per call.
    jitter: Duration,
    seed: u64,
}

impl Scenario {
    fn together(clients: usize, span_secs: u64, seed: u64) -> Scenario {
        Scenario {
            clients,
            stagger: Duration::ZERO,
            background: None,
            span: Duration::from_secs(span_secs),
            jitter: Duration::from_millis(5),
            seed,
        }
    }

    fn staggered(clients: usize, every_secs: u64, span_secs: u64, seed: u64) -> Scenario {
        Scenario {
            stagger: Duration::from_secs(every_secs),
            ..Scenario::together(clients, span_secs, seed)
        }
    }
}

/// One call as the service saw it.
#[derive(Debug, Clone, Copy)]
struct Call {
    /// The client; `None` for the steady background.
    client: Option<usize>,
    arrived: Duration,
    admitted: bool,
}

/// The service: the arrival times of the calls it admitted in the last second.
#[derive(Debug, Default)]
struct Service {
    admitted: VecDeque<Instant>,
}

impl Service {
    fn admit(&mut self, at: Instant) -> bool {
        while self.admitted.front().is_some_and(|t| *t + SECOND <= at) {
            self.admitted.pop_front();
        }
        let ok = self.admitted.len() < LIMIT;
        if ok {
            self.admitted.push_back(at);
        }
        ok
    }
}

#[derive(Debug)]
struct World {
    start: Instant,
    service: Mutex<Service>,
    rng: Mutex<StdRng>,
    calls: Mutex<Vec<Call>>,
    /// The most jitter per call.
    jitter: Duration,
}

impl World {
    /// A draw in `[lo, hi]`, to the microsecond.
    fn draw(&self, lo: Duration, hi: Duration) -> Duration {
        let (lo, hi) = (lo.as_micros() as u64, hi.as_micros() as u64);
        Duration::from_micros(self.rng.lock().expect("rng").random_range(lo..=hi))
    }

    /// A call that leaves now from a client `latency` away: is it admitted?
    async fn call(&self, client: Option<usize>, latency: Duration) -> bool {
        tokio::time::sleep(latency).await;
        let at = Instant::now();
        let admitted = self.service.lock().expect("service").admit(at);
        self.calls.lock().expect("calls").push(Call {
            client,
            arrived: at - self.start,
            admitted,
        });
        tokio::time::sleep(latency).await;
        admitted
    }
}

/// What a run shows.
#[derive(Debug)]
struct Report {
    sc: Scenario,
    calls: Vec<Call>,
}

impl Report {
    fn start_of(&self, client: usize) -> Duration {
        self.sc.stagger * client as u32
    }

    /// Calls of `client` (or the background's) admitted in `[from, to)`.
    fn admitted(&self, client: Option<usize>, from: Duration, to: Duration) -> usize {
        self.calls
            .iter()
            .filter(|c| c.client == client && c.admitted && c.arrived >= from && c.arrived < to)
            .count()
    }

    /// The adaptive clients' calls refused, as a share of all theirs.
    fn throttled(&self) -> f64 {
        let ours: Vec<&Call> = self.calls.iter().filter(|c| c.client.is_some()).collect();
        let refused = ours.iter().filter(|c| !c.admitted).count();
        refused as f64 / ours.len().max(1) as f64
    }

    /// All admitted calls in `[from, to)` as a share of the limit.
    fn utilisation(&self, from: Duration, to: Duration) -> f64 {
        let n = self
            .calls
            .iter()
            .filter(|c| c.admitted && c.arrived >= from && c.arrived < to)
            .count();
        n as f64 / (LIMIT as f64 * (to - from).as_secs_f64())
    }

    /// The farthest any adaptive client is from an equal share of what the adaptive clients
    /// got, over 10-second windows from `from` on (all clients started by then).
    fn unfairness(&self, from: Duration) -> f64 {
        let mut worst: f64 = 0.0;
        let mut t = from;
        while t + 10 * SECOND <= self.sc.span {
            let got: Vec<f64> = (0..self.sc.clients)
                .map(|i| self.admitted(Some(i), t, t + 10 * SECOND) as f64)
                .collect();
            let equal = got.iter().sum::<f64>() / got.len() as f64;
            for g in got {
                worst = worst.max((g - equal).abs() / equal);
            }
            t += 10 * SECOND;
        }
        worst
    }

    /// When the last client started.
    fn all_in(&self) -> Duration {
        self.start_of(self.sc.clients - 1)
    }

    /// Per client, calls admitted in each second; the throttled share, utilisation and fairness.
    fn summary(&self) -> String {
        use std::fmt::Write;
        let mut out = format!("{:?}\n", self.sc);
        let secs = self.sc.span.as_secs();
        let who: Vec<Option<usize>> = (0..self.sc.clients)
            .map(Some)
            .chain(self.sc.background.map(|_| None))
            .collect();
        for c in who {
            let name = c.map_or("bg".to_string(), |i| format!("c{i}"));
            let total = self.admitted(c, Duration::ZERO, self.sc.span);
            let refused = self
                .calls
                .iter()
                .filter(|x| x.client == c && !x.admitted)
                .count();
            let _ = write!(out, "{name:>3} {total:4}/{refused:<3}:");
            for s in 0..secs as u32 {
                let n = self.admitted(c, s * SECOND, (s + 1) * SECOND);
                let _ = write!(out, " {n:2}");
            }
            out.push('\n');
        }
        let settled = self.all_in() + 15 * SECOND;
        let _ = writeln!(
            out,
            "throttled {:.2}%  utilisation {:.1}% (after {:?}: {:.1}%)  unfairness {:.1}%",
            self.throttled() * 100.0,
            self.utilisation(Duration::ZERO, self.sc.span) * 100.0,
            settled,
            self.utilisation(settled, self.sc.span) * 100.0,
            self.unfairness(settled) * 100.0,
        );
        out
    }
}

/// A client `latency` away pacing its calls from `start` to `end`.
async fn client(world: Arc<World>, id: usize, start: Instant, end: Instant, latency: Duration) {
    tokio::time::sleep_until(start).await;
    let pacer = Arc::new(Pacer::new(LIMIT as f64));
    loop {
        let slot = pacer.turn().await;
        if slot >= end {
            break;
        }
        let (world, pacer) = (world.clone(), pacer.clone());
        tokio::spawn(async move {
            tokio::time::sleep_until(slot).await;
            let sent = Instant::now();
            let latency = latency + world.draw(Duration::ZERO, world.jitter);
            if world.call(Some(id), latency).await {
                pacer.succeeded(sent);
            } else {
                pacer.throttled(sent);
            }
        });
    }
}

/// A client that sends `rate` calls a second, evenly, whatever the service says.
async fn steady(world: Arc<World>, rate: f64, end: Instant, latency: Duration) {
    let every = Duration::from_secs_f64(1.0 / rate);
    let mut next = Instant::now();
    while next < end {
        tokio::time::sleep_until(next).await;
        let world = world.clone();
        tokio::spawn(async move {
            let latency = latency + world.draw(Duration::ZERO, world.jitter);
            world.call(None, latency).await;
        });
        next += every;
    }
}

/// Runs a scenario to its end.
async fn simulate(sc: Scenario) -> Report {
    let start = Instant::now();
    let end = start + sc.span;
    let world = Arc::new(World {
        start,
        service: Mutex::default(),
        rng: Mutex::new(StdRng::seed_from_u64(sc.seed)),
        calls: Mutex::default(),
        jitter: sc.jitter,
    });
    let distance = |w: &World| w.draw(Duration::from_millis(5), Duration::from_millis(50));
    let mut tasks = Vec::new();
    if let Some(rate) = sc.background {
        let latency = distance(&world);
        tasks.push(tokio::spawn(steady(world.clone(), rate, end, latency)));
    }
    for id in 0..sc.clients {
        let latency = distance(&world);
        let begins = start + sc.stagger * id as u32;
        tasks.push(tokio::spawn(client(
            world.clone(),
            id,
            begins,
            end,
            latency,
        )));
    }
    for t in tasks {
        t.await.expect("client");
    }
    // The calls still out come back.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut calls = world.calls.lock().expect("calls").clone();
    calls.sort_by_key(|c| c.arrived);
    Report { sc, calls }
}

/// One line of figures for a run.
fn figures(r: &Report) -> String {
    let settled = r.all_in() + 15 * SECOND;
    format!(
        "{} clients{}: throttled {:.2}%, utilisation {:.1}%, farthest from an equal share {:.1}%",
        r.sc.clients,
        if r.sc.stagger.is_zero() {
            " together"
        } else {
            " 10 s apart"
        },
        r.throttled() * 100.0,
        r.utilisation(Duration::ZERO, r.sc.span) * 100.0,
        r.unfairness(settled) * 100.0,
    )
}

/// The scenarios of the issue: 2, 3 and 5 clients started together and 10 s apart.
fn sharing() -> Vec<Scenario> {
    [2, 3, 5]
        .into_iter()
        .flat_map(|n| {
            [
                Scenario::together(n, 75, 1),
                Scenario::staggered(n, 10, 60 + 10 * n as u64, 1),
            ]
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn alone_it_reaches_the_ceiling_by_the_third_second() {
    for seed in [1, 2, 3] {
        let r = simulate(Scenario::together(1, 5, seed)).await;
        let third = r.admitted(Some(0), 2 * SECOND, 3 * SECOND);
        assert!(third >= 19, "{}", r.summary());
        assert_eq!(r.throttled(), 0.0, "{}", r.summary());
    }
}

#[tokio::test(start_paused = true)]
async fn beside_a_steady_client_it_takes_what_is_left() {
    // A guard against regressions, over six seeds: the goal (>= 11.4/s, <= 1%) is met on
    // the loopback emulator (`bench/run.sh shared`: 11.5/s, 0.99%); in this simulation, where
    // the steady client's latency differs from ours, the seeds' mean meets the rate (rand 0.10's
    // streams: 10.77, 11.53, 11.85, 11.90, 12.03, 11.65/s; mean 11.62/s) at 0.8 to 1.5%
    // throttled, and no seed falls below 10.5/s.
    let mut rates = Vec::new();
    for seed in 1..=6 {
        let r = simulate(Scenario {
            background: Some(8.0),
            ..Scenario::together(1, 60, seed)
        })
        .await;
        let ours = r.admitted(Some(0), Duration::ZERO, r.sc.span) as f64 / 60.0;
        assert!(ours >= 10.5, "seed {seed}: {ours}/s\n{}", r.summary());
        assert!(r.throttled() <= 0.015, "seed {seed}: {}", r.summary());
        rates.push(ours);
    }
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    assert!(mean >= 11.4, "mean {mean}/s over {rates:?}");
}

#[tokio::test(start_paused = true)]
async fn clients_on_other_machines_use_the_budget() {
    for sc in sharing() {
        let r = simulate(sc).await;
        assert!(
            r.utilisation(Duration::ZERO, r.sc.span) >= 0.9,
            "{}",
            r.summary()
        );
    }
}

/// The goal, not met yet: at most 2% throttled and each client within 25% of an equal
/// share over every 10 s once all have been in for 15 s. The pacer today, seed 1:
/// 2 together 1.16% and 10%, 10 s apart 1.34% and 91%; 3 together 1.76% and 22%, apart 1.88% and
/// 86%; 5 together 5.89% and 104%, apart 4.10% and 90% (utilisation 94-97% throughout).
/// `cargo test --lib fair_shares -- --ignored --nocapture` shows each client second by second.
#[tokio::test(start_paused = true)]
#[ignore = "the goal of the fairness issue, not met yet"]
async fn fair_shares() {
    let mut failed = Vec::new();
    for sc in sharing() {
        let r = simulate(sc).await;
        println!("{}", r.summary());
        let settled = r.all_in() + 15 * SECOND;
        if r.throttled() > 0.02 || r.unfairness(settled) > 0.25 {
            failed.push(figures(&r));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
