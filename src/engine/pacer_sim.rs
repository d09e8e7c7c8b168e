//! Pacers sharing one account's budget, simulated: a service that admits a call when fewer than
//! [`LIMIT`] calls arrived in the second before it, clients on other machines (no peers) each
//! pacing with its own [`Pacer`], and optionally a steady client that does not adapt.
//!
//! Time is tokio's paused clock and every latency comes from a seeded generator: a run is the
//! same every time, and a minute of it takes milliseconds.
//!
//! Each call leaves at its slot, arrives after a one-way latency, is admitted or refused there,
//! and is reported to the pacer with its send time when the answer is back, as the shell does.
//! Two kinds of distance: [`Link::Wan`], the client's distance (5 to 50 ms each way) plus a
//! little jitter per call; and [`Link::Loopback`], what `bench/run.sh` measures against
//! `bulkflow emulator --latency-ms 100:300`: the call arrives at once and its answer takes 100 to
//! 300 ms, drawn per call, so answers come back out of order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;

/// The service's limit: calls per sliding second, counted at arrival.
pub const LIMIT: usize = 20;
pub const SECOND: Duration = Duration::from_secs(1);

/// How a client reaches the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// 5 to 50 ms each way (one draw per client), plus up to `jitter` per call.
    Wan { jitter: Duration },
    /// Arrival at once; the answer 100 to 300 ms later, drawn per call.
    Loopback,
}

/// What is simulated.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Adaptive clients (each a `Pacer::new(LIMIT)`).
    pub clients: usize,
    /// Between the starts of two clients.
    pub stagger: Duration,
    /// Each client starts up to this much later than its turn (processes launched together do
    /// not make their first call at the same instant).
    pub spread: Duration,
    /// A steady client that does not adapt: calls per second.
    pub background: Option<f64>,
    /// The first client stops then (the others go on to the end).
    pub leaves: Option<Duration>,
    /// How long the run lasts.
    pub span: Duration,
    pub link: Link,
    pub seed: u64,
}

impl Scenario {
    pub fn together(clients: usize, span_secs: u64, seed: u64) -> Scenario {
        Scenario {
            clients,
            stagger: Duration::ZERO,
            spread: Duration::ZERO,
            background: None,
            leaves: None,
            span: Duration::from_secs(span_secs),
            link: Link::Wan {
                jitter: Duration::from_millis(5),
            },
            seed,
        }
    }

    pub fn staggered(clients: usize, every_secs: u64, span_secs: u64, seed: u64) -> Scenario {
        Scenario {
            stagger: Duration::from_secs(every_secs),
            ..Scenario::together(clients, span_secs, seed)
        }
    }

    /// The same scenario against the loopback emulator, the clients launched within `spread`.
    pub fn loopback(self, spread_ms: u64) -> Scenario {
        Scenario {
            link: Link::Loopback,
            spread: Duration::from_millis(spread_ms),
            ..self
        }
    }

    /// What it is, in words.
    pub fn name(&self) -> String {
        format!(
            "{} clients{}{}{}",
            self.clients,
            if self.stagger.is_zero() {
                " together".to_string()
            } else {
                format!(" {} s apart", self.stagger.as_secs())
            },
            self.background
                .map_or(String::new(), |r| format!(" beside {r}/s")),
            if self.link == Link::Loopback {
                " (loopback)"
            } else {
                ""
            },
        )
    }

    /// Beside a steady client at `rate` calls per second.
    pub fn beside(self, rate: f64) -> Scenario {
        Scenario {
            background: Some(rate),
            ..self
        }
    }
}

/// One call as the service saw it.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The client; `None` for the steady background.
    pub client: Option<usize>,
    pub arrived: Duration,
    pub admitted: bool,
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
    link: Link,
    /// Print every budget change and refusal (`TRACE=1`).
    trace: bool,
}

impl World {
    /// A draw in `[lo, hi]`, to the microsecond.
    fn draw(&self, lo: Duration, hi: Duration) -> Duration {
        let (lo, hi) = (lo.as_micros() as u64, hi.as_micros() as u64);
        Duration::from_micros(self.rng.lock().expect("rng").random_range(lo..=hi))
    }

    /// A call that leaves now from a client `distance` away: is it admitted?
    async fn call(&self, client: Option<usize>, distance: Duration) -> bool {
        let (there, back) = match self.link {
            Link::Wan { jitter } => {
                let d = distance + self.draw(Duration::ZERO, jitter);
                (d, d)
            }
            Link::Loopback => (
                Duration::from_micros(100),
                self.draw(Duration::from_millis(100), Duration::from_millis(300)),
            ),
        };
        tokio::time::sleep(there).await;
        let at = Instant::now();
        let admitted = self.service.lock().expect("service").admit(at);
        self.calls.lock().expect("calls").push(Call {
            client,
            arrived: at - self.start,
            admitted,
        });
        tokio::time::sleep(back).await;
        admitted
    }
}

/// What a run shows.
#[derive(Debug)]
pub struct Report {
    pub sc: Scenario,
    pub calls: Vec<Call>,
}

impl Report {
    pub fn start_of(&self, client: usize) -> Duration {
        self.sc.stagger * client as u32
    }

    /// Calls of `client` (or the background's) admitted in `[from, to)`.
    pub fn admitted(&self, client: Option<usize>, from: Duration, to: Duration) -> usize {
        self.calls
            .iter()
            .filter(|c| c.client == client && c.admitted && c.arrived >= from && c.arrived < to)
            .count()
    }

    /// The adaptive clients' calls refused, as a share of all theirs.
    pub fn throttled(&self) -> f64 {
        let ours: Vec<&Call> = self.calls.iter().filter(|c| c.client.is_some()).collect();
        let refused = ours.iter().filter(|c| !c.admitted).count();
        refused as f64 / ours.len().max(1) as f64
    }

    /// All admitted calls in `[from, to)` as a share of the limit.
    pub fn utilisation(&self, from: Duration, to: Duration) -> f64 {
        let n = self
            .calls
            .iter()
            .filter(|c| c.admitted && c.arrived >= from && c.arrived < to)
            .count();
        n as f64 / (LIMIT as f64 * (to - from).as_secs_f64())
    }

    /// The farthest any adaptive client is from an equal share of what the adaptive clients
    /// got, over 10-second windows from `from` on (all clients started by then).
    pub fn unfairness(&self, from: Duration) -> f64 {
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

    /// The farthest any adaptive client is from an equal share over `[from, span)` as a whole:
    /// what `bench/share.py` measures.
    pub fn unfairness_overall(&self, from: Duration) -> f64 {
        let got: Vec<f64> = (0..self.sc.clients)
            .map(|i| self.admitted(Some(i), from, self.sc.span) as f64)
            .collect();
        let equal = got.iter().sum::<f64>() / got.len() as f64;
        got.iter()
            .map(|g| (g - equal).abs() / equal)
            .fold(0.0, f64::max)
    }

    /// When all clients have been in for 15 s: where fairness is judged.
    pub fn settled(&self) -> Duration {
        self.start_of(self.sc.clients - 1) + 15 * SECOND
    }

    /// Calls per second of the first client over the whole run.
    pub fn rate_of_first(&self) -> f64 {
        self.admitted(Some(0), Duration::ZERO, self.sc.span) as f64 / self.sc.span.as_secs_f64()
    }

    /// Per client, calls admitted in each second; the throttled share, utilisation and fairness.
    pub fn summary(&self) -> String {
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
        let _ = writeln!(out, "{}", self.figures());
        out
    }

    /// One line of figures.
    pub fn figures(&self) -> String {
        let settled = self.settled();
        format!(
            "{}: throttled {:.2}%, utilisation {:.1}% (after {}s: {:.1}%), \
             farthest from an equal share {:.1}% (overall {:.1}%)",
            self.sc.name(),
            self.throttled() * 100.0,
            self.utilisation(Duration::ZERO, self.sc.span) * 100.0,
            settled.as_secs(),
            self.utilisation(settled.min(self.sc.span), self.sc.span) * 100.0,
            self.unfairness(settled) * 100.0,
            self.unfairness_overall(settled) * 100.0,
        )
    }
}

/// A client `distance` away pacing its calls from `start` to `end`.
async fn client(world: Arc<World>, id: usize, start: Instant, end: Instant, distance: Duration) {
    tokio::time::sleep_until(start).await;
    let seed = world.rng.lock().expect("rng").random();
    let pacer = Arc::new(Pacer::seeded(LIMIT as f64, None, seed));
    loop {
        let slot = pacer.turn().await;
        if slot >= end {
            break;
        }
        let (world, pacer) = (world.clone(), pacer.clone());
        tokio::spawn(async move {
            tokio::time::sleep_until(slot).await;
            let sent = Instant::now();
            let admitted = world.call(Some(id), distance).await;
            let before = pacer.budget();
            if admitted {
                pacer.succeeded(sent);
            } else {
                pacer.throttled(sent);
            }
            let after = pacer.budget();
            if world.trace && (after != before || !admitted) {
                let at = |t: Instant| (t - world.start).as_secs_f64();
                println!(
                    "{:8.3} c{id} sent {:8.3} {} budget {before:.2} -> {after:.2}",
                    at(Instant::now()),
                    at(sent),
                    if admitted { "ok " } else { "THR" },
                );
            }
        });
    }
}

/// A client that sends `rate` calls a second, evenly, whatever the service says.
async fn steady(world: Arc<World>, rate: f64, end: Instant, distance: Duration) {
    let every = Duration::from_secs_f64(1.0 / rate);
    let mut next = Instant::now();
    while next < end {
        tokio::time::sleep_until(next).await;
        let world = world.clone();
        tokio::spawn(async move {
            world.call(None, distance).await;
        });
        next += every;
    }
}

/// Runs a scenario to its end.
pub async fn simulate(sc: Scenario) -> Report {
    let start = Instant::now();
    let end = start + sc.span;
    let world = Arc::new(World {
        start,
        service: Mutex::default(),
        rng: Mutex::new(StdRng::seed_from_u64(sc.seed)),
        calls: Mutex::default(),
        link: sc.link,
        trace: std::env::var("TRACE").is_ok(),
    });
    let distance = |w: &World| w.draw(Duration::from_millis(5), Duration::from_millis(50));
    let mut tasks = Vec::new();
    if let Some(rate) = sc.background {
        let d = distance(&world);
        tasks.push(tokio::spawn(steady(world.clone(), rate, end, d)));
    }
    for id in 0..sc.clients {
        let d = distance(&world);
        let ends = match sc.leaves {
            Some(after) if id == 0 => start + after,
            _ => end,
        };
        let mut begins = start + sc.stagger * id as u32;
        if !sc.spread.is_zero() {
            begins += world.draw(Duration::ZERO, sc.spread);
        }
        tasks.push(tokio::spawn(client(world.clone(), id, begins, ends, d)));
    }
    for t in tasks {
        t.await.expect("client");
    }
    // The calls still out come back.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut calls = world.calls.lock().expect("calls").clone();
    calls.sort_by_key(|c| c.arrived);
    Report { sc, calls }
}
