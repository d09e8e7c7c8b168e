//! The state one emulator's connections share: settings, flows, rate windows, the seeded
//! generator and the counters.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::api::DataFlowInfo;

use super::call::Action;
use super::config::EmulatorConfig;
use super::counters::{Counter, Counters, LiveCounters};
use super::describe::{self, Query};
use super::faults::{self, Draws};
use super::limiter::SlidingWindow;
use super::state::{Flows, NewFlow, Refusal};

/// Everything behind the one lock, each use of which is short and never spans an `.await`.
#[derive(Debug)]
struct Inner {
    rng: StdRng,
    /// One window per [`Action`].
    windows: [SlidingWindow; 2],
    flows: Flows,
}

/// The shared state of a running emulator; [`super::serve`] takes it, and the subcommand and
/// [`super::Emulator`] build it with [`Shared::new`].
#[derive(Debug)]
pub struct Shared {
    config: EmulatorConfig,
    inner: Mutex<Inner>,
    counters: LiveCounters,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    /// Fresh state for `config`: no flows, empty windows, the generator seeded.
    pub fn new(config: EmulatorConfig) -> Arc<Shared> {
        let window = || SlidingWindow::new(config.rate, config.background_load);
        let inner = Inner {
            rng: StdRng::seed_from_u64(config.seed),
            windows: [window(), window()],
            flows: Flows::default(),
        };
        Arc::new(Shared {
            inner: Mutex::new(inner),
            config,
            counters: LiveCounters::default(),
            shutdown: watch::Sender::new(false),
        })
    }

    /// The settings.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.counters.snapshot()
    }

    /// Every flow that exists, listed or not yet, in creation order, in the listing form.
    pub fn flows(&self) -> Vec<DataFlowInfo> {
        let now = Instant::now();
        let available_after = Duration::from_millis(self.config.available_after_ms);
        let inner = self.lock();
        inner
            .flows
            .all()
            .iter()
            .map(|f| f.info(now, available_after))
            .collect()
    }

    /// Asks [`super::serve`] to stop accepting and return.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// A receiver that sees `true` once [`Shared::shutdown`] was called.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub(crate) fn bump(&self, counter: Counter) {
        self.counters.bump(counter);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A call arrives: draws its chances and, for an authenticated `action`, says whether the
    /// rate limit admits it.
    pub(crate) fn arrive(&self, action: Option<Action>) -> (Draws, bool) {
        let mut inner = self.lock();
        let draws = Draws::draw(&mut inner.rng, &self.config);
        let admitted = match action {
            None => true,
            Some(a) => inner.windows[a as usize].admit(Instant::now()),
        };
        (draws, admitted)
    }

    /// A request id for an answer outside a call (an oversized body).
    pub(crate) fn request_id(&self) -> String {
        faults::request_id(&mut self.lock().rng)
    }

    /// Makes a flow now; its id on success.
    pub(crate) fn create(&self, new: NewFlow) -> Result<String, Refusal> {
        let unix_now = unix_now();
        let id = {
            let mut inner = self.lock();
            let Inner { rng, flows, .. } = &mut *inner;
            flows
                .create(new, self.config.flow_limit, rng, Instant::now(), unix_now)?
                .id
                .clone()
        };
        self.bump(Counter::Created);
        Ok(id)
    }

    /// The fields of a DescribeDataFlow answer.
    pub(crate) fn describe(&self, query: &Query) -> Map<String, Value> {
        let inner = self.lock();
        describe::answer(&inner.flows, query, Instant::now(), &self.config)
    }
}

/// Seconds since the unix epoch by the system clock.
pub(crate) fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
