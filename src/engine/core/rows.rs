//! A row's life through its calls: fed, queued, given a slot (recorded before it is sent),
//! answered (`answered.rs`), and finished, retried or sent to resolution.

use std::sync::Arc;
use std::time::Duration;

use super::super::events::Event;
use super::super::op::{Final, RowView, Seen, TaskRef};
use super::{Core, HostId};
use crate::api::{CallError, OutcomeClass};
use crate::manifest::Row;
use crate::store::{
    AttemptBegin, AttemptEnd, Change, ErrorRecord, Record, RowState, Transition, Waiting,
};

/// Where a row in play is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// In its host's ready queue.
    Queued,
    /// Waiting for its pacing slot.
    WaitingSlot,
    /// Its call is recorded and sent (or about to be); `attempt` over all runs; `before`, the
    /// state it had before the call.
    InFlight {
        attempt: u32,
        sent: Duration,
        before: RowState,
    },
    /// Waiting out a backoff.
    Backoff { until: Duration },
    /// Waiting for its file system's hold to end (see `hold.rs`).
    Held,
    /// Waiting for a listing of its file system.
    Resolving(Resolve),
    /// Waiting for what its group's first listing left for it (see `kept.rs`).
    Looking,
}

/// A row waiting for a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolve {
    /// A call of ours may still act until this time: a listing that starts earlier and does not
    /// show the flow proves nothing.
    pub due: Duration,
    /// When the row wants its next listing.
    pub next_look: Duration,
    /// The service said the row's directory already has a flow.
    pub exists: bool,
    /// A call of ours may have acted and nothing but a listing guards against a second: its
    /// absence is proven only by the row's own looks (see [`Facts::patient`]).
    ///
    /// [`Facts::patient`]: super::super::op::Facts::patient
    pub patient: bool,
    /// Listings that could not settle the row (failed, or did not show a flow the service says
    /// exists); counted for this row only.
    pub listings: u32,
    /// A row resumed from a killed run looks once more a settle time after its first look: a
    /// call that reached the service just before the kill shows by then.
    pub early_look: bool,
}

/// A row in play.
pub struct Entry {
    pub row: Arc<Row>,
    /// The row's id in the state file.
    pub record: i64,
    pub host: HostId,
    pub group: usize,
    /// The state the state file holds for it.
    pub state: RowState,
    /// Calls sent for it by this run.
    pub calls_now: u32,
    /// Calls sent for it by every run.
    pub calls_ever: u32,
    /// The row's flow: as recorded, or as a listing found it.
    pub data_flow_id: Option<String>,
    /// The row's data task, for operations on tasks: their calls and listings concern it, and
    /// their changes are recorded on it.
    pub task: Option<TaskRef>,
    /// What a listing showed of the flow or task, as last recorded by this run.
    pub seen: Option<Seen>,
    /// A task the next call acts on that is not the row's own (one a listing named).
    pub call_task: Option<String>,
    /// The last error, kept across transitions until the row ends.
    pub last_error: Option<CallError>,
    /// Whether a call of ours for this row may have acted (it was sent, by this run or one
    /// before, and its outcome is not known).
    pub outstanding: bool,
    /// Whether a call for this row may have acted unanswered (a lost answer, of this run or a
    /// killed one) since a listing last showed that the row still needs its call.
    pub after_lost: bool,
    pub phase: Phase,
    /// The state its last event told while in play (`retrying`, `unknown`), for the counts.
    pub told: Option<RowState>,
}

impl Entry {
    /// The record the row's changes go to.
    pub fn target(&self) -> Record {
        match &self.task {
            Some(t) => Record::Task(t.key),
            None => Record::Flow(self.record),
        }
    }

    /// What the operation is told of the row.
    pub fn view(&self) -> RowView<'_> {
        RowView {
            row: &self.row,
            data_flow_id: self.data_flow_id.as_deref(),
            task: self.task.as_ref(),
            call_task: self.call_task.as_deref(),
            calls_ever: self.calls_ever,
        }
    }
}

impl Core {
    pub(super) fn slot_granted(&mut self, line: u64, slot: Duration) {
        let timeout = self.settings.pacing.request_timeout;
        let run_id = self.settings.run_id;
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.calls_now += 1;
        e.calls_ever += 1;
        e.outstanding = true;
        e.phase = Phase::InFlight {
            attempt: e.calls_ever,
            sent: slot,
            before: e.state,
        };
        e.state = RowState::Unknown;
        // The latest moment the call can end: its slot, the timeout, and a second of slack.
        let latest_end = slot + timeout + Duration::from_secs(1);
        let attempt = e.calls_ever;
        let request = Box::new(self.op.request(e.view()));
        let region = e.row.region.clone();
        let host = e.host;
        let sent_at_ms = self.settings.epoch_ms.saturating_add(millis(slot));
        let mut new_task = None;
        if let Some(t) = &mut e.task {
            t.first_sent_ms.get_or_insert(sent_at_ms);
            if std::mem::take(&mut t.new) {
                new_task = Some(Transition {
                    record: Record::Task(t.key),
                    change: Change::NewTask {
                        name: t.name.clone(),
                    },
                });
            }
        }
        let mark = Transition {
            record: e.target(),
            change: Change::Sending {
                begin: AttemptBegin {
                    attempt,
                    run_id,
                    sent_at_ms,
                },
                unknown_since_ms: self.settings.epoch_ms.saturating_add(millis(latest_end)),
                error: e.last_error.as_ref().map(ErrorRecord::from),
            },
        };
        if let Some(t) = new_task {
            // Queued before the mark: the writer commits in order.
            self.record(t);
        }
        let mark = self.facts.records_calls.then_some(mark);
        self.out.push_back(super::Command::Send(super::Call {
            line,
            host,
            region,
            request,
            slot,
            mark,
        }));
    }

    /// A call that never left: the row is where it was, nothing was recorded.
    pub(super) fn not_sent(&mut self, line: u64) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let host = e.host;
        if let Phase::InFlight { .. } = e.phase {
            // Its mark could not be written (the store failed): it was not sent either.
            e.calls_now -= 1;
            e.calls_ever -= 1;
        }
        self.host_mut(host).busy -= 1;
        // Left as the state file has it; the next run takes it up.
        if self.take_row(line).is_some() {
            self.totals.set_aside += 1;
        }
    }

    pub(super) fn retry_due(&mut self, line: u64, t: Duration) {
        let due = self
            .rows
            .get(&line)
            .is_some_and(|e| e.phase == Phase::Backoff { until: t });
        if due {
            self.enqueue(line);
        }
    }

    /// Records a row that waits (for a call or a listing) with its error.
    pub(super) fn set_waiting(
        &mut self,
        line: u64,
        state: Waiting,
        error: CallError,
        end: Option<AttemptEnd>,
        unknown_since_ms: Option<i64>,
    ) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.state = state.state();
        e.last_error = Some(error.clone());
        let t = Transition {
            record: e.target(),
            change: Change::Waiting {
                state,
                error: Some((&error).into()),
                end,
                unknown_since_ms,
            },
        };
        let event = self.row_event(line, state.state(), Some(&error), None, "call");
        self.record(t);
        self.emit(Event::Row(event));
        self.told(line, state.state());
    }

    /// A row whose listing says it still needs its call.
    pub(super) fn needs_call(&mut self, line: u64) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let maybe_acted = e.outstanding;
        e.outstanding = false;
        if e.calls_now >= self.settings.pacing.max_attempts && maybe_acted {
            // Its last call may have acted and a listing that lags more than the settle time
            // would not show it: out of attempts, the row is left for the next run to ask again,
            // never failed on a guess.
            let error = e.last_error.clone().unwrap_or_else(|| CallError {
                class: OutcomeClass::Unknown,
                code: "Unknown".into(),
                message: "no answer".into(),
                request_id: None,
            });
            let error = super::super::op::gave_up(error, e.calls_now);
            e.outstanding = true;
            self.leave_unknown(line, error);
            return;
        }
        if e.calls_now >= self.settings.pacing.max_attempts {
            let error = e.last_error.clone().unwrap_or_else(|| CallError {
                class: OutcomeClass::Unknown,
                code: "Unknown".into(),
                message: "no answer".into(),
                request_id: None,
            });
            let error = super::super::op::gave_up(error, e.calls_now);
            self.finish(line, Final::Failed(error), None);
            return;
        }
        if e.state == RowState::Unknown {
            e.state = RowState::Retrying;
            let t = Transition {
                record: e.target(),
                change: Change::Waiting {
                    state: Waiting::Retrying,
                    error: e.last_error.as_ref().map(ErrorRecord::from),
                    end: None,
                    unknown_since_ms: None,
                },
            };
            self.record(t);
        }
        self.enqueue(line);
    }
}

/// Milliseconds of a monotonic time, for the wall clock.
pub(super) fn millis(t: Duration) -> i64 {
    t.as_millis().min(i64::MAX as u128) as i64
}
