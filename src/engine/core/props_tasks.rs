//! Random interleavings for data tasks against a simulated service whose task names are not
//! unique, whose listings lag by up to 15 s (more than `--settle`), and whose create answers are
//! lost before or after it acted; rows are fed fresh or resumed from a killed run (`unknown`,
//! with a create that may have acted), and calls may never leave (the slot abandoned, the mark
//! not written). After every run of the core:
//! - no name ever has two tasks (no row, type and generation gets a second task);
//! - a row recorded `created` has the id of the task of its name;
//! - a row whose task exists is recorded `created` or `unknown` (or, only when the run was
//!   stopped, still waiting), never `failed`, and never vanishes from the record unless the
//!   run was stopped.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::harness::{error, flow, row, settings, Harness};
use super::*;
use crate::api::error::codes;
use crate::api::tasks::{TaskInfo, TaskType};
use crate::api::{OutcomeClass, Request};
use crate::engine::op::{Answer, Scope, TaskStartOp};
use crate::store::tasks::{RowTasks, TaskSynced};
use crate::store::Synced;

struct Task {
    id: String,
    name: String,
    at: Duration,
}

struct Sim {
    h: Harness,
    rng: StdRng,
    lag: Duration,
    fault: f64,
    tasks: Vec<Task>,
    waiting: Vec<u64>,
    /// Calls in flight: the row, the name its request carries, the answer to come.
    in_flight: Vec<(u64, Result<Answer, CallError>)>,
    listings: Vec<GroupKey>,
    recorded: HashMap<u64, Transition>,
    stopped: bool,
    /// Rows fed to the core.
    fed: BTreeSet<u64>,
}

impl Sim {
    fn apply(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            match c {
                Command::Record(t) => {
                    if t.state() == Some(RowState::Created) {
                        assert!(t.id().is_some_and(|id| !id.is_empty()), "{t:?}");
                    }
                    self.recorded.insert(t.flow_id() as u64, t);
                }
                Command::WaitSlot { line, .. } => self.waiting.push(line),
                Command::Send(Call {
                    line,
                    request,
                    mark,
                    ..
                }) => {
                    if let Some(mark) = mark {
                        self.recorded.insert(line, mark);
                    }
                    self.send(line, &request);
                }
                Command::List { group, .. } => {
                    assert!(!self.listings.contains(&group), "two listings of one group");
                    self.listings.push(group);
                }
                // Answered by the harness as they are given.
                Command::Keep { .. } | Command::Look { .. } => {}
                Command::Emit(_) | Command::Sample(_) | Command::Halt => {}
            }
        }
    }

    /// The create arrives now: it acts unless its fault is "did not act".
    fn send(&mut self, line: u64, request: &Request) {
        let Request::CreateTask(req) = request else {
            panic!("row {line}: not a create: {request:?}");
        };
        let roll: f64 = self.rng.random();
        let acted = roll >= self.fault * 0.3;
        let id = format!("task-{}", self.tasks.len());
        if acted {
            self.tasks.push(Task {
                id: id.clone(),
                name: req.task_name.clone(),
                at: self.h.now,
            });
        }
        let answer = if roll < self.fault {
            Err(error(OutcomeClass::Unknown, codes::TIMEOUT))
        } else if !acted {
            Err(error(OutcomeClass::Transient, "InternalError"))
        } else {
            Ok(Answer {
                id: Some(id),
                request_id: "r".into(),
            })
        };
        self.in_flight.push((line, answer));
    }

    fn listed(&mut self, group: GroupKey) {
        let now = self.h.now;
        let started = now.saturating_sub(Duration::from_millis(200));
        let result = match &group.scope {
            Scope::Flows => Ok(Listed::Flows(
                (2..200)
                    .map(|l| flow(l, &format!("df-{l}"), true))
                    .collect(),
            )),
            Scope::Tasks { name, .. } if self.rng.random::<f64>() >= self.fault * 0.5 => {
                Ok(Listed::Tasks(
                    self.tasks
                        .iter()
                        .filter(|t| name.as_ref().is_none_or(|n| *n == t.name))
                        .filter(|t| t.at + self.lag <= started)
                        .map(|t| TaskInfo {
                            task_id: t.id.clone(),
                            task_name: t.name.clone(),
                            task_status: "init".into(),
                            ..TaskInfo::default()
                        })
                        .collect(),
                ))
            }
            Scope::Tasks { .. } => Err(error(OutcomeClass::Transient, "InternalError")),
        };
        let cmds = self.h.input(Input::Listed {
            group,
            started,
            result,
        });
        self.apply(cmds);
    }

    fn step(&mut self) {
        let now = self.h.now;
        match self.rng.random_range(0..6) {
            0 if !self.waiting.is_empty() => {
                let i = self.rng.random_range(0..self.waiting.len());
                let line = self.waiting.swap_remove(i);
                // A call that never leaves: the run stopped first, or its mark was not written.
                let input = if self.stopped {
                    Input::SlotAbandoned { line }
                } else if self.rng.random::<f64>() < 0.03 {
                    // The state file failed: the shell stops the run, and says so.
                    let cmds = self.h.input(Input::SlotGranted { line, slot: now });
                    drop(cmds);
                    self.stopped = true;
                    let cmds = self.h.input(Input::Stop {
                        reason: StopReason::Store,
                        detail: "the mark could not be written".into(),
                    });
                    self.apply(cmds);
                    Input::NotSent { line }
                } else {
                    Input::SlotGranted { line, slot: now }
                };
                let cmds = self.h.input(input);
                self.apply(cmds);
            }
            1 | 2 if !self.in_flight.is_empty() => {
                let i = self.rng.random_range(0..self.in_flight.len());
                let (line, result) = self.in_flight.swap_remove(i);
                let cmds = self.h.answer(line, result);
                self.apply(cmds);
            }
            3 if !self.listings.is_empty() => {
                let i = self.rng.random_range(0..self.listings.len());
                let group = self.listings.swap_remove(i);
                self.listed(group);
            }
            4 if !self.stopped && self.rng.random::<f64>() < 0.02 => {
                self.stopped = true;
                let cmds = self.h.input(Input::Stop {
                    reason: StopReason::Interrupted,
                    detail: "stop".into(),
                });
                self.apply(cmds);
                for line in std::mem::take(&mut self.waiting) {
                    let cmds = self.h.input(Input::SlotAbandoned { line });
                    self.apply(cmds);
                }
            }
            _ => {
                let next = self
                    .h
                    .core
                    .next_wake()
                    .unwrap_or(now + Duration::from_secs(1));
                let t = next.min(now + Duration::from_millis(self.rng.random_range(1..3000)));
                let cmds = self.h.at(t.max(now));
                self.apply(cmds);
            }
        }
    }
}

/// A row fed with its flow created and available, and, when `resumed`, a create of an earlier
/// (killed) run whose outcome is unknown: its task may exist already.
fn fed(sim: &mut Sim, line: u64, resumed: bool) {
    let op = TaskStartOp {
        kind: TaskType::Metaload,
        overwrite: false,
        again: false,
    };
    let r = row(line);
    let name = crate::engine::task_name::name("0badc0de", &r, TaskType::Metaload, 1);
    if resumed && sim.rng.random::<bool>() {
        sim.tasks.push(Task {
            id: format!("task-{}", sim.tasks.len()),
            name: name.clone(),
            at: Duration::ZERO,
        });
    }
    let synced = Synced {
        flow_id: line as i64,
        state: RowState::Created,
        data_flow_id: Some(format!("df-{line}")),
        unknown_since_ms: None,
        attempts: 1,
        fingerprint: r.fingerprint(),
        source_key: Some(r.source_key()),
        error_code: None,
        rotation: None,
    };
    let task = resumed.then_some(TaskSynced {
        generation: 1,
        name,
        state: RowState::Unknown,
        task_id: None,
        status: None,
        first_sent_ms: Some(1_000_000),
        unknown_since_ms: Some(1_000_000),
        attempts: 1,
        error_code: None,
        files_failed: None,
    });
    let tasks = RowTasks {
        flow_status: Some("available".into()),
        task,
    };
    let item = FeedItem::new(&op, r, synced, Some(tasks), false);
    sim.fed.insert(line);
    let cmds = sim.h.input(Input::Fed {
        item: Box::new(item),
        host: 0,
    });
    sim.apply(cmds);
}

fn simulate(seed: u64, rows: u64, concurrency: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let lag = Duration::from_millis(rng.random_range(0..15_000));
    let fault = rng.random_range(0.0..0.5);
    let op = Arc::new(TaskStartOp {
        kind: TaskType::Metaload,
        overwrite: false,
        again: false,
    });
    let mut sim = Sim {
        h: Harness::with_op(
            op,
            CoreSettings {
                pacing: crate::engine::Pacing {
                    concurrency,
                    max_attempts: 8,
                    request_timeout: Duration::from_secs(2),
                    ..settings().pacing
                },
                ..settings()
            },
        ),
        rng,
        lag,
        fault,
        tasks: Vec::new(),
        waiting: Vec::new(),
        in_flight: Vec::new(),
        listings: Vec::new(),
        recorded: HashMap::new(),
        stopped: false,
        fed: BTreeSet::new(),
    };
    for line in 2..2 + rows {
        let resumed = sim.rng.random::<f64>() < 0.3;
        fed(&mut sim, line, resumed);
    }
    let cmds = sim.h.input(Input::FeedEnded);
    sim.apply(cmds);
    let mut steps = 0;
    while !sim.h.core.finished() {
        steps += 1;
        assert!(steps < 200_000, "no end after {steps} steps: a hang");
        sim.step();
    }
    let mut by_name: HashMap<&str, Vec<&Task>> = HashMap::new();
    for t in &sim.tasks {
        by_name.entry(&t.name).or_default().push(t);
    }
    for line in 2..2 + rows {
        let name = crate::engine::task_name::name("0badc0de", &row(line), TaskType::Metaload, 1);
        let made = by_name.get(name.as_str()).map_or(&[][..], Vec::as_slice);
        assert!(
            made.len() <= 1,
            "row {line}: two tasks of one name (lag {lag:?}, fault {fault}): {:?}",
            made.iter().map(|t| &t.id).collect::<Vec<_>>()
        );
        let rec = sim.recorded.get(&line);
        let state = rec.and_then(|t| t.state());
        // No row vanishes: a run that was not stopped records where every row it took ends.
        assert!(
            sim.stopped || state.is_some(),
            "row {line}: taken into play, never recorded (lag {lag:?}, fault {fault})"
        );
        if let Some(task) = made.first() {
            let fine = match state {
                Some(RowState::Created) => rec.and_then(|t| t.id()) == Some(task.id.as_str()),
                Some(RowState::Unknown) => true,
                // Only a stopped run leaves a row as the state file had it (a resumed row is
                // `unknown` there).
                None => sim.stopped,
                Some(RowState::Retrying | RowState::Pending) => sim.stopped,
                _ => false,
            };
            assert!(
                fine,
                "row {line}: its task {} exists, recorded {rec:?} (lag {lag:?}, fault {fault}, \
                 stopped {})",
                task.id, sim.stopped
            );
        } else {
            assert!(
                !matches!(state, Some(RowState::Created)),
                "row {line}: created with no task: {rec:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn task_starts_never_make_two_tasks_of_one_name(
        seed in any::<u64>(),
        rows in 1u64..16,
        concurrency in 1usize..6,
    ) {
        simulate(seed, rows, concurrency);
    }
}
