//! A row fed to the core: what the state file knows of it and what the manifest says now decide
//! whether it needs work ([`resume::decide`]), then it queues, or waits for its file system's
//! listing.

use std::sync::Arc;
use std::time::Duration;

use super::super::events::{Event, RowEvent};
use super::super::resume::{Known, Resume, DRIFT};
use super::rows::{Entry, Phase};
use super::{Core, HostId};
use crate::api::{CallError, OutcomeClass};
use crate::manifest::Row;
use crate::store::{Change, Record, RowState, Synced, Transition};

impl Core {
    pub(super) fn accept(&mut self, row: Row, synced: Synced, host: HostId, now: Duration) {
        let fingerprint = row.fingerprint();
        let source_key = row.source_key();
        let known = Known {
            state: synced.state,
            error_code: synced.error_code.as_deref(),
            fingerprint: (&synced.fingerprint, &fingerprint),
            source: (synced.source_key.as_deref(), &source_key),
            rotation: synced.rotation,
        };
        let mut state = synced.state;
        match self.op.resume(known, self.settings.retry_failed) {
            Resume::Settled => {
                self.emit(Event::Row(RowEvent::earlier(&row, &synced)));
                return;
            }
            Resume::Drift => {
                let error = drift(&row);
                self.record(Transition {
                    record: Record::Flow(synced.flow_id),
                    change: Change::Drift {
                        error: (&error).into(),
                    },
                });
                let mut ev = RowEvent::earlier(&row, &synced);
                ev.error_code = Some(error.code);
                ev.error_message = Some(error.message);
                self.emit(Event::Row(ev));
                return;
            }
            Resume::DriftGone => {
                self.record(Transition {
                    record: Record::Flow(synced.flow_id),
                    change: Change::DriftGone,
                });
                self.emit(Event::Row(RowEvent::earlier(&row, &synced)));
                return;
            }
            Resume::Restart => {
                state = RowState::Pending;
                self.record(Transition {
                    record: Record::Flow(synced.flow_id),
                    change: Change::Restart {
                        fingerprint,
                        source_key,
                    },
                });
            }
            Resume::Work => {}
        }
        let line = row.line;
        if let Some(first) = self.records.get(&synced.flow_id) {
            // Two rows of this run for one directory: the manifest changed after validation.
            let detail = format!(
                "line {line} names the directory of line {first} again: the manifest changed \
                 during the run; run again to validate and resume it"
            );
            self.stop(super::super::StopReason::Manifest, detail);
            return;
        }
        self.records.insert(synced.flow_id, line);
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
            data_flow_id: synced.data_flow_id.clone(),
            task: None,
            seen: None,
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
        } else if self.facts.looks_first {
            if !self.judge_from_snapshot(line, now) {
                self.resolve(line, now, now, false, now);
            }
        } else {
            self.enqueue(line);
        }
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
