//! The state one emulator's connections share: settings, flows, rate windows (one per action),
//! the seeded generator and the counters.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::api::DataFlowInfo;

use super::call::{Action, Effect};
use super::config::EmulatorConfig;
use super::counters::{Counter, Counters, LiveCounters};
use super::create::refusal_error;
use super::describe::{self, Query};
use super::faults::{self, Draws};
use super::flow::FlowRecord;
use super::issuer::Issuer;
use super::limiter::SlidingWindow;
use super::preexisting::PreexistingError;
use super::response::ApiError;
use super::state::{Flows, Life, Refusal};

/// Everything behind the one lock, each use of which is short and never spans an `.await`.
#[derive(Debug)]
struct Inner {
    rng: StdRng,
    /// One window per [`Action`].
    windows: [SlidingWindow; Action::COUNT],
    flows: Flows,
}

/// The shared state of a running emulator; [`super::serve`] takes it, and the subcommand and
/// [`super::Emulator`] build it with [`Shared::new`].
#[derive(Debug)]
pub struct Shared {
    config: EmulatorConfig,
    inner: Mutex<Inner>,
    counters: LiveCounters,
    /// The temporary credentials issued as the metadata service and STS.
    issuer: Issuer,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    /// Fresh state for `config`: empty windows, the generator seeded, and the flows of
    /// `config.preexisting` (an error when two share a directory or an id, or one is on a file
    /// system outside `config.file_systems`).
    pub fn new(config: EmulatorConfig) -> Result<Arc<Shared>, PreexistingError> {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut flows = Flows::new(Life::of(&config));
        let (now, unix_now) = (Instant::now(), unix_now());
        for (i, p) in config.preexisting.iter().enumerate() {
            let refuse = |message: &str| PreexistingError {
                place: p.place(i),
                message: message.to_owned(),
            };
            if let Some(known) = &config.file_systems {
                if !known.contains(&p.file_system_id) {
                    return Err(refuse("FileSystemId: not one of --file-systems"));
                }
            }
            let made = flows.preexisting(
                p.to_new(),
                p.data_flow_id.clone(),
                p.status,
                &mut rng,
                now,
                unix_now,
            );
            match made {
                Ok(_) => {}
                Err(Refusal::DuplicateId) => return Err(refuse("DataFlowId: given twice")),
                Err(_) => return Err(refuse("TargetPath: the directory already has a flow")),
            }
        }
        let inner = Inner {
            rng,
            windows: std::array::from_fn(|_| {
                SlidingWindow::new(config.rate, config.background_load)
            }),
            flows,
        };
        Ok(Arc::new(Shared {
            inner: Mutex::new(inner),
            config,
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

    /// The temporary credentials issued.
    pub(crate) fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// Every flow that exists (`deleting` ones too), listed or not yet, in creation order, in
    /// the listing form.
    pub fn flows(&self) -> Vec<DataFlowInfo> {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.flows.existing(now).map(|f| f.info(now)).collect()
    }

    /// Every flow that exists, as [`Shared::flows`], with what no listing shows (the last
    /// SecretId, how often its keys changed).
    pub fn flow_records(&self) -> Vec<FlowRecord> {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.flows.existing(now).map(|f| f.record(now)).collect()
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
            Some(a) => inner
                .windows
                .get_mut(a as usize)
                .is_none_or(|w| w.admit(Instant::now())),
        };
        (draws, admitted)
    }

    /// A request id for an answer outside a call (an oversized body).
    pub(crate) fn request_id(&self) -> String {
        faults::request_id(&mut self.lock().rng)
    }

    /// Acts now: makes, deletes or modifies a flow. The answer's fields on success
    /// (`DataFlowId`, except for a delete), else the error the state's refusal calls for.
    pub(crate) fn apply(&self, effect: Effect) -> Result<Map<String, Value>, ApiError> {
        let unix_now = unix_now();
        let (id, counter) = {
            let mut inner = self.lock();
            let now = Instant::now();
            let Inner { rng, flows, .. } = &mut *inner;
            let acted = match effect {
                Effect::Create(new) => flows
                    .create(new, self.config.flow_limit, rng, now, unix_now)
                    .map(|f| (Some(f.id.clone()), Counter::Created)),
                Effect::Delete(d) => flows
                    .delete(&d.data_flow_id, d.file_system_id.as_deref(), now)
                    .map(|()| (None, Counter::Deleted)),
                Effect::Modify(change) => flows
                    .modifiable(&change.data_flow_id, &change.file_system_id, now)
                    .map(|flow| {
                        change.apply(flow);
                        (Some(flow.id.clone()), Counter::Modified)
                    }),
            };
            acted.map_err(refusal_error)?
        };
        self.bump(counter);
        let mut m = Map::new();
        if let Some(id) = id {
            m.insert("DataFlowId".to_owned(), Value::from(id));
        }
        Ok(m)
    }

    /// The fields of a DescribeDataFlow answer.
    pub(crate) fn describe(&self, query: &Query) -> Map<String, Value> {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.flows.expire(now);
        describe::answer(&inner.flows, query, now)
    }
}

/// Seconds since the unix epoch by the system clock.
pub(crate) fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
