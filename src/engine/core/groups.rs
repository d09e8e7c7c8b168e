//! Rows waiting for a listing are grouped by region and file system: one listing settles them
//! all. At most one listing per group is in flight, and at most one is scheduled. A host holds
//! at most [`LISTINGS_HELD`] listings in memory at once (being read, or waiting to be stored for
//! rows fed later); the others wait their turn.

use std::collections::BTreeSet;
use std::time::Duration;

use super::super::op::{Judgement, Scope};
use super::kept::Kept;
use super::rows::{Entry, Phase, Resolve};
use super::snapshot::Snapshot;
use super::{Command, Core, HostId, Wake};

/// Listings of one host held in memory at once: being read, or taken in and waiting to be stored
/// for rows fed later. Each holds a whole file system's flows (or tasks) until it ends, about
/// 1 MB for 1,000 flows; listings beyond it wait, in the order they were due. Eight pages in
/// flight keep a host's DescribeDataFlow budget (20/s) busy up to 400 ms of latency a page.
pub const LISTINGS_HELD: usize = 8;

/// What one listing covers: a file system of a region, and what of it (its flows, or its data
/// tasks of a type or a name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub region: String,
    pub file_system_id: String,
    pub scope: Scope,
}

pub struct Group {
    pub key: GroupKey,
    pub host: HostId,
    /// Rows waiting for a listing.
    pub members: BTreeSet<u64>,
    pub listing: bool,
    /// When the next listing is scheduled.
    pub wake: Option<Duration>,
    /// Listings in a row that could not connect.
    pub unreachable: u32,
    /// What is kept of the first listing of this run for rows fed after it (looks-first
    /// operations).
    pub kept: Kept,
    /// Its listing waits for room on its host ([`LISTINGS_HELD`]).
    pub deferred: bool,
}

/// How far back a listing of data tasks looks when no task of its rows was ever sent (the
/// service answers for the last 3 months at most).
const TASKS_LOOK_BACK_MS: i64 = 85 * 24 * 3600 * 1000;

impl Core {
    pub(super) fn group_for(&mut self, key: GroupKey, host: HostId) -> usize {
        if let Some(&g) = self.group_index.get(&key) {
            return g;
        }
        let g = self.groups.len();
        self.groups.push(Group {
            key: key.clone(),
            host,
            members: BTreeSet::new(),
            listing: false,
            wake: None,
            unreachable: 0,
            kept: Kept::No,
            deferred: false,
        });
        self.group_index.insert(key, g);
        g
    }

    /// Puts a row in its group to wait for a listing that starts at `next_look` or later.
    pub(super) fn resolve(
        &mut self,
        line: u64,
        due: Duration,
        next_look: Duration,
        exists: bool,
        now: Duration,
    ) {
        let Some(e) = self.rows.get(&line) else {
            return;
        };
        // What settles the row may change with what was sent (a task's create is looked for by
        // its name, its flow before): the row waits in the group of its scope now.
        let scope = self.op.scope(e.view());
        if self.groups[e.group].key.scope != scope {
            let key = GroupKey {
                region: e.row.region.clone(),
                file_system_id: e.row.request.file_system_id.clone(),
                scope,
            };
            let (old, host) = (e.group, e.host);
            self.leave_group(line, old);
            let g = self.group_for(key, host);
            if let Some(e) = self.rows.get_mut(&line) {
                e.group = g;
            }
        }
        let patient = self.facts.patient;
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.phase = Phase::Resolving(Resolve {
            due,
            next_look,
            exists,
            patient: patient && e.outstanding,
            listings: 0,
            early_look: next_look < due,
        });
        let g = e.group;
        self.groups[g].members.insert(line);
        self.schedule_group(g, now);
    }

    pub(super) fn leave_group(&mut self, line: u64, g: usize) {
        if let Some(group) = self.groups.get_mut(g) {
            group.members.remove(&line);
        }
    }

    /// Schedules the group's next listing at the earliest time a member wants one.
    pub(super) fn schedule_group(&mut self, g: usize, now: Duration) {
        let group = &self.groups[g];
        if group.listing {
            return; // rescheduled when the listing ends
        }
        let want = group
            .members
            .iter()
            .filter_map(|l| match &self.rows.get(l)?.phase {
                Phase::Resolving(r) => Some(r.next_look),
                _ => None,
            })
            .min();
        let Some(want) = want else {
            self.groups[g].wake = None;
            return;
        };
        if want <= now {
            self.start_listing(g);
        } else if self.groups[g].wake != Some(want) {
            self.groups[g].wake = Some(want);
            self.wake_at(want, Wake::Group(g));
        }
    }

    pub(super) fn group_due(&mut self, g: usize, now: Duration) {
        let Some(group) = self.groups.get(g) else {
            return;
        };
        if group.listing || group.wake.is_none_or(|w| w > now) {
            return;
        }
        self.start_listing(g);
    }

    fn start_listing(&mut self, g: usize) {
        if self.stop.is_some() || self.groups[g].deferred {
            return;
        }
        let host = self.groups[g].host;
        if self.host_mut(host).listings_held >= LISTINGS_HELD {
            self.groups[g].deferred = true;
            self.groups[g].wake = None;
            self.hosts[host].deferred.push_back(g);
            return;
        }
        self.hosts[host].listings_held += 1;
        // Data tasks are listed within a window of time: from the first create of the group's
        // tasks (the shell looks a day before it), or as far back as the service answers.
        let since_ms = match self.groups[g].key.scope {
            Scope::Flows => None,
            Scope::Tasks { .. } => Some(
                self.groups[g]
                    .members
                    .iter()
                    .filter_map(|l| self.rows.get(l)?.task.as_ref()?.first_sent_ms)
                    .min()
                    .unwrap_or_else(|| self.wall_ms(self.now).saturating_sub(TASKS_LOOK_BACK_MS)),
            ),
        };
        let group = &mut self.groups[g];
        group.listing = true;
        group.wake = None;
        self.listings_in_flight += 1;
        let (key, host) = (group.key.clone(), group.host);
        self.out.push_back(Command::List {
            group: key,
            host,
            since_ms,
        });
    }

    /// A listing of the host ended or was stored: room for the listings waiting, in turn.
    pub(super) fn listing_released(&mut self, host: HostId, now: Duration) {
        let h = self.host_mut(host);
        h.listings_held = h.listings_held.saturating_sub(1);
        while self.hosts[host].listings_held < LISTINGS_HELD {
            let Some(g) = self.hosts[host].deferred.pop_front() else {
                break;
            };
            self.groups[g].deferred = false;
            self.schedule_group(g, now);
        }
    }

    /// What the operation says of a row from what a listing found for it.
    pub(super) fn judge(&self, e: &Entry, snapshot: &Snapshot) -> Judgement {
        let view = e.view();
        match snapshot {
            Snapshot::Flows(_) => self.op.judge(view, &snapshot.flows_at(view)),
            Snapshot::Tasks(_) => self.op.judge_tasks(view, &snapshot.tasks_of(view)),
        }
    }
}
