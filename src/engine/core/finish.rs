//! How a row leaves play: its goal reached, failed for good, left `unknown` for the next run, or
//! set aside unsent; each recorded once and told as an event.

use std::time::Duration;

use super::super::events::{Event, RowEvent};
use super::super::op::Final;
use super::rows::{Entry, Phase};
use super::Core;
use crate::api::CallError;
use crate::store::{AttemptEnd, RowState, Transition};

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
                data_flow_id,
                request_id,
                via,
                flow_status,
            } => {
                self.totals.done += 1;
                let state = self.facts.done_state;
                let at = self.wall_ms(self.now);
                let mut t = Transition {
                    data_flow_id: data_flow_id.clone().or(e.data_flow_id.clone()),
                    request_id: request_id.clone(),
                    attempt: end,
                    fingerprint: Some(e.row.fingerprint()),
                    source_key: Some(e.row.source_key()),
                    flow_status: flow_status.map(|s| (s, at)),
                    ..Transition::new(e.record, state, None)
                };
                self.op.on_done(&mut t);
                let mut ev = event_of(&e, state, None, via_override.unwrap_or(via));
                ev.data_flow_id = t.data_flow_id.clone();
                ev.request_id = request_id;
                (t, ev)
            }
            Final::Unchanged { via } => {
                let ev = event_of(&e, e.state, None, via);
                self.emit(Event::Row(ev));
                return;
            }
            Final::Missing(error) => {
                let t = Transition {
                    attempt: end,
                    ..Transition::new(e.record, RowState::Pending, Some(&error))
                };
                (t, event_of(&e, RowState::Pending, Some(&error), "listing"))
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
        let Some(e) = self.take_row(line) else {
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
        let Some(e) = self.take_row(line) else {
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
