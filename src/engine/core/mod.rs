//! The engine's core: every row in play, with no I/O and no clock of its own. The caller feeds
//! it inputs with the current time ([`Core::handle`], [`Core::on_timer`]) and carries out the
//! commands it returns ([`Core::poll_command`]): record a transition, wait for a pacing slot,
//! send a call, list a file system, emit an event. Every change of a row's state is decided
//! here, in [`rows`] (calls) and [`listing`] (resolution by DescribeDataFlow).
//!
//! Time is one monotonic clock: a [`Duration`] since the run started. The wall clock appears
//! only at the edges, converted with the run's `epoch_ms` (the wall clock at time zero), for what
//! the state file stores and what an earlier run stored.

mod accept;
mod answered;
mod counts;
#[cfg(test)]
mod delete_tests;
mod figures;
mod finish;
mod groups;
#[cfg(test)]
mod harness;
mod hold;
mod kept;
mod listing;
#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod props;
#[cfg(test)]
mod props_tasks;
mod protocol;
mod rows;
mod snapshot;
#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::events::{Event, StopReason};
use super::op::{Facts, Operation};
use crate::api::CallError;
use crate::store::{RowState, Transition, Waiting};

use groups::Group;
pub use groups::GroupKey;
pub use protocol::{Call, Command, CoreSettings, Fed, FeedItem, Input, Totals};
use rows::Entry;
pub use snapshot::{Listed, Snapshot};

/// Rows in play beyond the ready queue's bound: rows waiting for a listing or a timer. About
/// 2 KB each at most.
const IN_PLAY_EXTRA: usize = 2048;

/// Listings that may fail, or may not show a flow the service says exists, before a row is left
/// `unknown` for the next run.
pub const MAX_LISTINGS: u32 = 6;

/// Index of an endpoint host, as the caller numbers them.
pub type HostId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    Retry(u64),
    Group(usize),
    Hold(usize),
}

#[derive(Default)]
struct Host {
    ready: VecDeque<u64>,
    /// Calls waiting for their slot or in flight.
    busy: usize,
    /// Listings held in memory (see [`groups::LISTINGS_HELD`]).
    listings_held: usize,
    /// Groups whose listing waits for room, in the order they were due.
    deferred: VecDeque<usize>,
}

/// The core of one run of one operation.
pub struct Core {
    op: Arc<dyn Operation>,
    facts: Facts,
    settings: CoreSettings,
    rows: HashMap<u64, Entry>,
    /// State-file record of every row taken into play by this run, with its line: a second
    /// row for one record means the manifest changed after it was validated.
    records: HashMap<i64, u64>,
    hosts: Vec<Host>,
    groups: Vec<Group>,
    group_index: HashMap<GroupKey, usize>,
    wakes: BinaryHeap<Reverse<(Duration, Wake)>>,
    failed_fs: HashMap<String, CallError>,
    /// File systems holding their rows back, by file system.
    holds: Vec<hold::Hold>,
    hold_index: HashMap<String, usize>,
    out: VecDeque<Command>,
    listings_in_flight: usize,
    ready_len: usize,
    feed_ended: bool,
    stop: Option<(StopReason, String)>,
    /// The pass's counts (see `counts.rs`), and as they were last told.
    totals: Totals,
    told_totals: Totals,
    /// The data tasks followed, summed (see `figures.rs`).
    figures: super::events::TaskFigures,
    figures_changed: bool,
    /// Figures changed since the last sample; when that sample was taken.
    sample_due: bool,
    last_sample: Option<Duration>,
    rng: StdRng,
    /// The time of the input being handled.
    now: Duration,
}

impl Core {
    pub fn new(op: Arc<dyn Operation>, settings: CoreSettings) -> Core {
        let rng = StdRng::seed_from_u64(settings.seed);
        Core {
            facts: op.facts(),
            op,
            settings,
            rows: HashMap::new(),
            records: HashMap::new(),
            hosts: Vec::new(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            wakes: BinaryHeap::new(),
            failed_fs: HashMap::new(),
            holds: Vec::new(),
            hold_index: HashMap::new(),
            out: VecDeque::new(),
            listings_in_flight: 0,
            ready_len: 0,
            feed_ended: false,
            stop: None,
            totals: Totals::default(),
            told_totals: Totals::default(),
            figures: Default::default(),
            figures_changed: false,
            sample_due: false,
            last_sample: None,
            rng,
            now: Duration::ZERO,
        }
    }

    /// Takes one input at time `now`.
    pub fn handle(&mut self, input: Input, now: Duration) {
        self.now = now;
        match input {
            Input::Fed { item, host } => self.accept(*item, host, now),
            Input::Settled(counts) => self.settled(counts),
            Input::FeedEnded => self.feed_ended = true,
            Input::SlotGranted { line, slot } => self.slot_granted(line, slot),
            Input::SlotAbandoned { line } | Input::NotSent { line } => self.not_sent(line),
            Input::Answered {
                line,
                result,
                latency,
            } => self.answered(line, result, latency, now),
            Input::Listed {
                group,
                started,
                result,
            } => self.listed(&group, started, result, now),
            Input::Kept { group, result } => self.kept(group, result, now),
            Input::Found { line, result } => self.found(line, result, now),
            Input::Stop { reason, detail } => self.stop(reason, detail),
        }
        self.launch(now);
        self.tell_figures();
        self.tell_counts();
    }

    /// Takes the wakes that are due at `now`.
    pub fn on_timer(&mut self, now: Duration) {
        self.now = now;
        while let Some(Reverse((t, wake))) = self.wakes.peek().copied() {
            if t > now {
                break;
            }
            self.wakes.pop();
            match wake {
                Wake::Retry(line) => self.retry_due(line, t),
                Wake::Group(g) => self.group_due(g, now),
                Wake::Hold(i) => self.hold_due(i, t),
            }
        }
        self.launch(now);
        self.tell_figures();
        self.tell_counts();
    }

    /// The next command to carry out.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// When [`Core::on_timer`] wants to be called next.
    pub fn next_wake(&self) -> Option<Duration> {
        if self.stop.is_some() {
            return None;
        }
        self.wakes.peek().map(|Reverse((t, _))| *t)
    }

    /// Whether the core takes more rows now: it keeps a bounded queue of ready rows, and, for
    /// operations that call, a bounded number of rows in play (rows waiting for their file
    /// system's first listing are in play but not ready: without this bound, a manifest fed
    /// faster than its file systems are listed would be held in memory whole). A wait for
    /// flows to become available is not bounded so: its rows may wait minutes each, and all of
    /// them are waited for together, within one `--wait-timeout`.
    pub fn wants_rows(&self) -> bool {
        let cap = self.settings.pacing.concurrency.saturating_mul(2).max(64);
        let in_play_bounded = self.facts.bounded;
        self.stop.is_none()
            && !self.feed_ended
            && self.ready_len < cap
            && (!in_play_bounded || self.rows.len() < cap.saturating_add(IN_PLAY_EXTRA))
    }

    /// True when nothing is in flight and nothing more will happen.
    pub fn finished(&self) -> bool {
        if self.listings_in_flight > 0 || self.hosts.iter().any(|h| h.busy > 0) {
            return false;
        }
        self.stop.is_some() || (self.feed_ended && self.rows.is_empty())
    }

    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<&(StopReason, String)> {
        self.stop.as_ref()
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Stops starting calls and listings; the stronger reason wins.
    fn stop(&mut self, reason: StopReason, detail: String) {
        let first = self.stop.is_none();
        if self.stop.as_ref().is_none_or(|(r, _)| reason > *r) {
            self.out.push_back(Command::Emit(Event::Stopping {
                reason,
                detail: detail.clone(),
            }));
            self.stop = Some((reason, detail));
        }
        if first {
            self.out.push_back(Command::Halt);
        }
    }

    /// Takes a row out of play.
    fn take_row(&mut self, line: u64) -> Option<Entry> {
        let e = self.rows.remove(&line)?;
        self.records.remove(&e.record);
        self.left_play(&e);
        Some(e)
    }

    fn emit(&mut self, e: Event) {
        self.out.push_back(Command::Emit(e));
    }

    fn record(&mut self, t: Transition) {
        if self.facts.records_calls || !t.change.is_call_state() {
            self.out.push_back(Command::Record(t));
        }
    }

    /// The wall clock of a monotonic time, for the state file.
    fn wall_ms(&self, t: Duration) -> i64 {
        self.settings
            .epoch_ms
            .saturating_add(t.as_millis().min(i64::MAX as u128) as i64)
    }

    /// The monotonic time of a wall-clock time an earlier run stored; times before this run's
    /// start are its start.
    fn mono_of(&self, wall_ms: i64) -> Duration {
        Duration::from_millis(wall_ms.saturating_sub(self.settings.epoch_ms).max(0) as u64)
    }

    fn wake_at(&mut self, t: Duration, wake: Wake) {
        self.wakes.push(Reverse((t, wake)));
    }

    fn host_mut(&mut self, host: HostId) -> &mut Host {
        if self.hosts.len() <= host {
            self.hosts.resize_with(host + 1, Host::default);
        }
        &mut self.hosts[host]
    }

    fn enqueue(&mut self, line: u64) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.phase = rows::Phase::Queued;
        let host = e.host;
        self.host_mut(host).ready.push_back(line);
        self.ready_len += 1;
    }

    /// Starts slot waits while hosts have ready rows and room, host by host.
    fn launch(&mut self, now: Duration) {
        if self.stop.is_some() {
            return;
        }
        let action = self.facts.action;
        for h in 0..self.hosts.len() {
            while self.hosts[h].busy < self.settings.pacing.concurrency.max(1) {
                let Some(line) = self.hosts[h].ready.pop_front() else {
                    break;
                };
                self.ready_len -= 1;
                let fs_failed = self
                    .rows
                    .get(&line)
                    .and_then(|e| self.failed_fs.get(&e.row.request.file_system_id))
                    .cloned();
                if let Some(error) = fs_failed {
                    self.fail_without_call(line, error);
                    continue;
                }
                if self.held(line, now) {
                    continue;
                }
                let Some(e) = self.rows.get_mut(&line) else {
                    continue;
                };
                e.phase = rows::Phase::WaitingSlot;
                self.hosts[h].busy += 1;
                self.out.push_back(Command::WaitSlot {
                    line,
                    host: h,
                    action,
                });
            }
        }
    }
}

/// The state a row is recorded in while it waits for a call.
fn waiting_state(state: RowState) -> Waiting {
    match state {
        RowState::Unknown | RowState::Retrying => Waiting::Retrying,
        _ => Waiting::Pending,
    }
}
