//! Everything the emulated service holds (the flows, the data tasks, the seeded generator) and
//! what a call that changes something does to it, where flows and tasks meet: a task through a
//! flow needs it `available`, and a flow cannot be deleted while a task on it is active. No clock and no I/O: every method takes the instant and
//! the unix time, so tests drive it with made-up ones.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};

use super::action::Effect;
use super::config::EmulatorConfig;
use super::counters::Counter;
use super::flow::FlowStatus;
use super::flows::{Flows, Life};
use super::params::normalize_target_path;
use super::preexisting::PreexistingError;
use super::refusal::Refusal;
use super::tasks::{NewTask, TaskLife, TaskTarget, Tasks};

/// The service's state.
#[derive(Debug)]
pub(crate) struct World {
    /// The one generator behind faults, latency, ids and chances, seeded by `--seed`.
    pub(crate) rng: StdRng,
    pub(crate) flows: Flows,
    pub(crate) tasks: Tasks,
}

/// What an effect did: the answer's fields and the counter it bumps, if any.
pub(crate) type Acted = (Map<String, Value>, Option<Counter>);

impl World {
    /// The state `config` starts with: the generator seeded, and the flows of
    /// `config.preexisting` (an error when two share a directory or an id, or one is on a file
    /// system outside `config.file_systems`).
    pub(crate) fn new(
        config: &EmulatorConfig,
        now: Instant,
        unix_secs: i64,
    ) -> Result<World, PreexistingError> {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut flows = Flows::new(Life::of(config));
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
                unix_secs,
            );
            match made {
                Ok(_) => {}
                Err(Refusal::DuplicateId) => return Err(refuse("DataFlowId: given twice")),
                Err(_) => return Err(refuse("TargetPath: the directory already has a flow")),
            }
        }
        Ok(World {
            rng,
            flows,
            tasks: Tasks::new(TaskLife::of(config)),
        })
    }

    /// Acts at `now` (`unix_ms` by the service clock): makes, deletes or modifies a flow,
    /// makes or stops a task. The answer's fields on success (`DataFlowId` for a flow made or
    /// modified, `TaskId` for a task made) and the counter to bump, else why not.
    pub(crate) fn apply(
        &mut self,
        effect: Effect,
        config: &EmulatorConfig,
        now: Instant,
        unix_ms: i64,
    ) -> Result<Acted, Refusal> {
        let unix_secs = unix_ms.div_euclid(1000);
        let World { rng, flows, tasks } = self;
        let (field, counter) = match effect {
            Effect::Create(new) => flows
                .create(new, config.flow_limit, rng, now, unix_secs)
                .map(|f| (Some(("DataFlowId", f.id.clone())), Counter::Created))?,
            Effect::Delete(d) => {
                let fs = flows
                    .get(&d.data_flow_id, d.file_system_id.as_deref(), now)?
                    .new
                    .file_system_id
                    .clone();
                if tasks.flow_busy(&fs, &d.data_flow_id, now) {
                    return Err(Refusal::FlowBusy);
                }
                flows.delete(&d.data_flow_id, d.file_system_id.as_deref(), now)?;
                (None, Counter::Deleted)
            }
            Effect::Modify(change) => flows
                .modify(&change, now)
                .map(|flow| (Some(("DataFlowId", flow.id.clone())), Counter::Modified))?,
            Effect::CreateTask(new) => {
                let id = self.create_task(new, false, now, unix_ms)?;
                (Some(("TaskId", id)), Counter::TasksCreated)
            }
            Effect::StopTask(id) => {
                let acted = tasks.stop(&id, now)?;
                return Ok((Map::new(), acted.then_some(Counter::TasksStopped)));
            }
        };
        let mut m = Map::new();
        if let Some((name, id)) = field {
            m.insert(name.to_owned(), Value::from(id));
        }
        Ok((m, Some(counter)))
    }

    /// Makes a task at `now` (by a call, or `added` by a test) after the checks that need the
    /// state: its flow, when it names one, exists on its file system, is `available`, and holds
    /// its `TaskPath`; its file system's queue has room. Its id.
    pub(crate) fn create_task(
        &mut self,
        new: NewTask,
        added: bool,
        now: Instant,
        unix_ms: i64,
    ) -> Result<String, Refusal> {
        if let Some(flow_id) = &new.data_flow_id {
            let flow = self
                .flows
                .get(flow_id, Some(&new.file_system_id), now)
                .map_err(|_| Refusal::NoSuchTaskFlow)?;
            if flow.status(now) != FlowStatus::Available {
                return Err(Refusal::FlowNotAvailable);
            }
            if let TaskTarget::Path(path) = &new.target {
                let dir = normalize_target_path(&flow.new.target_path);
                let path = normalize_target_path(path);
                let inside = path == dir
                    || path
                        .strip_prefix(dir)
                        .is_some_and(|rest| rest.starts_with('/'));
                if !inside {
                    return Err(Refusal::PathOutsideFlow);
                }
            }
        }
        let World { rng, tasks, .. } = self;
        Ok(tasks.create(new, added, rng, now, unix_ms)?.id.clone())
    }
}
