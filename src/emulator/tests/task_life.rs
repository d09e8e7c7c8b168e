//! Data tasks in the state itself, with made-up instants: slots and the queue, progress, a
//! stop's life, failures. No clock, no sleeping.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::emulator::refusal::Refusal;
use crate::emulator::tasks::size::{run_time, size_of};
use crate::emulator::tasks::table::{TaskLife, Tasks};
use crate::emulator::tasks::task::{Phase, Task};
use crate::emulator::{NewTask, TaskStatus, TaskType};

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn life() -> TaskLife {
    TaskLife {
        listing_delay: ms(0),
        slots: 2,
        queue: 10,
        mbps: 100.0,
        fail: 0.0,
        fail_files: 0.0,
        stopping: ms(500),
    }
}

/// A restore of `path` on `fs`.
fn restore(fs: &str, path: &str) -> NewTask {
    NewTask::new(fs, TaskType::Restore, "t", path)
}

struct Bench {
    tasks: Tasks,
    rng: StdRng,
    t0: Instant,
}

impl Bench {
    fn new(life: TaskLife) -> Bench {
        Bench {
            tasks: Tasks::new(life),
            rng: StdRng::seed_from_u64(5),
            t0: Instant::now(),
        }
    }

    fn create(&mut self, new: NewTask, at: Duration) -> Result<String, Refusal> {
        let now = self.t0 + at;
        let made = self.tasks.create(new, false, &mut self.rng, now, 0);
        made.map(|t| t.id.clone())
    }

    fn task(&mut self, id: &str, at: Duration) -> Task {
        self.tasks.advance(self.t0 + at);
        self.tasks
            .all()
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .unwrap()
    }

    fn status(&mut self, id: &str, at: Duration) -> TaskStatus {
        self.task(id, at).status()
    }
}

#[test]
fn slots_run_two_at_a_time_and_the_rest_wait_in_creation_order() {
    let mut b = Bench::new(life());
    let ids: Vec<String> = (0..4)
        .map(|i| {
            b.create(restore("cfs-1", &format!("/cfs/{i}")), ms(0))
                .unwrap()
        })
        .collect();
    let other = b.create(restore("cfs-2", "/cfs/0"), ms(0)).unwrap();
    let at0: Vec<_> = ids.iter().map(|id| b.status(id, ms(0))).collect();
    use TaskStatus::*;
    assert_eq!(at0, [Running, Running, Init, Init]);
    assert_eq!(b.status(&other, ms(0)), Running, "file systems are apart");
    assert!(ids
        .iter()
        .all(|id| id.len() == 13 && id.starts_with("task-")));
    assert!(ids[0][5..]
        .bytes()
        .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));

    // The first run to end frees its slot for the oldest waiting task at that very instant.
    let run = |i: usize| {
        run_time(
            size_of("cfs-1", &format!("/cfs/{i}")),
            TaskType::Restore,
            100.0,
        )
    };
    let (first, freed) = if run(0) <= run(1) {
        (0, run(0))
    } else {
        (1, run(1))
    };
    let before = freed - ms(1);
    assert_eq!(b.status(&ids[first], before), Running);
    assert_eq!(b.status(&ids[2], before), Init);
    let third = b.task(&ids[2], freed + ms(1));
    assert_eq!(b.status(&ids[first], freed), Finished);
    assert_eq!(
        third.phase,
        Phase::Running {
            since: b.t0 + freed
        }
    );
    assert_eq!(b.status(&ids[3], freed), Init);

    // Asked much later, the same history: every task finished, none waited for a question.
    let end = Duration::from_secs(3600);
    for id in &ids {
        let t = b.task(id, end);
        assert_eq!(t.status(), Finished);
        assert!(t.finish_time().is_some());
        let c = t.counts(b.t0 + end);
        assert_eq!((c.files_done, c.bytes_done), (c.files_total, c.bytes_total));
    }
}

#[test]
fn the_queue_limit_refuses_without_creating_and_frees_as_tasks_start() {
    let mut b = Bench::new(TaskLife {
        slots: 1,
        queue: 2,
        ..life()
    });
    let first = b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    b.create(restore("cfs-1", "/cfs/b"), ms(0)).unwrap();
    b.create(restore("cfs-1", "/cfs/c"), ms(0)).unwrap();
    assert_eq!(
        b.create(restore("cfs-1", "/cfs/d"), ms(0)),
        Err(Refusal::QueueFull)
    );
    assert_eq!(b.tasks.all().len(), 3, "a refused create makes nothing");
    // Another file system has its own queue.
    assert!(b.create(restore("cfs-2", "/cfs/d"), ms(0)).is_ok());
    // Once the first ends, the next one runs and one place in the queue is free.
    let ended = b.task(&first, ms(0)).phase_ends().unwrap() - b.t0;
    assert!(b.create(restore("cfs-1", "/cfs/d"), ended).is_ok());
    assert_eq!(
        b.create(restore("cfs-1", "/cfs/e"), ended),
        Err(Refusal::QueueFull)
    );

    // With no queue at all, only a free slot takes a task.
    let mut b = Bench::new(TaskLife {
        slots: 1,
        queue: 0,
        ..life()
    });
    b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    assert_eq!(
        b.create(restore("cfs-1", "/cfs/b"), ms(0)),
        Err(Refusal::QueueFull)
    );
}

#[test]
fn progress_grows_while_running_and_metaload_is_ten_times_quicker() {
    let mut b = Bench::new(life());
    let id = b.create(restore("cfs-1", "/cfs/data"), ms(0)).unwrap();
    let size = size_of("cfs-1", "/cfs/data");
    let run = run_time(size, TaskType::Restore, 100.0);
    assert_eq!(
        run,
        Duration::from_secs_f64(size.bytes as f64 / 100e6),
        "bytes over --task-mbps"
    );
    let half = b.task(&id, run / 2).counts(b.t0 + run / 2);
    assert_eq!(half.bytes_total, size.bytes);
    assert_eq!(half.files_total, size.files);
    assert!(half.bytes_done.abs_diff(size.bytes / 2) <= 1, "{half:?}");
    assert!(half.files_done.abs_diff(size.files / 2) <= 1, "{half:?}");
    assert_eq!((half.files_failed, half.bytes_failed), (0, 0));
    let quarter = b.task(&id, run / 4).counts(b.t0 + run / 4);
    assert!(quarter.bytes_done < half.bytes_done);
    assert_eq!(b.status(&id, run - ms(1)), TaskStatus::Running);
    let done = b.task(&id, run);
    assert_eq!(done.status(), TaskStatus::Finished);
    assert_eq!(done.counts(b.t0 + run).bytes_done, size.bytes);

    let quick = run_time(size, TaskType::Metaload, 100.0);
    assert_eq!(quick, run_time(size, TaskType::Release, 100.0));
    assert!((quick.as_secs_f64() * 10.0 - run.as_secs_f64()).abs() < 1e-6);
    assert_eq!(run, run_time(size, TaskType::Archive, 100.0));
}

#[test]
fn a_stop_freezes_progress_then_stopped_and_its_slot_is_freed_at_the_end() {
    let mut b = Bench::new(TaskLife {
        slots: 1,
        mbps: 1.0,
        ..life()
    });
    let running = b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    let queued = b.create(restore("cfs-1", "/cfs/b"), ms(0)).unwrap();
    let last = b.create(restore("cfs-1", "/cfs/c"), ms(0)).unwrap();
    let at = ms(2000);
    let frozen = b.task(&running, at).counts(b.t0 + at);
    assert!(frozen.bytes_done > 0);
    assert_eq!(b.tasks.stop(&running, b.t0 + at), Ok(true));
    assert_eq!(b.status(&running, at + ms(499)), TaskStatus::Stopping);
    assert_eq!(
        b.task(&running, at + ms(499)).counts(b.t0 + at + ms(499)),
        frozen
    );
    assert_eq!(
        b.status(&queued, at + ms(499)),
        TaskStatus::Init,
        "the slot is held"
    );
    let stopped = b.task(&running, at + ms(500));
    assert_eq!(stopped.status(), TaskStatus::Stopped);
    assert!(stopped.finish_time().is_some());
    assert_eq!(stopped.counts(b.t0 + at + ms(900)), frozen);
    assert_eq!(
        b.task(&queued, at + ms(500)).phase,
        Phase::Running {
            since: b.t0 + at + ms(500)
        }
    );
    // Again: success, nothing changes.
    assert_eq!(b.tasks.stop(&running, b.t0 + at + ms(600)), Ok(false));
    // A queued task leaves the queue at once and is stopped a moment later, at 0 progress.
    assert_eq!(b.tasks.stop(&last, b.t0 + at + ms(600)), Ok(true));
    assert_eq!(
        b.tasks.stop(&last, b.t0 + at + ms(700)),
        Ok(false),
        "stopping"
    );
    assert_eq!(b.status(&last, at + ms(1100)), TaskStatus::Stopped);
    assert_eq!(b.task(&last, at + ms(1100)).counts(b.t0).bytes_done, 0);
    assert_eq!(b.task(&last, at + ms(1100)).stop_calls, 2);
    assert_eq!(
        b.tasks.stop("task-nosuch00", b.t0),
        Err(Refusal::NoSuchTask)
    );

    // A finished task cannot be stopped.
    let mut b = Bench::new(life());
    let id = b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    let end = Duration::from_secs(3600);
    assert_eq!(b.status(&id, end), TaskStatus::Finished);
    assert_eq!(b.tasks.stop(&id, b.t0 + end), Err(Refusal::TaskEnded));
}

#[test]
fn stopping_for_zero_ms_is_stopped_at_once() {
    let mut b = Bench::new(TaskLife {
        stopping: ms(0),
        ..life()
    });
    let id = b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    assert_eq!(b.tasks.stop(&id, b.t0 + ms(1)), Ok(true));
    assert_eq!(b.status(&id, ms(1)), TaskStatus::Stopped);
}

#[test]
fn failing_tasks_end_part_way_and_failing_files_still_finish() {
    let end = Duration::from_secs(36_000);
    let mut b = Bench::new(TaskLife {
        fail: 1.0,
        ..life()
    });
    let id = b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    let t = b.task(&id, end);
    assert_eq!(t.status(), TaskStatus::Failed);
    let c = t.counts(b.t0 + end);
    let way = c.bytes_done as f64 / c.bytes_total as f64;
    assert!((0.09..0.91).contains(&way), "{way}");
    assert!(t.finish_time().is_some());

    let mut b = Bench::new(TaskLife {
        fail_files: 0.1,
        ..life()
    });
    let id = b.create(restore("cfs-1", "/cfs/a"), ms(0)).unwrap();
    let t = b.task(&id, end);
    assert_eq!(t.status(), TaskStatus::Finished);
    let c = t.counts(b.t0 + end);
    let size = size_of("cfs-1", "/cfs/a");
    assert_eq!(c.files_failed, (size.files as f64 * 0.1).ceil() as u64);
    assert_eq!(c.files_done + c.files_failed, c.files_total);
    assert_eq!(c.bytes_done + c.bytes_failed, c.bytes_total);
    assert!(c.bytes_failed > 0);
    let [_, _, failed] = t.lists(&c);
    assert_eq!(
        failed,
        format!("cos://emulated-task-lists/cfs-1/{id}/failed.csv")
    );

    // The chance is seeded: one seed, one set of failing tasks.
    let failures = |seed: u64| {
        let mut b = Bench::new(TaskLife {
            fail: 0.5,
            slots: 100,
            ..life()
        });
        b.rng = StdRng::seed_from_u64(seed);
        let ids: Vec<String> = (0..40)
            .map(|i| {
                b.create(restore("cfs-1", &format!("/cfs/{i}")), ms(0))
                    .unwrap()
            })
            .collect();
        ids.iter()
            .map(|id| b.status(id, end) == TaskStatus::Failed)
            .collect::<Vec<_>>()
    };
    let once = failures(3);
    assert_eq!(once, failures(3));
    let n = once.iter().filter(|f| **f).count();
    assert!((5..=35).contains(&n), "{n} of 40");
}

#[test]
fn sizes_follow_from_the_file_system_and_the_path() {
    let a = size_of("cfs-1", "/cfs/a");
    assert_eq!(a, size_of("cfs-1", "/cfs/a"));
    assert_ne!(a, size_of("cfs-2", "/cfs/a"));
    assert_ne!(a, size_of("cfs-1", "/cfs/b"));
    let sizes: Vec<_> = (0..500)
        .map(|i| size_of("cfs-1", &format!("/cfs/{i}")))
        .collect();
    let files = |f: fn(&crate::emulator::tasks::size::Size) -> u64| {
        (
            sizes.iter().map(f).min().unwrap(),
            sizes.iter().map(f).max().unwrap(),
        )
    };
    let (fmin, fmax) = files(|s| s.files);
    let (bmin, bmax) = files(|s| s.bytes);
    assert!(
        (10..20).contains(&fmin) && (3_001..=5_000).contains(&fmax),
        "{fmin} {fmax}"
    );
    assert!((8 << 20..16 << 20).contains(&bmin), "{bmin}");
    assert!((1 << 30..=2 << 30).contains(&bmax), "{bmax}");
}
