//! The state one emulator's connections share: settings, the service's state behind one lock,
//! the rate windows (one per action), the clock and the counters.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::api::DataFlowInfo;

use super::action::{Action, Effect};
use super::clock::Clock;
use super::config::EmulatorConfig;
use super::counters::{Counter, Counters, LiveCounters, TaskCounters};
use super::describe::{self, Query};
use super::faults::{self, Draws};
use super::flow::FlowRecord;
use super::issuer::Issuer;
use super::limiter::SlidingWindow;
use super::preexisting::PreexistingError;
use super::response::ApiError;
use super::tasks::describe::{self as describe_tasks, TaskQuery};
use super::tasks::{NewTask, TaskRecord};
use super::world::World;

/// Everything behind the one lock, each use of which is short and never spans an `.await`.
#[derive(Debug)]
struct Inner {
    /// One window per [`Action`].
    windows: [SlidingWindow; Action::COUNT],
    world: World,
}

/// The shared state of a running emulator; [`super::serve`] takes it, and the subcommand and
/// [`super::Emulator`] build it with [`Service::new`].
#[derive(Debug)]
pub struct Service {
    config: EmulatorConfig,
    inner: Mutex<Inner>,
    clock: Clock,
    counters: LiveCounters,
    /// The temporary credentials issued as the metadata service and STS.
    issuer: Issuer,
    shutdown: watch::Sender<bool>,
}

impl Service {
    /// Fresh state for `config`: empty windows, the generator seeded, and the flows of
    /// `config.preexisting` (an error when two share a directory or an id, or one is on a file
    /// system outside `config.file_systems`).
    pub fn new(config: EmulatorConfig) -> Result<Arc<Service>, PreexistingError> {
        let clock = Clock::new();
        let now = clock.now();
        let world = World::new(&config, now, clock.unix_ms(now).div_euclid(1000))?;
        let inner = Inner {
            windows: std::array::from_fn(|_| {
                SlidingWindow::new(config.rate, config.background_load)
            }),
            world,
        };
        Ok(Arc::new(Service {
            inner: Mutex::new(inner),
            config,
            clock,
            counters: LiveCounters::default(),
            issuer: Issuer::default(),
            shutdown: watch::Sender::new(false),
        }))
    }

    /// The settings.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.counters.snapshot()
    }

    /// A snapshot of the data-task counters.
    pub fn task_counters(&self) -> TaskCounters {
        self.counters.tasks()
    }

    /// The temporary credentials issued.
    pub(crate) fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// Moves the service's time forward (statuses, progress, the times it writes), never the
    /// signature check's.
    pub fn fast_forward(&self, by: Duration) {
        self.clock.fast_forward(by);
    }

    /// Every flow that exists (`deleting` ones too), listed or not yet, in creation order, in
    /// the listing form.
    pub fn flows(&self) -> Vec<DataFlowInfo> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner
            .world
            .flows
            .existing(now)
            .map(|f| f.info(now))
            .collect()
    }

    /// Every flow that exists, as [`Service::flows`], with what no listing shows (the last
    /// SecretId, how often its keys changed).
    pub fn flow_records(&self) -> Vec<FlowRecord> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner
            .world
            .flows
            .existing(now)
            .map(|f| f.record(now))
            .collect()
    }

    /// Every data task, in creation order, as it is now.
    pub fn tasks(&self) -> Vec<TaskRecord> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.world.tasks.advance(now);
        let tasks = inner.world.tasks.all();
        tasks.iter().map(|t| TaskRecord::of(t, now)).collect()
    }

    /// Makes a data task directly, as another client of the account would: no call, no fault,
    /// listed at once; the checks of a create that need the state apply (its flow, the queue).
    /// Its id, or the error code and message a create would get.
    pub fn add_task(&self, new: NewTask) -> Result<String, String> {
        let now = self.clock.now();
        let unix_ms = self.clock.unix_ms(now);
        let made = self.lock().world.create_task(new, true, now, unix_ms);
        made.map_err(|r| {
            let e = r.error();
            format!("{}: {}", e.code, e.message)
        })
    }

    /// Unix seconds now by the service clock.
    pub(crate) fn unix_now(&self) -> i64 {
        self.clock.unix_ms(self.clock.now()).div_euclid(1000)
    }

    /// Asks [`super::serve`] to stop accepting and return.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// A receiver that sees `true` once [`Service::shutdown`] was called.
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
        let now = self.clock.now();
        let mut inner = self.lock();
        let draws = Draws::draw(&mut inner.world.rng, &self.config);
        let admitted = match action {
            None => true,
            Some(a) => inner
                .windows
                .get_mut(a as usize)
                .is_none_or(|w| w.admit(now)),
        };
        (draws, admitted)
    }

    /// A request id for an answer outside a call (an oversized body).
    pub(crate) fn request_id(&self) -> String {
        faults::request_id(&mut self.lock().world.rng)
    }

    /// Acts now: makes, deletes or modifies a flow, makes or stops a task. The answer's
    /// fields on success, else the error the state's refusal calls for.
    pub(crate) fn apply(&self, effect: Effect) -> Result<Map<String, Value>, ApiError> {
        let now = self.clock.now();
        let unix_ms = self.clock.unix_ms(now);
        let acted = self.lock().world.apply(effect, &self.config, now, unix_ms);
        let (fields, counter) = acted.map_err(|r| {
            if r == super::refusal::Refusal::QueueFull {
                self.bump(Counter::QueueFull);
            }
            r.error()
        })?;
        if let Some(counter) = counter {
            self.bump(counter);
        }
        Ok(fields)
    }

    /// The fields of a DescribeDataFlow answer.
    pub(crate) fn describe(&self, query: &Query) -> Map<String, Value> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.world.flows.expire(now);
        describe::answer(&inner.world.flows, query, now)
    }

    /// The fields of a DescribeLifecycleDataTask answer.
    pub(crate) fn describe_tasks(&self, query: &TaskQuery) -> Map<String, Value> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.world.tasks.advance(now);
        describe_tasks::answer(inner.world.tasks.all(), query, now)
    }
}
