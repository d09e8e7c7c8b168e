//! A row's life through its calls: fed, queued, given a slot (recorded before it is sent),
//! answered, and finished, retried or sent to resolution.

use std::sync::Arc;
use std::time::Duration;

use super::super::events::{Event, RowEvent};
use super::super::op::{AfterCall, Answer, Final};
use super::super::resume::{self, Known, Resume, DRIFT};
use super::{waiting_state, Core, HostId, Wake};
use crate::api::{CallError, OutcomeClass};
use crate::manifest::Row;
use crate::store::{AttemptBegin, AttemptEnd, RowState, Synced, Transition};

/// Where a row in play is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// In its host's ready queue.
    Queued,
    /// Waiting for its pacing slot.
    WaitingSlot,
    /// Its call is recorded and sent (or about to be); `attempt` over all runs.
    InFlight { attempt: u32, sent: Duration },
    /// Waiting out a backoff.
    Backoff { until: Duration },
    /// Waiting for a listing of its file system.
    Resolving(Resolve),
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
    /// Listings that could not settle the row (failed, or did not show a flow the service says
    /// exists); counted for this row only.
    pub listings: u32,
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
    /// The last error, kept across transitions until the row ends.
    pub last_error: Option<CallError>,
    /// Whether a call of ours for this row may have acted (it was sent, by this run or one
    /// before, and its outcome is not known).
    pub outstanding: bool,
    pub phase: Phase,
}

impl Core {
    pub(super) fn accept(&mut self, row: Row, synced: Synced, host: HostId, now: Duration) {
        let fingerprint = row.fingerprint();
        let source_key = row.source_key();
        let known = Known {
            state: synced.state,
            error_code: synced.error_code.as_deref(),
            fingerprint: (&synced.fingerprint, &fingerprint),
            source: (synced.source_key.as_deref(), &source_key),
        };
        let mut state = synced.state;
        match resume::decide(known, self.settings.retry_failed) {
            Resume::Settled => {
                self.emit(Event::Row(earlier(&row, &synced)));
                return;
            }
            Resume::Drift => {
                let error = drift(&row);
                let t = Transition {
                    data_flow_id: synced.data_flow_id.clone(),
                    ..Transition::new(synced.flow_id, RowState::Created, Some(&error))
                };
                self.record(t);
                let mut ev = earlier(&row, &synced);
                ev.error_code = Some(error.code);
                ev.error_message = Some(error.message);
                self.emit(Event::Row(ev));
                return;
            }
            Resume::DriftGone => {
                self.record(Transition::new(synced.flow_id, RowState::Created, None));
                self.emit(Event::Row(earlier(&row, &synced)));
                return;
            }
            Resume::Restart => {
                state = RowState::Pending;
                self.record(Transition {
                    fingerprint: Some(fingerprint),
                    source_key: Some(source_key),
                    ..Transition::new(synced.flow_id, RowState::Pending, None)
                });
            }
            Resume::Work => {}
        }
        let line = row.line;
        let group = self.group_for(&row, host);
        let outstanding = state == RowState::Unknown;
        let entry = Entry {
            row: Arc::new(row),
            record: synced.flow_id,
            host,
            group,
            state,
            calls_now: 0,
            calls_ever: synced.attempts,
            last_error: None,
            outstanding,
            phase: Phase::Queued,
        };
        self.rows.insert(line, entry);
        if outstanding {
            // A call of an earlier run may have acted. List at once: a flow that shows settles
            // the row now; only a row whose flow does not show waits out the call's latest end.
            // The stored latest end is on the wall clock of the run that wrote it; whatever
            // the clock did since, no call can act later than a timeout from now.
            let latest = now + self.settings.request_timeout + Duration::from_secs(1);
            let since = synced
                .unknown_since_ms
                .map_or(latest, |ms| self.mono_of(ms).min(latest));
            let due = since + self.settings.settle;
            self.resolve(line, due, now, false, now);
        } else if self.op.looks_first() {
            if !self.judge_from_snapshot(line, now) {
                self.resolve(line, now, now, false, now);
            }
        } else {
            self.enqueue(line);
        }
    }

    pub(super) fn slot_granted(&mut self, line: u64, slot: Duration) {
        let timeout = self.settings.request_timeout;
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
        };
        e.state = RowState::Unknown;
        // The latest moment the call can end: its slot, the timeout, and a second of slack.
        let latest_end = slot + timeout + Duration::from_secs(1);
        let (record, attempt, row) = (e.record, e.calls_ever, e.row.clone());
        let error = e.last_error.clone();
        let host = e.host;
        let mark = Transition {
            unknown_since_ms: Some(self.wall_ms(latest_end)),
            attempts: Some(attempt),
            begin: Some(AttemptBegin {
                attempt,
                run_id,
                sent_at_ms: self.wall_ms(slot),
            }),
            ..Transition::new(record, RowState::Unknown, error.as_ref())
        };
        self.out.push_back(super::Command::Send {
            line,
            host,
            row,
            slot,
            mark,
        });
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
        self.rows.remove(&line);
    }

    pub(super) fn answered(
        &mut self,
        line: u64,
        result: Result<Answer, CallError>,
        latency: Duration,
        now: Duration,
    ) {
        let class = match &result {
            Ok(_) => OutcomeClass::Success,
            Err(e) => e.class,
        };
        self.totals.calls += 1;
        if class == OutcomeClass::Throttled {
            self.totals.throttled += 1;
        }
        self.emit(Event::Call { class, latency });
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let host = e.host;
        let Phase::InFlight { attempt, .. } = e.phase else {
            return;
        };
        let calls_now = e.calls_now;
        self.host_mut(host).busy -= 1;
        let end = AttemptEnd {
            attempt,
            ended_at_ms: self.wall_ms(now),
            outcome: class.as_str(),
            error_code: result.as_ref().err().map(|e| e.code.clone()),
            request_id: match &result {
                Ok(a) => Some(a.request_id.clone()),
                Err(e) => e.request_id.clone(),
            },
            latency_ms: latency.as_millis().min(i64::MAX as u128) as i64,
        };
        let decision = self
            .op
            .after_call(&result, calls_now, self.settings.max_attempts);
        match decision {
            AfterCall::Finish(f) => self.finish(line, f, Some(end)),
            AfterCall::FailFileSystem(error) => {
                if let Some(e) = self.rows.get(&line) {
                    let fs = e.row.request.file_system_id.clone();
                    self.failed_fs.entry(fs).or_insert_with(|| error.clone());
                }
                self.finish(line, Final::Failed(error), Some(end));
            }
            AfterCall::Retry { backoff, error } => {
                let delay = backoff.delay(calls_now, &mut self.rng);
                self.set_waiting(line, RowState::Retrying, error, Some(end), None);
                if let Some(e) = self.rows.get_mut(&line) {
                    e.outstanding = false;
                    e.phase = Phase::Backoff { until: now + delay };
                }
                self.wake_at(now + delay, Wake::Retry(line));
            }
            AfterCall::Resolve { exists, error } => {
                let since = self.wall_ms(now);
                self.set_waiting(line, RowState::Unknown, error, Some(end), Some(since));
                let due = now + self.settings.settle;
                self.resolve(line, due, due, exists, now);
            }
            AfterCall::Fatal(error) => {
                // The call did not act: the row goes back to waiting for a call.
                if let Some(e) = self.rows.get_mut(&line) {
                    e.outstanding = false;
                }
                let state = self.rows.get(&line).map_or(RowState::Pending, |e| e.state);
                let back = waiting_state(state);
                self.set_waiting(line, back, error.clone(), Some(end), None);
                self.rows.remove(&line);
                self.stop(super::super::StopReason::Fatal, error.to_string());
            }
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
    fn set_waiting(
        &mut self,
        line: u64,
        state: RowState,
        error: CallError,
        end: Option<AttemptEnd>,
        unknown_since_ms: Option<i64>,
    ) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.state = state;
        e.last_error = Some(error.clone());
        let t = Transition {
            unknown_since_ms,
            attempt: end,
            ..Transition::new(e.record, state, Some(&error))
        };
        let event = self.row_event(line, state, Some(&error), None, "call");
        self.record(t);
        self.emit(Event::Row(event));
    }

    /// A row whose listing says it still needs its call.
    pub(super) fn needs_call(&mut self, line: u64) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.outstanding = false;
        if e.calls_now >= self.settings.max_attempts {
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
            let error = e.last_error.clone();
            let t = Transition::new(e.record, RowState::Retrying, error.as_ref());
            self.record(t);
        }
        self.enqueue(line);
    }

    pub(super) fn fail_without_call(&mut self, line: u64, error: CallError) {
        let error = CallError {
            message: format!(
                "not attempted: the file system failed earlier: {}",
                error.message
            ),
            ..error
        };
        self.finish_via(line, Final::Failed(error), None, Some("file system"));
    }

    /// Ends a row: its goal reached, or failed for good.
    pub(super) fn finish(&mut self, line: u64, f: Final, end: Option<AttemptEnd>) {
        self.finish_via(line, f, end, None);
    }

    fn finish_via(
        &mut self,
        line: u64,
        f: Final,
        end: Option<AttemptEnd>,
        via_override: Option<&'static str>,
    ) {
        let Some(e) = self.rows.remove(&line) else {
            return;
        };
        self.leave_group(line, e.group);
        let (t, event) = match f {
            Final::Done {
                data_flow_id,
                request_id,
                via,
            } => {
                self.totals.done += 1;
                let state = self.op.done_state();
                let t = Transition {
                    data_flow_id: data_flow_id.clone(),
                    request_id: request_id.clone(),
                    attempt: end,
                    fingerprint: Some(e.row.fingerprint()),
                    source_key: Some(e.row.source_key()),
                    ..Transition::new(e.record, state, None)
                };
                let mut ev = event_of(&e, state, None, via_override.unwrap_or(via));
                ev.data_flow_id = data_flow_id;
                ev.request_id = request_id;
                (t, ev)
            }
            Final::Failed(error) => {
                let t = Transition {
                    attempt: end,
                    ..Transition::new(e.record, RowState::Failed, Some(&error))
                };
                let via = via_override.unwrap_or(if end_is_call(&t) { "call" } else { "listing" });
                (t, event_of(&e, RowState::Failed, Some(&error), via))
            }
        };
        self.record(t);
        self.emit(Event::Row(event));
    }

    /// Leaves a row `unknown` for the next run, which asks the service again.
    pub(super) fn leave_unknown(&mut self, line: u64, error: CallError) {
        let Some(e) = self.rows.remove(&line) else {
            return;
        };
        self.leave_group(line, e.group);
        // Keep the latest end of the call: the next run lists at once and waits only if needed.
        let since = match &e.phase {
            Phase::Resolving(r) => r.due.saturating_sub(self.settings.settle),
            _ => Duration::ZERO,
        };
        let t = Transition {
            unknown_since_ms: Some(self.wall_ms(since)),
            ..Transition::new(e.record, RowState::Unknown, Some(&error))
        };
        self.record(t);
        self.emit(Event::Row(event_of(
            &e,
            RowState::Unknown,
            Some(&error),
            "listing",
        )));
    }

    /// Takes a row out of play without changing its record (it was never sent): the run ends
    /// unfinished and the next run takes the row up.
    pub(super) fn set_aside(&mut self, line: u64, error: CallError) {
        let Some(e) = self.rows.remove(&line) else {
            return;
        };
        self.leave_group(line, e.group);
        let state = e.state;
        self.emit(Event::Row(event_of(&e, state, Some(&error), "listing")));
    }

    pub(super) fn row_event(
        &self,
        line: u64,
        state: RowState,
        error: Option<&CallError>,
        data_flow_id: Option<String>,
        via: &'static str,
    ) -> RowEvent {
        let mut ev = match self.rows.get(&line) {
            Some(e) => event_of(e, state, error, via),
            None => RowEvent {
                line,
                file_system_id: String::new(),
                target_path: String::new(),
                state,
                data_flow_id: None,
                error_code: error.map(|e| e.code.clone()),
                error_message: error.map(|e| e.message.clone()),
                request_id: error.and_then(|e| e.request_id.clone()),
                attempt: 0,
                earlier: false,
                via,
            },
        };
        ev.data_flow_id = data_flow_id;
        ev
    }
}

fn end_is_call(t: &Transition) -> bool {
    t.attempt.is_some()
}

fn event_of(e: &Entry, state: RowState, error: Option<&CallError>, via: &'static str) -> RowEvent {
    RowEvent {
        line: e.row.line,
        file_system_id: e.row.request.file_system_id.clone(),
        target_path: e.row.request.target_path.clone(),
        state,
        data_flow_id: None,
        error_code: error.map(|x| x.code.clone()),
        error_message: error.map(|x| x.message.clone()),
        request_id: error.and_then(|x| x.request_id.clone()),
        attempt: e.calls_ever,
        earlier: false,
        via,
    }
}

/// The event of a row that was final before this run.
fn earlier(row: &Row, synced: &Synced) -> RowEvent {
    RowEvent {
        line: row.line,
        file_system_id: row.request.file_system_id.clone(),
        target_path: row.request.target_path.clone(),
        state: synced.state,
        data_flow_id: synced.data_flow_id.clone(),
        error_code: None,
        error_message: None,
        request_id: None,
        attempt: synced.attempts,
        earlier: true,
        via: "resume",
    }
}

/// The error reported for a created row whose source the manifest changed.
fn drift(row: &Row) -> CallError {
    CallError {
        class: OutcomeClass::Row,
        code: DRIFT.into(),
        message: format!(
            "{} of {} was created from another source than the manifest now names; a flow's \
             source cannot be changed: restore the row, or delete the flow and run again",
            row.target_key(),
            row.request.file_system_id
        ),
        request_id: None,
    }
}
