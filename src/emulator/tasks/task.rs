//! One data task as the emulator holds it: its parameters, its size and fate, where it is in
//! its life, and its two outward forms (the listing, and the record tests read).

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::kinds::{NewTask, TaskStatus};
use super::size::{counts, Counts, Fate, Size};
use crate::emulator::clock::{later, service_time};

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Phase {
    /// `init`: in its file system's queue.
    Waiting,
    /// `running` since this instant, in one of its file system's slots.
    Running { since: Instant },
    /// `stopping` until `until`, its progress frozen at `fraction` (a task stopped while
    /// running keeps its slot until then).
    Stopping { until: Instant, fraction: f64 },
    /// `finished`, `failed` or `stopped` at `at`, frozen at `fraction`.
    Ended {
        status: TaskStatus,
        at: Instant,
        fraction: f64,
    },
}

/// One task (ended ones are kept, and listed while their creation is in a window).
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) new: NewTask,
    /// Added by a test ([`crate::emulator::Emulator::add_task`]), not by a call.
    pub(crate) added: bool,
    pub(crate) created_at: Instant,
    pub(crate) creation_unix_ms: i64,
    /// DescribeLifecycleDataTask shows it from this instant on (`--listing-delay-ms`).
    pub(crate) listed_at: Instant,
    pub(crate) size: Size,
    pub(crate) fate: Fate,
    /// How long it runs from start to end (without failing).
    pub(crate) run_for: Duration,
    pub(crate) phase: Phase,
    /// StopLifecycleDataTask calls that named it (any outcome).
    pub(crate) stop_calls: u32,
}

impl Task {
    /// Its status; the table must have advanced it to the present first.
    pub(crate) fn status(&self) -> TaskStatus {
        match self.phase {
            Phase::Waiting => TaskStatus::Init,
            Phase::Running { .. } => TaskStatus::Running,
            Phase::Stopping { .. } => TaskStatus::Stopping,
            Phase::Ended { status, .. } => status,
        }
    }

    /// The share of its way done at `now`.
    pub(crate) fn fraction(&self, now: Instant) -> f64 {
        match self.phase {
            Phase::Waiting => 0.0,
            Phase::Running { since } => {
                let ran = now.saturating_duration_since(since);
                if self.run_for.is_zero() {
                    1.0
                } else {
                    (ran.as_secs_f64() / self.run_for.as_secs_f64()).min(1.0)
                }
            }
            Phase::Stopping { fraction, .. } | Phase::Ended { fraction, .. } => fraction,
        }
    }

    /// When its present phase ends by itself: the end of its run (or the point where it
    /// fails), or the end of its stopping; `None` while it waits or once it ended.
    pub(crate) fn phase_ends(&self) -> Option<Instant> {
        match self.phase {
            Phase::Running { since } => {
                let way = self.fate.fail_at.unwrap_or(1.0);
                let ran = if way >= 1.0 {
                    self.run_for
                } else {
                    self.run_for.mul_f64(way)
                };
                Some(later(since, ran))
            }
            Phase::Stopping { until, .. } => Some(until),
            Phase::Waiting | Phase::Ended { .. } => None,
        }
    }

    /// Ends the present phase at `at` (its [`Task::phase_ends`]): `finished` or `failed`
    /// after running, `stopped` after stopping.
    pub(crate) fn settle(&mut self, at: Instant) {
        self.phase = match self.phase {
            Phase::Running { .. } => match self.fate.fail_at {
                Some(way) if way < 1.0 => Phase::Ended {
                    status: TaskStatus::Failed,
                    at,
                    fraction: way,
                },
                _ => Phase::Ended {
                    status: TaskStatus::Finished,
                    at,
                    fraction: 1.0,
                },
            },
            Phase::Stopping { fraction, .. } => Phase::Ended {
                status: TaskStatus::Stopped,
                at,
                fraction,
            },
            other => other,
        };
    }

    /// Its files and bytes at `now`.
    pub(crate) fn counts(&self, now: Instant) -> Counts {
        counts(self.size, &self.fate, self.fraction(now))
    }

    /// Unix seconds of its creation.
    pub(crate) fn creation_unix(&self) -> i64 {
        self.creation_unix_ms.div_euclid(1000)
    }

    /// `CreationTime` as the service writes it.
    pub(crate) fn creation_time(&self) -> String {
        service_time(self.creation_unix())
    }

    /// `FinishTime` as the service writes it, once it ended.
    pub(crate) fn finish_time(&self) -> Option<String> {
        let Phase::Ended { at, .. } = self.phase else {
            return None;
        };
        let since = i64::try_from(at.saturating_duration_since(self.created_at).as_millis())
            .unwrap_or(i64::MAX);
        Some(service_time(
            self.creation_unix_ms.saturating_add(since).div_euclid(1000),
        ))
    }

    /// Where the lists of its files are: total, done, failed (the last only when a file
    /// failed). The emulator's own choice of form, since the service documents none.
    pub(crate) fn lists(&self, counts: &Counts) -> [String; 3] {
        let base = format!(
            "cos://emulated-task-lists/{}/{}",
            self.new.file_system_id, self.id
        );
        let failed = if counts.files_failed > 0 {
            format!("{base}/failed.csv")
        } else {
            String::new()
        };
        [
            format!("{base}/total.csv"),
            format!("{base}/successed.csv"),
            failed,
        ]
    }

    /// The task as DescribeLifecycleDataTask lists it at `now`: while `init`, only `TaskId`,
    /// `TaskStatus`, `CreationTime` and `Type` (as the documented example shows); otherwise
    /// every field, with "" for a text that has no value yet (`FinishTime` until it ends).
    pub(crate) fn listing(&self, now: Instant) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        let status = self.status();
        put("TaskId", Value::from(self.id.as_str()));
        put("TaskStatus", Value::from(status.as_str()));
        put("CreationTime", Value::from(self.creation_time()));
        put("Type", Value::from(self.new.task_type.as_str()));
        if status == TaskStatus::Init {
            return Value::Object(m);
        }
        let n = &self.new;
        let c = self.counts(now);
        let [total, done, failed] = self.lists(&c);
        put(
            "FinishTime",
            Value::from(self.finish_time().unwrap_or_default()),
        );
        put("FileSystemId", Value::from(n.file_system_id.as_str()));
        put("TaskName", Value::from(n.task_name.as_str()));
        put("TaskPath", Value::from(n.target.task_path()));
        put("ListPath", Value::from(n.target.list_path()));
        put(
            "DataFlowId",
            Value::from(n.data_flow_id.as_deref().unwrap_or("")),
        );
        put("IsOverwrite", Value::from(n.is_overwrite));
        put("FileTotalCount", Value::from(c.files_total));
        put("FileSuccessedCount", Value::from(c.files_done));
        put("FileFailedCount", Value::from(c.files_failed));
        put("FileTotalSize", Value::from(c.bytes_total));
        put("FileSuccessedSize", Value::from(c.bytes_done));
        put("FileFailedSize", Value::from(c.bytes_failed));
        put("FileTotalList", Value::from(total));
        put("FileSuccessedList", Value::from(done));
        put("FileFailedList", Value::from(failed));
        Value::Object(m)
    }
}
