//! The flows that exist, per file system, in creation order, and their Status life. No clock of
//! its own: every method takes `now`, so tests drive it with made-up instants.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::RngExt;

use super::clock::{later, service_time};
use super::config::EmulatorConfig;
use super::flow::{Flow, FlowStatus, NewFlow};
use super::modify::Change;
use super::params::normalize_target_path;
use super::refusal::Refusal;

/// The timings and chances of every flow's Status life.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Life {
    /// A new flow is listed only this long after it was made.
    pub(crate) listing_delay: Duration,
    /// A new flow is `pending` this long.
    pub(crate) available_after: Duration,
    /// Probability that a new flow ends `unavailable` rather than `available`.
    pub(crate) unavailable: f64,
    /// A deleted flow lists as `deleting` this long, then is gone.
    pub(crate) deleting: Duration,
}

impl Life {
    /// The life `config` describes.
    pub(crate) fn of(config: &EmulatorConfig) -> Life {
        Life {
            listing_delay: Duration::from_millis(config.listing_delay_ms),
            available_after: Duration::from_millis(config.available_after_ms),
            unavailable: config.unavailable,
            deleting: Duration::from_millis(config.deleting_ms),
        }
    }
}

#[derive(Debug, Default)]
struct FileSystemFlows {
    /// Normalised target paths in use.
    paths: HashSet<String>,
    /// Indices into `Flows::all`, in creation order, gone ones included.
    indices: Vec<usize>,
    /// Flows not gone, for the per-file-system limit.
    live: usize,
}

/// Every flow, indexed by file system and id.
#[derive(Debug, Default)]
pub(crate) struct Flows {
    life: Life,
    all: Vec<Flow>,
    by_fs: HashMap<String, FileSystemFlows>,
    /// Every id ever given, gone flows included, so none is given twice.
    by_id: HashMap<String, usize>,
    /// Flows being deleted, by the instant they are gone, earliest first.
    deleting: VecDeque<(Instant, usize)>,
}

impl Flows {
    /// No flows yet, living `life`.
    pub(crate) fn new(life: Life) -> Flows {
        Flows {
            life,
            ..Flows::default()
        }
    }

    /// Removes the flows whose `deleting` time ended by `now`: they are no longer listed, and
    /// their directories are free. Every access calls it first.
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some(&(until, i)) = self.deleting.front() {
            if until > now {
                break;
            }
            self.deleting.pop_front();
            let Some(flow) = self.all.get_mut(i) else {
                continue;
            };
            flow.gone = true;
            if let Some(fs) = self.by_fs.get_mut(&flow.new.file_system_id) {
                fs.paths
                    .remove(normalize_target_path(&flow.new.target_path));
                fs.live = fs.live.saturating_sub(1);
            }
        }
    }

    /// Makes the flow unless its directory is used or its file system is full. It lists after
    /// the listing delay, `pending` for `available_after`, then `available`, or `unavailable`
    /// with the life's probability (one draw from `rng`, made only when that is above 0, so
    /// that seeds replay as before).
    pub(crate) fn create(
        &mut self,
        new: NewFlow,
        flow_limit: Option<u32>,
        rng: &mut StdRng,
        now: Instant,
        unix_now: i64,
    ) -> Result<&Flow, Refusal> {
        self.expire(now);
        let fs = self.by_fs.entry(new.file_system_id.clone()).or_default();
        if fs.paths.contains(normalize_target_path(&new.target_path)) {
            return Err(Refusal::PathUsed);
        }
        if flow_limit.is_some_and(|limit| fs.live >= limit as usize) {
            return Err(Refusal::LimitReached);
        }
        let id = self.fresh_id(rng);
        let settled = if self.life.unavailable > 0.0 && rng.random::<f64>() < self.life.unavailable
        {
            FlowStatus::Unavailable
        } else {
            FlowStatus::Available
        };
        let flow = Flow {
            id,
            new,
            creation_time: service_time(unix_now),
            listed_at: later(now, self.life.listing_delay),
            ready_at: later(now, self.life.available_after),
            settled,
            deleting_since: None,
            gone: false,
            modifications: 0,
            key_rotations: 0,
            password_changes: 0,
        };
        Ok(self.insert(flow))
    }

    /// Adds a flow that exists before the first call: listed at once, with `status` (a
    /// `pending` one becomes `available` after `available_after`, a `deleting` one is gone
    /// after the deleting time) or `available`; `id`, or a fresh one. The flow limit does not
    /// apply.
    pub(crate) fn preexisting(
        &mut self,
        new: NewFlow,
        id: Option<String>,
        status: Option<FlowStatus>,
        rng: &mut StdRng,
        now: Instant,
        unix_now: i64,
    ) -> Result<&Flow, Refusal> {
        let fs = self.by_fs.entry(new.file_system_id.clone()).or_default();
        if fs.paths.contains(normalize_target_path(&new.target_path)) {
            return Err(Refusal::PathUsed);
        }
        let id = match id {
            Some(id) if self.by_id.contains_key(&id) => return Err(Refusal::DuplicateId),
            Some(id) => id,
            None => self.fresh_id(rng),
        };
        let status = status.unwrap_or(FlowStatus::Available);
        let flow = Flow {
            id,
            new,
            creation_time: service_time(unix_now),
            listed_at: now,
            ready_at: match status {
                FlowStatus::Pending => later(now, self.life.available_after),
                _ => now,
            },
            settled: match status {
                FlowStatus::Unavailable => FlowStatus::Unavailable,
                _ => FlowStatus::Available,
            },
            deleting_since: None,
            gone: false,
            modifications: 0,
            key_rotations: 0,
            password_changes: 0,
        };
        let index = self.all.len();
        self.insert(flow);
        if status == FlowStatus::Deleting {
            self.start_deleting(index, now);
        }
        self.all.get(index).ok_or(Refusal::NoSuchFlow)
    }

    /// Starts deleting the flow `id` (on `file_system_id` when given). Deleting a flow that is
    /// already `deleting` succeeds and does not restart its time; once it is gone, its id is
    /// unknown.
    pub(crate) fn delete(
        &mut self,
        id: &str,
        file_system_id: Option<&str>,
        now: Instant,
    ) -> Result<(), Refusal> {
        let index = self.find(id, file_system_id, now)?;
        self.start_deleting(index, now);
        Ok(())
    }

    /// The flow `id` (on `file_system_id`), for ModifyDataFlow to change: not while `deleting`.
    pub(crate) fn modifiable(
        &mut self,
        id: &str,
        file_system_id: &str,
        now: Instant,
    ) -> Result<&mut Flow, Refusal> {
        let index = self.find(id, Some(file_system_id), now)?;
        let flow = self.all.get_mut(index).ok_or(Refusal::NoSuchFlow)?;
        if flow.deleting_since.is_some() {
            return Err(Refusal::BeingDeleted);
        }
        Ok(flow)
    }

    /// Applies a ModifyDataFlow to the flow it names, unless that is `deleting`. The emulator's
    /// flows end `unavailable` only for their source keys: new keys on one make it `pending`
    /// for `available_after` from now (or until it was to settle, if later), then `available`.
    pub(crate) fn modify(&mut self, change: &Change, now: Instant) -> Result<&Flow, Refusal> {
        let after = self.life.available_after;
        let flow = self.modifiable(&change.data_flow_id, &change.file_system_id, now)?;
        change.apply(flow);
        if change.sets_keys() && flow.settled == FlowStatus::Unavailable {
            flow.settled = FlowStatus::Available;
            flow.ready_at = flow.ready_at.max(later(now, after));
        }
        Ok(flow)
    }

    /// Every flow that exists at `now` (listed or not yet), in creation order.
    pub(crate) fn existing(&mut self, now: Instant) -> impl Iterator<Item = &Flow> {
        self.expire(now);
        self.all.iter().filter(|f| !f.gone)
    }

    /// The flows of one file system (or all) that exist, in creation order. Call
    /// [`Flows::expire`] first.
    pub(crate) fn of(&self, file_system_id: Option<&str>) -> Box<dyn Iterator<Item = &Flow> + '_> {
        match file_system_id {
            None => Box::new(self.all.iter().filter(|f| !f.gone)),
            Some(fs) => match self.by_fs.get(fs) {
                None => Box::new(std::iter::empty()),
                Some(f) => Box::new(
                    f.indices
                        .iter()
                        .filter_map(|&i| self.all.get(i))
                        .filter(|f| !f.gone),
                ),
            },
        }
    }

    /// The existing flow `id`, checked against `file_system_id` when given.
    pub(crate) fn get(
        &mut self,
        id: &str,
        file_system_id: Option<&str>,
        now: Instant,
    ) -> Result<&Flow, Refusal> {
        let index = self.find(id, file_system_id, now)?;
        self.all.get(index).ok_or(Refusal::NoSuchFlow)
    }

    /// The index of the existing flow `id`, checked against `file_system_id` when given.
    fn find(
        &mut self,
        id: &str,
        file_system_id: Option<&str>,
        now: Instant,
    ) -> Result<usize, Refusal> {
        self.expire(now);
        let index = *self.by_id.get(id).ok_or(Refusal::NoSuchFlow)?;
        let flow = self.all.get(index).ok_or(Refusal::NoSuchFlow)?;
        if flow.gone {
            return Err(Refusal::NoSuchFlow);
        }
        if file_system_id.is_some_and(|fs| fs != flow.new.file_system_id) {
            return Err(Refusal::WrongFileSystem);
        }
        Ok(index)
    }

    fn start_deleting(&mut self, index: usize, now: Instant) {
        if let Some(flow) = self.all.get_mut(index) {
            if flow.deleting_since.is_none() {
                flow.deleting_since = Some(now);
                self.deleting
                    .push_back((later(now, self.life.deleting), index));
            }
        }
    }

    /// Records a flow whose directory is known to be free.
    fn insert(&mut self, flow: Flow) -> &Flow {
        let index = self.all.len();
        let fs = self
            .by_fs
            .entry(flow.new.file_system_id.clone())
            .or_default();
        fs.paths
            .insert(normalize_target_path(&flow.new.target_path).to_owned());
        fs.indices.push(index);
        fs.live += 1;
        self.by_id.insert(flow.id.clone(), index);
        self.all.push(flow);
        &self.all[index]
    }

    /// An id no flow ever had.
    fn fresh_id(&self, rng: &mut StdRng) -> String {
        loop {
            let id = format!("cfs-dataflow-{:08x}", rng.random::<u32>());
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }
}
