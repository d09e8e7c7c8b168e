//! A core driven with fake time, and the helpers its tests share.

use crate::api::DataFlowInfo;
use std::time::Duration;

use super::*;
use crate::api::{CreateDataFlowRequest, OutcomeClass};
use crate::engine::kept_store::Store;
use crate::engine::op::{Answer, CreateOp};
use crate::manifest::Row;
use crate::store::Synced;

pub const FS: &str = "cfs-1";

pub fn settings() -> CoreSettings {
    CoreSettings {
        task_nonce: "0badc0de".into(),
        pacing: crate::engine::Pacing {
            rate: 20.0,
            describe_rate: 20.0,
            concurrency: 4,
            max_attempts: 8,
            request_timeout: Duration::from_secs(30),
            settle: Duration::from_secs(5),
        },
        seed: 1,
        retry_failed: false,
        run_id: 1,
        epoch_ms: 1_000_000,
    }
}

pub fn row(line: u64) -> Row {
    Row {
        line,
        region: "ap-x".into(),
        request: CreateDataFlowRequest {
            file_system_id: FS.into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos".into(),
            source_path: "/src".into(),
            target_path: format!("/cfs/d{line}"),
            ..Default::default()
        },
    }
}

pub fn flow(line: u64, id: &str, ours: bool) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        file_system_id: FS.into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos".into(),
        source_path: if ours { "/src".into() } else { "/other".into() },
        target_path: format!("/cfs/d{line}/"),
        status: "available".into(),
        ..Default::default()
    }
}

pub fn error(class: OutcomeClass, code: &str) -> CallError {
    CallError {
        class,
        code: code.into(),
        message: "m".into(),
        request_id: None,
    }
}

/// A core, fake time, and the commands it gave.
pub struct Harness {
    pub core: Core,
    pub now: Duration,
    /// The kept listings, stored as the shell stores them.
    pub kept: Option<Store>,
    /// Whether the harness answers the core's keeps and looks at once, as they are given.
    pub serve_kept: bool,
}

impl Harness {
    pub fn new(settings: CoreSettings) -> Harness {
        Harness::with_op(Arc::new(CreateOp), settings)
    }

    pub fn with_op(op: Arc<dyn crate::engine::op::Operation>, settings: CoreSettings) -> Harness {
        Harness {
            core: Core::new(op, settings),
            now: Duration::ZERO,
            kept: None,
            serve_kept: true,
        }
    }

    /// Takes the commands given since the last call (and those given after the harness
    /// answered keeps and looks, with `serve_kept`).
    pub fn take(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        loop {
            let mut answers = Vec::new();
            while let Some(c) = self.core.poll_command() {
                if self.serve_kept {
                    answers.extend(self.serve(&c));
                }
                out.push(c);
            }
            if answers.is_empty() {
                return out;
            }
            for a in answers {
                self.core.handle(a, self.now);
            }
        }
    }

    /// The answer to a keep or a look, as the shell's store gives it.
    pub fn serve(&mut self, c: &Command) -> Option<Input> {
        match c {
            Command::Keep { group, snapshot } => {
                let store = self
                    .kept
                    .get_or_insert_with(|| Store::open().expect("a scratch database"));
                Some(Input::Kept {
                    group: *group,
                    result: store.keep(*group, snapshot),
                })
            }
            Command::Look { line, group, keys } => Some(Input::Found {
                line: *line,
                result: match &self.kept {
                    Some(store) => store.look(*group, keys),
                    None => Err("nothing kept".into()),
                },
            }),
            _ => None,
        }
    }

    pub fn input(&mut self, i: Input) -> Vec<Command> {
        self.core.handle(i, self.now);
        self.take()
    }

    pub fn feed(
        &mut self,
        line: u64,
        state: RowState,
        unknown_since_ms: Option<i64>,
    ) -> Vec<Command> {
        let r = row(line);
        let synced = Synced {
            flow_id: line as i64,
            state,
            data_flow_id: None,
            unknown_since_ms,
            attempts: u32::from(state == RowState::Unknown),
            fingerprint: r.fingerprint(),
            source_key: Some(r.source_key()),
            error_code: None,
            rotation: None,
        };
        self.input(Input::Fed {
            item: Box::new(FeedItem::new(
                &*self.core.op,
                r,
                synced,
                None,
                self.core.settings.retry_failed,
            )),
            host: 0,
        })
    }

    /// Moves time on to `t` and takes the wakes due.
    pub fn at(&mut self, t: Duration) -> Vec<Command> {
        self.now = t;
        self.core.on_timer(t);
        self.take()
    }

    pub fn listed(&mut self, started: Duration, flows: Vec<DataFlowInfo>) -> Vec<Command> {
        self.input(Input::Listed {
            group: group_key(),
            started,
            result: Ok(Listed::Flows(flows)),
        })
    }

    pub fn list_failed(&mut self, e: CallError) -> Vec<Command> {
        let started = self.now;
        self.input(Input::Listed {
            group: group_key(),
            started,
            result: Err(e),
        })
    }

    /// Grants the slot and returns the row's mark.
    pub fn slot(&mut self, line: u64) -> Transition {
        let cmds = self.input(Input::SlotGranted {
            line,
            slot: self.now,
        });
        cmds.into_iter()
            .find_map(|c| match c {
                Command::Send(Call { mark, line: l, .. }) if l == line => mark,
                _ => None,
            })
            .expect("a send after the slot")
    }

    pub fn answer(&mut self, line: u64, result: Result<Answer, CallError>) -> Vec<Command> {
        self.input(Input::Answered {
            line,
            result,
            latency: Duration::from_millis(100),
        })
    }
}

pub fn lists(cmds: &[Command]) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, Command::List { .. }))
        .count()
}

pub fn waits(cmds: &[Command]) -> Vec<u64> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::WaitSlot { line, .. } => Some(*line),
            _ => None,
        })
        .collect()
}

pub fn records(cmds: &[Command], line: u64) -> Vec<&Transition> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Record(t) if t.flow_id() == line as i64 => Some(t),
            _ => None,
        })
        .collect()
}

pub fn ok(id: &str) -> Result<Answer, CallError> {
    Ok(Answer {
        id: Some(id.into()),
        request_id: "req".into(),
    })
}

/// The group of the harness's rows.
pub fn group_key() -> GroupKey {
    GroupKey {
        region: "ap-x".into(),
        file_system_id: FS.into(),
        scope: crate::engine::op::Scope::Flows,
    }
}
