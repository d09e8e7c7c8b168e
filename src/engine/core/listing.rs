//! What a listing of a file system settles. A flow that shows settles its row at once, whenever
//! the listing started. A directory that shows no flow proves something only for rows none of
//! whose calls can still act: the listing must have started after the row's latest call could
//! have ended, plus the settle time. Each row counts its own unsettling listings.

use std::time::Duration;

use super::super::backoff::Backoff;
use super::super::events::{Event, StopReason};
use super::super::op::{Final, Judgement, Seen};
use super::groups::GroupKey;
use super::kept::Kept;
use super::rows::{Phase, Resolve};
use super::snapshot::{Listed, Snapshot};
use super::{Core, MAX_LISTINGS};
use crate::api::classify::PATH_USED;
use crate::api::error::codes::CONNECT_FAILED;
use crate::api::{CallError, OutcomeClass};
use crate::store::{Change, Transition};

/// Listings of one file system in a row that could not connect before the run stops.
const UNREACHABLE_LISTINGS: u32 = 2;

/// The wait before a row's next listing after `n` listings that did not settle it: 2, 4, 8, 16,
/// 30, 30 s, without jitter (one listing serves a whole group, so there is no herd to spread),
/// so that the documented time is the real one.
pub fn listing_delay(n: u32) -> Duration {
    Backoff::LISTING.bound(n)
}

/// Whether a listing that started at `started` is too early to prove the row's flow is not
/// there: a call of ours may still act until `r.due`. If so, the row's next look is set.
fn too_early(r: &mut Resolve, outstanding: bool, started: Duration, settle: Duration) -> bool {
    if !outstanding || started >= r.due {
        return false;
    }
    // A row resumed from a killed run looks once more a settle time after its first look.
    r.next_look = if std::mem::take(&mut r.early_look) {
        (started + settle).min(r.due)
    } else {
        r.due
    };
    true
}

impl Core {
    pub(super) fn listed(
        &mut self,
        key: &GroupKey,
        started: Duration,
        result: Result<Listed, CallError>,
        now: Duration,
    ) {
        let Some(&g) = self.group_index.get(key) else {
            return;
        };
        let listing = std::mem::take(&mut self.groups[g].listing);
        if listing {
            self.listings_in_flight -= 1;
        }
        self.totals.listings += 1;
        if result.is_err() {
            self.totals.listing_failures += 1;
        }
        self.emit(Event::Listing {
            file_system_id: key.file_system_id.clone(),
            flows: result.as_ref().map(Listed::len).unwrap_or(0),
            error: result.as_ref().err().cloned(),
        });
        let members: Vec<u64> = self.groups[g].members.iter().copied().collect();
        let unreachable = matches!(&result, Err(e) if e.code == CONNECT_FAILED);
        let group = &mut self.groups[g];
        group.unreachable = if unreachable {
            group.unreachable + 1
        } else {
            0
        };
        match result {
            // Two listings in a row whose every page failed to connect: the endpoint is wrong
            // or unreachable, the run's problem and not the rows'. Stop (exit 3, resumable).
            Err(e) if group.unreachable >= UNREACHABLE_LISTINGS => {
                let detail = format!("{e} ({UNREACHABLE_LISTINGS} listings could not connect)");
                self.stop(StopReason::Fatal, detail);
            }
            Ok(listed) => self.settle_members(g, listed, &members, started, now),
            Err(e) if e.class == OutcomeClass::Fatal => {
                self.stop(StopReason::Fatal, e.to_string());
            }
            Err(e) if e.class == OutcomeClass::FileSystem => {
                // The file system does not exist (or cannot have flows): nothing was created.
                self.failed_fs
                    .entry(key.file_system_id.clone())
                    .or_insert_with(|| e.clone());
                for line in members {
                    self.finish(line, Final::Failed(e.clone()), None);
                }
            }
            Err(e) if e.class == OutcomeClass::Row => {
                // The service refuses this listing itself: asking again will not help. Nothing
                // is guessed: rows that may have a flow stay `unknown`, the others unsent.
                for line in members {
                    match self.rows.get(&line) {
                        Some(r) if r.outstanding => self.leave_unknown(line, e.clone()),
                        Some(_) => self.set_aside(line, e.clone()),
                        None => {}
                    }
                }
            }
            Err(e) => {
                for line in members {
                    self.listing_failed(line, &e, started, now);
                }
            }
        }
        if listing {
            let host = self.groups[g].host;
            self.listing_released(host, now);
        }
        if self.stop.is_none() {
            self.schedule_group(g, now);
        }
    }

    /// Judges the rows waiting for the group's listing; keeps what is left of a first listing
    /// for rows fed later (each directory has one row in a run).
    fn settle_members(
        &mut self,
        g: usize,
        listed: Listed,
        members: &[u64],
        started: Duration,
        now: Duration,
    ) {
        let key = &self.groups[g].key;
        let mut snapshot = Snapshot::of(listed, &key.file_system_id, &key.scope);
        for &line in members {
            let Some(e) = self.rows.get(&line) else {
                continue;
            };
            let judgement = self.judge(e, &snapshot);
            snapshot.forget(e.view());
            self.apply_judgement(line, judgement, now, Some(started));
        }
        if self.facts.looks_first && self.groups[g].kept == Kept::No {
            self.keep(g, snapshot);
        }
    }

    /// Carries out what a listing (or, with `started` None, the group's first listing) says.
    pub(super) fn apply_judgement(
        &mut self,
        line: u64,
        judgement: Judgement,
        now: Duration,
        started: Option<Duration>,
    ) {
        if !self.rows.contains_key(&line) {
            return;
        }
        match judgement {
            Judgement::Finish(f @ Final::Done { .. }) => self.finish(line, f, None),
            Judgement::Finish(Final::Missing(error)) => {
                self.listed_missing(line, error, now, started)
            }
            Judgement::Finish(f) => self.finish(line, f, None),
            Judgement::Absent(f) => self.absent(line, f, started.unwrap_or(now), now),
            Judgement::LookAgain(after) => self.look_again(line, now + after, now),
            Judgement::Watch { after, seen } => self.watch(line, after, seen, now),
            Judgement::Call {
                data_flow_id,
                task_id,
            } => self.listed_for_call(line, data_flow_id, task_id, now, started),
        }
    }

    /// A listing did not show the row's flow: missing once the row's own looks never saw it.
    fn listed_missing(
        &mut self,
        line: u64,
        error: CallError,
        now: Duration,
        started: Option<Duration>,
    ) {
        let settle = self.settings.pacing.settle;
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        // A listing can lag behind a flow just made, or skip one between two pages: a flow
        // is missing only once the row's own looks (2, 4, 8, 16, 30 s apart) never saw it.
        let Phase::Resolving(r) = &mut e.phase else {
            // Judged from an earlier listing: look again with a listing of its own.
            self.resolve(line, now, now, false, now);
            return;
        };
        let started = started.unwrap_or(now);
        if started < r.next_look {
            return;
        }
        r.listings += 1;
        if r.listings >= MAX_LISTINGS {
            self.finish(line, Final::Missing(error), None);
        } else {
            r.next_look = started + listing_delay(r.listings).max(settle);
        }
    }

    /// The row is watched: what the listing showed of it is recorded when it changed, and it is
    /// looked at again `after`.
    fn watch(&mut self, line: u64, after: Duration, seen: Option<Seen>, now: Duration) {
        let at = self.wall_ms(now);
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        if seen.is_some() && seen != e.seen {
            let before = std::mem::replace(&mut e.seen, seen.clone());
            if let Some(now_seen) = &seen {
                self.task_seen(before.as_ref(), now_seen);
            }
            let Some(e) = self.rows.get_mut(&line) else {
                return;
            };
            if let Some(seen) = seen {
                let t = Transition {
                    record: e.target(),
                    change: Change::Watched {
                        live: super::finish::live(seen, at),
                    },
                };
                self.record(t);
            }
        }
        self.look_again(line, now + after, now);
    }

    /// The listing says the row needs its call (with what it learnt of the row's flow and task),
    /// unless a call of ours may still show, or the service said the flow exists.
    fn listed_for_call(
        &mut self,
        line: u64,
        data_flow_id: Option<String>,
        task_id: Option<String>,
        now: Duration,
        started: Option<Duration>,
    ) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        if data_flow_id.is_some() {
            e.data_flow_id = data_flow_id;
        }
        match (task_id, e.task.as_mut()) {
            (Some(id), Some(task)) => task.task_id = Some(id),
            (Some(id), None) => e.call_task = Some(id),
            (None, _) => {}
        }
        let outstanding = e.outstanding;
        let Phase::Resolving(r) = &mut e.phase else {
            self.needs_call(line);
            return;
        };
        let started = started.unwrap_or(now);
        if too_early(r, outstanding, started, self.settings.pacing.settle) {
            return;
        }
        if !r.exists && !r.patient {
            // The row still needs its call: a refusal of the next one is its own.
            e.after_lost = false;
            self.groups[e.group].members.remove(&line);
            self.needs_call(line);
            return;
        }
        // The service said the directory has a flow and the listing does not show it:
        // it lags. Look again on the row's own schedule (2, 4, 8, 16, 30 s); listings that
        // other rows of the file system asked for in between do not use up its looks.
        // (The same for an operation whose creations show late with nothing else to
        // guard against a second one: the call is sent again only after those looks.)
        if started < r.next_look {
            return;
        }
        r.listings += 1;
        if r.listings >= MAX_LISTINGS && !r.exists {
            self.groups[e.group].members.remove(&line);
            self.needs_call(line);
        } else if r.listings >= MAX_LISTINGS {
            let error = CallError {
                class: OutcomeClass::Unknown,
                code: PATH_USED.into(),
                message: format!(
                    "the service says {} already has a data flow, but {} listings of {} \
                     did not show it; the next run asks again",
                    e.row.target_key(),
                    r.listings,
                    e.row.request.file_system_id
                ),
                request_id: None,
            };
            self.leave_unknown(line, error);
        } else {
            r.next_look = started + listing_delay(r.listings);
        }
    }

    /// Nothing of the row's showed in a listing that started at `started`: the row ends with
    /// `f` unless a call of ours may still make something appear (see [`Judgement::Absent`]).
    fn absent(&mut self, line: u64, f: Final, started: Duration, now: Duration) {
        let settle = self.settings.pacing.settle;
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let outstanding = e.outstanding;
        match &mut e.phase {
            Phase::Resolving(r) => {
                if !too_early(r, outstanding, started, settle) {
                    self.finish(line, f, None);
                }
            }
            // Never: a row whose call may still act is resolving. Asked again after the longest
            // such a call can take.
            _ if outstanding => {
                let due = now + self.settings.pacing.request_timeout + settle;
                self.resolve(line, due, due, false, now);
            }
            _ => self.finish(line, f, None),
        }
    }

    /// Waits for a later listing, with nothing recorded.
    fn look_again(&mut self, line: u64, at: Duration, now: Duration) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        if let Phase::Resolving(r) = &mut e.phase {
            r.next_look = at;
        } else {
            self.resolve(line, now, at, false, now);
        }
    }

    /// A listing that failed: it counts against the rows it could have settled.
    fn listing_failed(&mut self, line: u64, error: &CallError, started: Duration, now: Duration) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let outstanding = e.outstanding;
        let Phase::Resolving(r) = &mut e.phase else {
            return;
        };
        if outstanding && started < r.due {
            r.next_look = r.due;
            return;
        }
        // Only a listing at or after the row's own next look counts against it.
        if started < r.next_look {
            return;
        }
        r.listings += 1;
        if r.listings >= MAX_LISTINGS {
            if outstanding {
                // Never guess: the next run asks again.
                self.leave_unknown(line, error.clone());
            } else {
                // Nothing was sent for it: it stays as it is, and the next run looks again.
                self.set_aside(line, error.clone());
            }
        } else {
            r.next_look = now + listing_delay(r.listings);
        }
    }
}
