//! Random interleavings of answers, faults, timers and stops against a simulated service with
//! one flow per directory and lagging listings. After every run of the core:
//! - no row is sent again after a call of unknown outcome before a listing that started late
//!   enough to prove the call did nothing (and never while a call of it is in flight);
//! - no row is `created` without an id, or with an id that is not its flow's;
//! - no row whose flow exists ends `failed`;
//! - a stop loses no row: a row whose flow exists is recorded `created` or `unknown`.
//!
//! Rows are fed a few at a time, some after their file system's first listing: those are judged
//! from what it left (stored and looked up, `kept.rs`), answered late and in order as the
//! shell's store answers, and sometimes lost (the store failed).

use crate::api::DataFlowInfo;
use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::harness::{error, flow, settings, Harness};
use super::*;
use crate::api::error::codes;
use crate::api::{classify::PATH_USED, OutcomeClass};
use crate::engine::op::Answer;

const GROUP: (&str, &str) = ("ap-x", "cfs-1");

struct Flow {
    id: String,
    ours: bool,
    at: Duration,
}

struct Sim {
    h: Harness,
    rng: StdRng,
    lag: Duration,
    fault: f64,
    flows: HashMap<u64, Flow>,
    waiting: Vec<u64>,
    in_flight: Vec<(u64, Result<Answer, CallError>)>,
    listing: bool,
    /// Rows whose last call had an unknown outcome, with when it was answered.
    unresolved: HashMap<u64, Duration>,
    recorded: HashMap<u64, Transition>,
    next_id: u32,
    stopped: bool,
    /// Keeps and looks given, not answered yet (the store answers them in order).
    kept_jobs: std::collections::VecDeque<Command>,
    /// Rows not fed yet.
    to_feed: std::collections::VecDeque<u64>,
}

impl Sim {
    fn apply(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            match c {
                Command::Record(t) => {
                    if t.state() == Some(RowState::Created) {
                        let id = t.id().unwrap_or("");
                        assert!(!id.is_empty(), "created without an id: {t:?}");
                    }
                    self.recorded.insert(t.flow_id() as u64, t);
                }
                Command::WaitSlot { line, .. } => self.waiting.push(line),
                Command::Send(Call { line, mark, .. }) => {
                    if let Some(mark) = mark {
                        self.recorded.insert(line, mark);
                    }
                    self.send(line);
                }
                Command::List { .. } => {
                    assert!(!self.listing, "two listings of one file system at once");
                    self.listing = true;
                }
                Command::Keep { .. } | Command::Look { .. } => self.kept_jobs.push_back(c),
                Command::Emit(_) | Command::Sample(_) | Command::Halt => {}
            }
        }
    }

    /// The call arrives at the service now; its answer comes later.
    fn send(&mut self, line: u64) {
        assert!(
            !self.in_flight.iter().any(|(l, _)| *l == line),
            "row {line} sent while its call is in flight"
        );
        assert!(
            !self.unresolved.contains_key(&line),
            "row {line} sent again before a listing settled its unknown call"
        );
        let now = self.h.now;
        let roll: f64 = self.rng.random();
        let answer = if roll < self.fault * 0.3 {
            Err(error(OutcomeClass::Transient, "InternalError"))
        } else if roll < self.fault * 0.5 {
            Err(error(OutcomeClass::Throttled, "RequestLimitExceeded"))
        } else if self.flows.contains_key(&line) {
            Err(error(OutcomeClass::Unknown, PATH_USED))
        } else {
            self.next_id += 1;
            let id = format!("cfs-dataflow-{}", self.next_id);
            self.flows.insert(
                line,
                Flow {
                    id: id.clone(),
                    ours: true,
                    at: now,
                },
            );
            if self.rng.random::<f64>() < self.fault {
                Err(error(OutcomeClass::Unknown, codes::TIMEOUT))
            } else {
                Ok(Answer {
                    id: Some(id),
                    request_id: "r".into(),
                })
            }
        };
        self.in_flight.push((line, answer));
    }

    fn visible(&self, started: Duration) -> Vec<DataFlowInfo> {
        self.flows
            .iter()
            .filter(|(_, f)| f.id.starts_with("pre-") || f.at + self.lag <= started)
            .map(|(l, f)| flow(*l, &f.id, f.ours))
            .collect()
    }

    /// The store answers its oldest job; now and then it has failed.
    fn answer_kept(&mut self) {
        let Some(job) = self.kept_jobs.pop_front() else {
            return;
        };
        let lost = self.rng.random::<f64>() < self.fault * 0.2;
        let input = match (&job, lost) {
            (Command::Keep { group, .. }, true) => Input::Kept {
                group: *group,
                result: Err("lost".into()),
            },
            (Command::Look { line, .. }, true) => Input::Found {
                line: *line,
                result: Err("lost".into()),
            },
            _ => match self.h.serve(&job) {
                Some(input) => input,
                None => return,
            },
        };
        let cmds = self.h.input(input);
        self.apply(cmds);
    }

    /// Feeds the next row; the last one ends the feed.
    fn feed_next(&mut self) {
        let Some(line) = self.to_feed.pop_front() else {
            return;
        };
        let cmds = self.h.feed(line, RowState::Pending, None);
        self.apply(cmds);
        if self.to_feed.is_empty() {
            let cmds = self.h.input(Input::FeedEnded);
            self.apply(cmds);
        }
    }

    fn step(&mut self) {
        let now = self.h.now;
        let choice = self.rng.random_range(0..8);
        match choice {
            6 if !self.kept_jobs.is_empty() => self.answer_kept(),
            7 if !self.to_feed.is_empty() && self.h.core.wants_rows() => self.feed_next(),
            0 if !self.waiting.is_empty() => {
                let i = self.rng.random_range(0..self.waiting.len());
                let line = self.waiting.swap_remove(i);
                let input = if self.stopped {
                    Input::SlotAbandoned { line }
                } else {
                    Input::SlotGranted { line, slot: now }
                };
                let cmds = self.h.input(input);
                self.apply(cmds);
            }
            1 | 2 if !self.in_flight.is_empty() => {
                let i = self.rng.random_range(0..self.in_flight.len());
                let (line, result) = self.in_flight.swap_remove(i);
                if matches!(&result, Err(e) if e.class == OutcomeClass::Unknown) {
                    self.unresolved.insert(line, now);
                }
                let cmds = self.h.answer(line, result);
                self.apply(cmds);
            }
            3 if self.listing => {
                self.listing = false;
                let started = now.saturating_sub(Duration::from_millis(200));
                let result = if self.rng.random::<f64>() < self.fault * 0.5 {
                    Err(error(OutcomeClass::Transient, "InternalError"))
                } else {
                    // A listing that started late enough settles the unknown calls before it.
                    let settle = self.h.core.settings.pacing.settle;
                    self.unresolved.retain(|_, at| *at + settle > started);
                    Ok(self.visible(started))
                };
                let cmds = self.h.input(Input::Listed {
                    group: GroupKey {
                        region: GROUP.0.into(),
                        file_system_id: GROUP.1.into(),
                        scope: crate::engine::op::Scope::Flows,
                    },
                    started,
                    result: result.map(super::Listed::Flows),
                });
                self.apply(cmds);
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

fn simulate(seed: u64, rows: u64, concurrency: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let lag = Duration::from_millis(rng.random_range(0..15_000));
    let fault = rng.random_range(0.0..0.5);
    let mut sim = Sim {
        h: Harness::new(CoreSettings {
            pacing: crate::engine::Pacing {
                concurrency,
                max_attempts: 8,
                request_timeout: Duration::from_secs(2),
                ..settings().pacing
            },
            ..settings()
        }),
        rng,
        lag,
        fault,
        flows: HashMap::new(),
        waiting: Vec::new(),
        in_flight: Vec::new(),
        listing: false,
        unresolved: HashMap::new(),
        recorded: HashMap::new(),
        next_id: 0,
        stopped: false,
        kept_jobs: Default::default(),
        to_feed: Default::default(),
    };
    sim.h.serve_kept = false;
    // Some directories already hold a flow: ours (adopted) or another source's (a conflict).
    for line in 2..2 + rows {
        let roll: f64 = sim.rng.random();
        if roll < 0.1 {
            let id = format!("pre-{line}");
            sim.flows.insert(
                line,
                Flow {
                    id,
                    ours: roll < 0.05,
                    at: Duration::ZERO,
                },
            );
        }
    }
    // A few rows before anything happens, the others as the run goes.
    sim.to_feed = (2..2 + rows).collect();
    let first = sim.rng.random_range(1..=rows);
    for _ in 0..first {
        sim.feed_next();
    }
    let mut steps = 0;
    while !sim.h.core.finished() {
        steps += 1;
        assert!(steps < 200_000, "no end after {steps} steps: a hang");
        sim.step();
    }
    for line in 2..2 + rows {
        let rec = sim.recorded.get(&line);
        let state = rec.and_then(|t| t.state());
        // No row vanishes: a run that was not stopped records where every row it took ends.
        assert!(
            sim.stopped || state.is_some(),
            "row {line}: taken into play, never recorded (lag {lag:?}, fault {fault})"
        );
        match sim.flows.get(&line) {
            Some(f) if f.ours => {
                // A run that ends by itself leaves every row whose flow exists created, or
                // unknown for the next run to ask again; a stopped run may also leave one
                // waiting for a resend (a listing that lagged more than the settle time), which
                // the next run's first listing adopts. Never failed.
                let fine = match state {
                    Some(RowState::Created | RowState::Unknown) => true,
                    Some(RowState::Retrying | RowState::Pending) | None => sim.stopped,
                    _ => false,
                };
                assert!(
                    fine,
                    "row {line}: its flow exists, recorded {rec:?} (lag {lag:?}, fault {fault}, stopped {})",
                    sim.stopped
                );
                if state == Some(RowState::Created) {
                    assert_eq!(rec.and_then(|t| t.id()), Some(f.id.as_str()));
                }
            }
            Some(_) => assert!(
                matches!(state, None | Some(RowState::Failed))
                    && rec.is_none_or(|t| t.error_code() == Some(crate::engine::CONFLICT)),
                "row {line}: another source's flow, recorded {rec:?}"
            ),
            None => assert!(
                !matches!(state, Some(RowState::Created)),
                "row {line}: created with no flow: {rec:?}"
            ),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_interleavings_keep_the_invariants(
        seed in any::<u64>(),
        rows in 1u64..24,
        concurrency in 1usize..6,
    ) {
        simulate(seed, rows, concurrency);
    }
}
