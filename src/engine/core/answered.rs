//! A row's call answered: counted, recorded with its end, and what the operation decides after
//! it carried out (finished, retried, held, resolved, or the run stopped).

use std::time::Duration;

use super::super::op::{AfterCall, Answer, Final, Tries};
use super::rows::Phase;
use super::{waiting_state, Core, Wake};
use crate::api::{CallError, OutcomeClass};
use crate::store::{AttemptEnd, RowState, Waiting};

impl Core {
    /// A row's call ended with `result` after `latency`.
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
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let host = e.host;
        let Phase::InFlight {
            attempt, before, ..
        } = e.phase
        else {
            return;
        };
        let calls_now = e.calls_now;
        let fs = e.row.request.file_system_id.clone();
        self.host_mut(host).busy -= 1;
        if result.is_ok() {
            self.took(&fs);
        }
        let end = attempt_end(attempt, self.wall_ms(now), &result, class, latency);
        let mut tries = Tries::new(calls_now, self.settings.pacing.max_attempts);
        if let Some(e) = self.rows.get_mut(&line) {
            tries.after_lost = e.after_lost;
            e.after_lost |= class == OutcomeClass::Unknown;
        }
        let decision = self.op.after_call(&result, tries);
        self.carry_out(line, decision, end, calls_now, before, now);
    }

    /// Carries out what the operation decided after a row's call (its `calls_now`th this run,
    /// from state `before`).
    fn carry_out(
        &mut self,
        line: u64,
        decision: AfterCall,
        end: AttemptEnd,
        calls_now: u32,
        before: RowState,
        now: Duration,
    ) {
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
                self.set_waiting(line, Waiting::Retrying, error, Some(end), None);
                if let Some(e) = self.rows.get_mut(&line) {
                    e.outstanding = false;
                    e.phase = Phase::Backoff { until: now + delay };
                }
                if delay.is_zero() {
                    self.enqueue(line);
                } else {
                    self.wake_at(now + delay, Wake::Retry(line));
                }
            }
            AfterCall::Hold(error) => {
                self.set_waiting(line, Waiting::Retrying, error, Some(end), None);
                self.hold(line, now);
            }
            AfterCall::Resolve { exists, error } => {
                let since = self.wall_ms(now);
                self.set_waiting(line, Waiting::Unknown, error, Some(end), Some(since));
                let due = now + self.settings.pacing.settle;
                self.resolve(line, due, due, exists, now);
            }
            AfterCall::Fatal(error) => {
                // The call did not act: the row goes back to waiting for a call.
                if let Some(e) = self.rows.get_mut(&line) {
                    e.outstanding = false;
                }
                let back = waiting_state(before);
                self.set_waiting(line, back, error.clone(), Some(end), None);
                if self.take_row(line).is_some() {
                    self.totals.set_aside += 1;
                }
                self.stop(super::super::StopReason::Fatal, error.to_string());
            }
        }
    }
}

/// The record of a call's end: when, how it ended, and the service's request id.
fn attempt_end(
    attempt: u32,
    ended_at_ms: i64,
    result: &Result<Answer, CallError>,
    class: OutcomeClass,
    latency: Duration,
) -> AttemptEnd {
    AttemptEnd {
        attempt,
        ended_at_ms,
        outcome: class.as_str(),
        error_code: result.as_ref().err().map(|e| e.code.clone()),
        request_id: match result {
            Ok(a) => Some(a.request_id.clone()),
            Err(e) => e.request_id.clone(),
        },
        latency_ms: latency.as_millis().min(i64::MAX as u128) as i64,
    }
}
