//! How a row leaves play: its goal reached, failed for good, left `unknown` for the next run, or
//! set aside unsent; each recorded once and told as an event.

use std::time::Duration;

use super::super::events::{Event, RowEvent};
use super::super::op::{Final, Seen};
use super::rows::{Entry, Phase};
use super::Core;
use crate::api::CallError;
use crate::store::{AttemptEnd, Change, Live, RowState, Transition, Waiting};

impl Core {
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
        let Some(e) = self.take_row(line) else {
            return;
        };
        self.leave_group(line, e.group);
        let (t, event) = match f {
            Final::Done {
                id,
                request_id,
                via,
                seen,
            } => {
                self.reached(&e, via);
                self.done(&e, id, request_id, seen, end, via_override.unwrap_or(via))
            }
            Final::Unchanged { via } => {
                self.totals.unchanged += 1;
                let ev = event_of(&e, e.state, None, via);
                self.emit(Event::Row(ev));
                return;
            }
            Final::Skipped(error) => {
                *self.totals.skipped.entry(error.code.clone()).or_default() += 1;
                let mut ev = event_of(&e, e.state, Some(&error), "skipped");
                ev.data_flow_id = e.data_flow_id.clone();
                self.emit(Event::Row(ev));
                return;
            }
            // A data task the service no longer lists: nothing to record of it, and the row is
            // not settled (the next run looks again).
            Final::Missing(error) if e.task.is_some() => {
                let ev = event_of(&e, e.state, Some(&error), "listing");
                self.emit(Event::Row(ev));
                self.totals.unsettled += 1;
                self.totals.set_aside += 1;
                return;
            }
            Final::Missing(error) => {
                self.totals.missing += 1;
                let t = Transition {
                    record: e.target(),
                    change: Change::Waiting {
                        state: Waiting::Pending,
                        error: Some((&error).into()),
                        end,
                        unknown_since_ms: None,
                    },
                };
                (t, event_of(&e, RowState::Pending, Some(&error), "listing"))
            }
            Final::Failed(error) => {
                self.totals.failed += 1;
                let via = via_override.unwrap_or(if end.is_some() { "call" } else { "listing" });
                let t = Transition {
                    record: e.target(),
                    change: Change::Failed {
                        error: (&error).into(),
                        end,
                    },
                };
                (t, event_of(&e, RowState::Failed, Some(&error), via))
            }
        };
        self.record(t);
        self.emit(Event::Row(event));
    }

    /// The record and the event of a row that reached the goal (`via` is how, as told).
    fn done(
        &mut self,
        e: &Entry,
        id: Option<String>,
        request_id: Option<String>,
        seen: Option<Seen>,
        end: Option<AttemptEnd>,
        via: &'static str,
    ) -> (Transition, RowEvent) {
        if let Some(s) = &seen {
            self.task_seen(e.seen.as_ref(), s);
        }
        let state = self.facts.done_state;
        let at_ms = self.wall_ms(self.now);
        // A row's flow is the goal's, unless the goal concerns the row's task.
        let id = match &e.task {
            Some(t) => id.or(t.task_id.clone()),
            None => id.or(e.data_flow_id.clone()),
        };
        let mut t = Transition {
            record: e.target(),
            change: Change::Done {
                state,
                id: id.clone(),
                request_id: request_id.clone(),
                end,
                answers_to: Some((e.row.fingerprint(), e.row.source_key())),
                live: seen.map(|s| live(s, at_ms)),
                rotation: None,
            },
        };
        self.op.on_done(&e.row, &mut t);
        let mut ev = event_of(e, state, None, via);
        ev.data_flow_id = match &e.task {
            Some(_) => e.data_flow_id.clone(),
            None => id,
        };
        ev.request_id = request_id;
        (t, ev)
    }

    /// Leaves a row `unknown` for the next run, which asks the service again.
    pub(super) fn leave_unknown(&mut self, line: u64, error: CallError) {
        let Some(e) = self.take_row(line) else {
            return;
        };
        self.leave_group(line, e.group);
        self.totals.left_unknown += 1;
        // Keep the latest end of the call: the next run lists at once and waits only if needed.
        let since = match &e.phase {
            Phase::Resolving(r) => r.due.saturating_sub(self.settings.pacing.settle),
            _ => Duration::ZERO,
        };
        let t = Transition {
            record: e.target(),
            change: Change::Waiting {
                state: Waiting::Unknown,
                error: Some((&error).into()),
                end: None,
                unknown_since_ms: Some(self.wall_ms(since)),
            },
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
        let Some(e) = self.take_row(line) else {
            return;
        };
        self.leave_group(line, e.group);
        self.totals.set_aside += 1;
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

/// What a listing showed, as recorded at `at_ms`.
pub(super) fn live(seen: Seen, at_ms: i64) -> Live {
    match seen {
        Seen::Flow(status) => Live::Flow { status, at_ms },
        Seen::Task(progress) => Live::Task {
            progress: *progress,
            at_ms,
        },
    }
}

pub(super) fn event_of(
    e: &Entry,
    state: RowState,
    error: Option<&CallError>,
    via: &'static str,
) -> RowEvent {
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
