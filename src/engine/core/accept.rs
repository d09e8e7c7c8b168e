//! A row fed to the core, with the one decision of what it needs ([`Resume`], made by the
//! feed): it is reported and left, or it queues, or it waits for its file system's listing.

use std::sync::Arc;
use std::time::Duration;

use super::super::events::{Event, RowEvent};
use super::super::op::TaskRef;
use super::super::resume::{Resume, DRIFT};
use super::super::task_name;
use super::rows::{Entry, Phase};
use super::{Core, FeedItem, GroupKey, HostId};
use crate::api::{CallError, OutcomeClass};
use crate::manifest::Row;
use crate::store::tasks::RowTasks;
use crate::store::{Change, Record, RowState, Synced, TaskKey, Transition};

impl Core {
    pub(super) fn accept(&mut self, item: FeedItem, host: HostId, now: Duration) {
        let FeedItem {
            row,
            synced,
            tasks,
            resume,
        } = item;
        let task = match self.task_of(&row, &synced, tasks.as_ref(), resume) {
            Some(t) => t,
            None => return,
        };
        let mut state = match &task {
            Some(t) if !t.new => tasks
                .as_ref()
                .and_then(|x| x.task.as_ref())
                .map_or(RowState::Pending, |x| x.state),
            Some(_) => RowState::Pending,
            None => synced.state,
        };
        match resume {
            Resume::Settled | Resume::Skip(_) | Resume::Drift | Resume::DriftGone => {
                return self.report_only(row, &synced, resume)
            }
            Resume::Restart => {
                state = RowState::Pending;
                self.restart(&row, &synced, task.as_ref());
            }
            Resume::Work | Resume::NewTask => {}
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
        let recorded = tasks.as_ref().and_then(|t| t.task.as_ref());
        let (calls_ever, unknown_since_ms) = match (&task, recorded) {
            (Some(t), Some(r)) if !t.new => (r.attempts, r.unknown_since_ms),
            (Some(_), _) => (0, None),
            (None, _) => (synced.attempts, synced.unknown_since_ms),
        };
        let outstanding = state == RowState::Unknown;
        self.put_in_play(row, &synced, task, state, calls_ever, host);
        self.start(line, outstanding, unknown_since_ms, now);
    }

    /// A row run again from the start (its source or request changed): recorded pending.
    fn restart(&mut self, row: &Row, synced: &Synced, task: Option<&TaskRef>) {
        let change = Change::Restart {
            fingerprint: row.fingerprint(),
            source_key: row.source_key(),
        };
        let record = match task {
            Some(t) => Record::Task(t.key),
            None => Record::Flow(synced.flow_id),
        };
        self.record(Transition { record, change });
    }

    /// The row's entry, in its group, among the rows in play.
    fn put_in_play(
        &mut self,
        row: Row,
        synced: &Synced,
        task: Option<TaskRef>,
        state: RowState,
        calls_ever: u32,
        host: HostId,
    ) {
        let line = row.line;
        let outstanding = state == RowState::Unknown;
        let mut entry = Entry {
            row: Arc::new(row),
            record: synced.flow_id,
            host,
            group: 0,
            state,
            calls_now: 0,
            calls_ever,
            data_flow_id: synced.data_flow_id.clone(),
            task,
            seen: None,
            call_task: None,
            last_error: None,
            outstanding,
            after_lost: outstanding,
            phase: Phase::Queued,
            told: None,
        };
        let key = GroupKey {
            region: entry.row.region.clone(),
            file_system_id: entry.row.request.file_system_id.clone(),
            scope: self.op.scope(entry.view()),
        };
        entry.group = self.group_for(key, host);
        self.rows.insert(line, entry);
        self.totals.in_play += 1;
    }

    /// A row in play begins: resolved first when a call of an earlier run may have acted, else
    /// judged from its file system's listing (operations that look first), else queued.
    fn start(&mut self, line: u64, outstanding: bool, since_ms: Option<i64>, now: Duration) {
        if outstanding {
            // A call of an earlier run may have acted. List at once: what shows settles the row
            // now; only a row whose call does not show waits out the call's latest end. The
            // stored latest end is on the wall clock of the run that wrote it; whatever the
            // clock did since, no call can act later than a timeout from now.
            let latest = now + self.settings.pacing.request_timeout + Duration::from_secs(1);
            let since = since_ms.map_or(latest, |ms| self.mono_of(ms).min(latest));
            let due = since + self.settings.pacing.settle;
            self.resolve(line, due, now, false, now);
        } else if self.facts.looks_first {
            self.judge_from_kept(line, now);
        } else {
            self.enqueue(line);
        }
    }

    /// The row's data task for operations on tasks: its recorded latest one, or a new one;
    /// `Some(None)` for operations on flows; `None` when the row cannot be taken (no task
    /// recorded for an operation that needs one).
    #[expect(
        clippy::option_option,
        reason = "not a task operation vs. no task to work on"
    )]
    fn task_of(
        &mut self,
        row: &Row,
        synced: &Synced,
        tasks: Option<&RowTasks>,
        resume: Resume,
    ) -> Option<Option<TaskRef>> {
        let Some(kind) = self.facts.task else {
            return Some(None);
        };
        let recorded = tasks.and_then(|t| t.task.as_ref());
        if resume == Resume::NewTask {
            let generation = recorded.map_or(1, |t| t.generation + 1);
            let key = TaskKey {
                flow_id: synced.flow_id,
                kind,
                generation,
            };
            let name = task_name::name(&self.settings.task_nonce, row, kind, generation);
            return Some(Some(TaskRef {
                key,
                name,
                task_id: None,
                first_sent_ms: None,
                new: true,
            }));
        }
        match recorded {
            Some(t) => Some(Some(TaskRef {
                key: TaskKey {
                    flow_id: synced.flow_id,
                    kind,
                    generation: t.generation,
                },
                name: t.name.clone(),
                task_id: t.task_id.clone(),
                first_sent_ms: t.first_sent_ms,
                new: false,
            })),
            // Only settled, skipped or reported rows come without a task.
            None if matches!(resume, Resume::Work | Resume::Restart) => None,
            None => Some(None),
        }
    }

    /// A row that needs no work: told (and recorded, for a drift), never put in play.
    fn report_only(&mut self, row: Row, synced: &Synced, resume: Resume) {
        let mut ev = RowEvent::earlier(&row, synced);
        if !matches!(resume, Resume::Skip(_)) {
            self.settled(vec![(synced.state, 1)]);
        }
        match resume {
            Resume::Drift => {
                let error = drift(&row);
                self.record(Transition {
                    record: Record::Flow(synced.flow_id),
                    change: Change::Drift {
                        error: (&error).into(),
                    },
                });
                ev.error_code = Some(error.code);
                ev.error_message = Some(error.message);
            }
            Resume::DriftGone => self.record(Transition {
                record: Record::Flow(synced.flow_id),
                change: Change::DriftGone,
            }),
            Resume::Skip(code) => {
                let error = self.op.skip_error(&row, synced, code);
                *self.totals.skipped.entry(code.to_owned()).or_default() += 1;
                ev.earlier = false;
                ev.via = "skipped";
                ev.error_code = Some(error.code);
                ev.error_message = Some(error.message);
            }
            _ => {}
        }
        self.emit(Event::Row(ev));
    }
}

/// The error reported for a created row whose source the manifest changed.
fn drift(row: &Row) -> CallError {
    CallError {
        class: OutcomeClass::Row,
        code: DRIFT.into(),
        message: format!(
            "{} of {} was created from another source than the manifest now names; a flow's \
             source cannot be changed: restore the row's source in the manifest (then `bulkflow \
             run MANIFEST` reports it no more)",
            row.target_key(),
            row.request.file_system_id
        ),
        request_id: None,
    }
}
