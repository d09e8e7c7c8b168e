//! Every data task, per file system: a queue in creation order and `--task-slots` running
//! slots. No clock of its own: every method takes `now` and first advances the file system to
//! it, replaying in order what happened since (a task ends, the next one in the queue takes
//! its slot at that very instant), so the result does not depend on how often it is asked.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::RngExt;

use super::kinds::{NewTask, TaskStatus};
use super::size::{fate, run_time, size_of};
use super::task::{Phase, Task};
use crate::emulator::clock::later;
use crate::emulator::config::EmulatorConfig;
use crate::emulator::refusal::Refusal;

/// The timings, sizes and chances of every task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskLife {
    /// A new task is listed only this long after it was made.
    pub(crate) listing_delay: Duration,
    /// Tasks that run at once per file system.
    pub(crate) slots: usize,
    /// Tasks that may wait `init` per file system.
    pub(crate) queue: usize,
    /// Restore and archive move this many MB per second.
    pub(crate) mbps: f64,
    /// Probability that a task ends `failed`.
    pub(crate) fail: f64,
    /// Share of a task's files that fail.
    pub(crate) fail_files: f64,
    /// A stopped task is `stopping` this long.
    pub(crate) stopping: Duration,
}

impl TaskLife {
    /// The life `config` describes.
    pub(crate) fn of(config: &EmulatorConfig) -> TaskLife {
        TaskLife {
            listing_delay: Duration::from_millis(config.listing_delay_ms),
            slots: config.task_slots.max(1) as usize,
            queue: config.task_queue as usize,
            mbps: config.task_mbps,
            fail: config.task_fail,
            fail_files: config.task_fail_files,
            stopping: Duration::from_millis(config.task_stopping_ms),
        }
    }
}

/// One file system's tasks.
#[derive(Debug, Default)]
struct FileSystemTasks {
    /// `init` tasks, oldest first.
    waiting: VecDeque<usize>,
    /// Tasks in a slot: running, or stopping after running.
    slotted: Vec<usize>,
    /// Tasks stopping from the queue (no slot).
    winding: Vec<usize>,
    /// Every task, in creation order.
    all: Vec<usize>,
}

/// Every task, indexed by file system and id.
#[derive(Debug)]
pub(crate) struct Tasks {
    life: TaskLife,
    all: Vec<Task>,
    by_id: HashMap<String, usize>,
    by_fs: HashMap<String, FileSystemTasks>,
}

impl Tasks {
    /// No tasks yet, living `life`.
    pub(crate) fn new(life: TaskLife) -> Tasks {
        Tasks {
            life,
            all: Vec::new(),
            by_id: HashMap::new(),
            by_fs: HashMap::new(),
        }
    }

    /// Brings every file system to `now`.
    pub(crate) fn advance(&mut self, now: Instant) {
        let Tasks {
            life, all, by_fs, ..
        } = self;
        for fs in by_fs.values_mut() {
            advance(all, fs, life, now);
        }
    }

    /// Makes a task at `now` (`unix_ms` by the service clock) unless its file system already
    /// has `queue` tasks waiting (`QueueFull`). It is listed after the listing delay (at once
    /// when `added` by a test) and starts at once when a slot is free.
    pub(crate) fn create(
        &mut self,
        new: NewTask,
        added: bool,
        rng: &mut StdRng,
        now: Instant,
        unix_ms: i64,
    ) -> Result<&Task, Refusal> {
        let Tasks {
            life,
            all,
            by_id,
            by_fs,
        } = self;
        let fs = by_fs.entry(new.file_system_id.clone()).or_default();
        advance(all, fs, life, now);
        if fs.slotted.len() >= life.slots && fs.waiting.len() >= life.queue {
            return Err(Refusal::QueueFull);
        }
        let id = fresh_id(by_id, rng);
        let size = size_of(&new.file_system_id, new.target.path());
        let task = Task {
            id: id.clone(),
            fate: fate(size, life.fail, life.fail_files, rng),
            run_for: run_time(size, new.task_type, life.mbps),
            size,
            new,
            added,
            created_at: now,
            creation_unix_ms: unix_ms,
            listed_at: if added {
                now
            } else {
                later(now, life.listing_delay)
            },
            phase: Phase::Waiting,
            stop_calls: 0,
        };
        let index = all.len();
        all.push(task);
        by_id.insert(id, index);
        fs.all.push(index);
        fs.waiting.push_back(index);
        fill(all, fs, life, now);
        Ok(&all[index])
    }

    /// Stops the task `id` at `now`: a queued or running one goes `stopping` (its progress
    /// frozen), then `stopped`. True when it acted; false for a task already stopping or
    /// stopped (nothing changes); `TaskEnded` for a finished or failed one.
    pub(crate) fn stop(&mut self, id: &str, now: Instant) -> Result<bool, Refusal> {
        let index = *self.by_id.get(id).ok_or(Refusal::NoSuchTask)?;
        let Tasks {
            life, all, by_fs, ..
        } = self;
        let fs_id = all[index].new.file_system_id.clone();
        let fs = by_fs.entry(fs_id).or_default();
        advance(all, fs, life, now);
        let task = &mut all[index];
        task.stop_calls = task.stop_calls.saturating_add(1);
        let fraction = task.fraction(now);
        let until = later(now, life.stopping);
        match task.status() {
            TaskStatus::Init => {
                fs.waiting.retain(|&i| i != index);
                fs.winding.push(index);
                task.phase = Phase::Stopping { until, fraction };
            }
            TaskStatus::Running => {
                task.phase = Phase::Stopping { until, fraction };
            }
            TaskStatus::Stopping | TaskStatus::Stopped => return Ok(false),
            TaskStatus::Finished | TaskStatus::Failed => return Err(Refusal::TaskEnded),
        }
        // A stopping time of 0 ends at once.
        advance(all, fs, life, now);
        Ok(true)
    }

    /// Whether a task on `file_system_id` that goes through the flow `flow_id` is queued,
    /// running or stopping at `now`.
    pub(crate) fn flow_busy(&mut self, file_system_id: &str, flow_id: &str, now: Instant) -> bool {
        let Tasks {
            life, all, by_fs, ..
        } = self;
        let Some(fs) = by_fs.get_mut(file_system_id) else {
            return false;
        };
        advance(all, fs, life, now);
        fs.all.iter().any(|&i| {
            let t = &all[i];
            t.new.data_flow_id.as_deref() == Some(flow_id) && t.status().is_active()
        })
    }

    /// Every task, in creation order. Call [`Tasks::advance`] first.
    pub(crate) fn all(&self) -> &[Task] {
        &self.all
    }
}

/// Replays what happened on one file system up to `now`: stops that ended, and runs that ended
/// (each freeing its slot for the oldest waiting task at that instant), in the order they
/// happened.
fn advance(all: &mut [Task], fs: &mut FileSystemTasks, life: &TaskLife, now: Instant) {
    fs.winding.retain(|&i| match all[i].phase_ends() {
        Some(at) if at <= now => {
            all[i].settle(at);
            false
        }
        _ => true,
    });
    loop {
        let next = fs
            .slotted
            .iter()
            .enumerate()
            .filter_map(|(k, &i)| all[i].phase_ends().map(|at| (at, k)))
            .min();
        let Some((at, k)) = next.filter(|(at, _)| *at <= now) else {
            break;
        };
        let i = fs.slotted.remove(k);
        all[i].settle(at);
        fill(all, fs, life, at);
    }
    fill(all, fs, life, now);
}

/// Starts waiting tasks at `at` while a slot is free.
fn fill(all: &mut [Task], fs: &mut FileSystemTasks, life: &TaskLife, at: Instant) {
    while fs.slotted.len() < life.slots {
        let Some(i) = fs.waiting.pop_front() else {
            return;
        };
        let since = at.max(all[i].created_at);
        all[i].phase = Phase::Running { since };
        fs.slotted.push(i);
    }
}

/// `task-` and eight lower-case letters and digits no task had.
fn fresh_id(taken: &HashMap<String, usize>, rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    loop {
        let tail: String = (0..8)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        let id = format!("task-{tail}");
        if !taken.contains_key(&id) {
            return id;
        }
    }
}
