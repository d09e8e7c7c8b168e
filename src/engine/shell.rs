//! The async shell around the core: it feeds the core rows, answers and timer wakes, and carries
//! out its commands with pacers, spawned call and listing tasks, and the store writer. It decides
//! nothing about rows.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::core::{Call, Command, Core, Fed, HostId, Input, Totals};
use super::events::{EventSink, StopReason};
use super::kept::Kept;
use super::listing::{list, Place};
use super::op::{Action, Answer, Scope};
use super::pacer::Pacer;
use super::pacers::Pacers;
use crate::api::{CallError, Client, Endpoint, OutcomeClass, Target};
use crate::store::{StoreError, Writer};

/// How the shell ended.
#[derive(Debug, Default)]
pub struct ShellEnd {
    pub stop: Option<(StopReason, String)>,
    pub store_error: Option<StoreError>,
    pub totals: Totals,
}

struct HostIo {
    target: Target,
}

/// What the spawned tasks need, shared.
struct Io {
    client: Client,
    writer: Writer,
    pacers: Arc<Pacers>,
    start: Instant,
    halt: CancellationToken,
    tx: mpsc::UnboundedSender<Input>,
}

impl Io {
    fn since_start(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.start)
    }
}

/// Drives `core` until every row the feed hands over is settled or the run stops.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's parts, each owned by the shell"
)]
pub async fn drive(
    mut core: Core,
    client: Client,
    writer: Writer,
    endpoint: Endpoint,
    pacers: Arc<Pacers>,
    events: EventSink,
    mut feed: mpsc::Receiver<Fed>,
    cancel: CancellationToken,
    deadline: Option<(Instant, &'static str)>,
    start: Instant,
) -> ShellEnd {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let io = Arc::new(Io {
        client,
        writer,
        pacers,
        start,
        halt: CancellationToken::new(),
        tx,
    });
    let mut hosts: Vec<HostIo> = Vec::new();
    let mut host_index: HashMap<String, HostId> = HashMap::new();
    let mut end = ShellEnd::default();
    let mut kept: Option<Kept> = None;
    let mut feed_open = true;
    loop {
        while let Some(cmd) = core.poll_command() {
            exec(cmd, &io, &hosts, &mut kept, &events, &mut end);
        }
        if core.finished() && (!feed_open || core.stopped().is_some()) {
            break;
        }
        let stopping = core.stopped().is_some();
        let next_wake = core.next_wake().map(|t| start + t);
        let wants_rows = feed_open && core.wants_rows();
        tokio::select! {
            biased;
            _ = cancel.cancelled(), if !stopping => {
                let detail = "interrupted: finishing the calls in flight".to_owned();
                core.handle(Input::Stop { reason: StopReason::Interrupted, detail }, io.since_start(Instant::now()));
            }
            _ = sleep_until_opt(deadline.map(|(t, _)| t)), if deadline.is_some() && !stopping => {
                let flag = deadline.map_or("--max-runtime", |(_, flag)| flag);
                let detail = format!("{flag} reached: finishing the calls in flight");
                core.handle(Input::Stop { reason: StopReason::MaxRuntime, detail }, io.since_start(Instant::now()));
            }
            Some(input) = rx.recv() => core.handle(input, io.since_start(Instant::now())),
            item = feed.recv(), if wants_rows => {
                let now = io.since_start(Instant::now());
                match item {
                    Some(Fed::Settled(counts)) => core.handle(Input::Settled(counts), now),
                    Some(Fed::Row(item)) => match host_of(&endpoint, &item.row.region, &mut hosts, &mut host_index) {
                        Ok(host) => core.handle(Input::Fed { item: Box::new(item), host }, now),
                        Err(e) => core.handle(Input::Stop { reason: StopReason::Fatal, detail: e.to_string() }, now),
                    },
                    None => {
                        feed_open = false;
                        core.handle(Input::FeedEnded, now);
                    }
                }
            }
            _ = sleep_until_opt(next_wake), if next_wake.is_some() => {
                core.on_timer(io.since_start(Instant::now()));
            }
        }
    }
    // The pass's last figures, for the report's chart.
    core.sample_now();
    while let Some(cmd) = core.poll_command() {
        exec(cmd, &io, &hosts, &mut kept, &events, &mut end);
    }
    end.stop = core.stopped().cloned();
    end.totals = core.totals().clone();
    end
}

async fn sleep_until_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn host_of(
    endpoint: &Endpoint,
    region: &str,
    hosts: &mut Vec<HostIo>,
    index: &mut HashMap<String, HostId>,
) -> Result<HostId, crate::api::endpoint::EndpointError> {
    let target = endpoint.resolve(region)?;
    if let Some(&h) = index.get(&target.host) {
        return Ok(h);
    }
    let h = hosts.len();
    index.insert(target.host.clone(), h);
    hosts.push(HostIo { target });
    Ok(h)
}

/// The host's target and its pacer of `action`.
fn pacer(io: &Io, hosts: &[HostIo], host: HostId, action: Action) -> Option<(Target, Arc<Pacer>)> {
    let h = hosts.get(host)?;
    Some((h.target.clone(), io.pacers.get(&h.target.host, action)))
}

fn exec(
    cmd: Command,
    io: &Arc<Io>,
    hosts: &[HostIo],
    kept: &mut Option<Kept>,
    events: &EventSink,
    end: &mut ShellEnd,
) {
    match cmd {
        Command::Record(t) => {
            if let Err(error) = io.writer.transition(t) {
                store_failed(io, end, error);
            }
        }
        Command::Emit(e) => events.send(e),
        Command::Sample(s) => {
            if let Err(error) = io.writer.sample(s) {
                store_failed(io, end, error);
            }
        }
        Command::Halt => io.halt.cancel(),
        Command::Keep { group, snapshot } => kept
            .get_or_insert_with(|| Kept::start(io.tx.clone()))
            .keep(group, snapshot),
        Command::Look { line, group, keys } => match kept {
            Some(kept) => kept.look(line, group, keys),
            // Never: a group is looked up only once its listing was given to keep.
            None => {
                let result = Err("no listing was kept".to_owned());
                let _ = io.tx.send(Input::Found { line, result });
            }
        },
        Command::WaitSlot { line, host, action } => {
            let Some((_, pacer)) = pacer(io, hosts, host, action) else {
                let _ = io.tx.send(Input::SlotAbandoned { line });
                return;
            };
            let io = io.clone();
            tokio::spawn(async move {
                let input = tokio::select! {
                    slot = pacer.turn() => Input::SlotGranted { line, slot: io.since_start(slot) },
                    _ = io.halt.cancelled() => Input::SlotAbandoned { line },
                };
                let _ = io.tx.send(input);
            });
        }
        Command::Send(call) => send_call(io, hosts, call),
        Command::List {
            group,
            host,
            since_ms,
        } => list_group(io, hosts, group, host, since_ms),
    }
}

/// Commits the call's mark, then sends it at its slot on a task of its own; answers
/// [`Input::Answered`] (or [`Input::NotSent`]).
fn send_call(io: &Arc<Io>, hosts: &[HostIo], call: Call) {
    let Call {
        line,
        host,
        region,
        request,
        slot,
        mark,
    } = call;
    let Some((target, pacer)) = pacer(io, hosts, host, request.action()) else {
        let _ = io.tx.send(Input::NotSent { line });
        return;
    };
    let io = io.clone();
    tokio::spawn(async move {
        // The mark is durable before the call leaves: a crash after this point leaves
        // the row `unknown`, resolved by listing before anything is sent again.
        let committed = match mark {
            Some(mark) => io.writer.commit(mark).await,
            None => Ok(()),
        };
        if let Err(error) = committed {
            let detail = error.to_string();
            let _ = io.tx.send(Input::Stop {
                reason: StopReason::Store,
                detail,
            });
            let _ = io.tx.send(Input::NotSent { line });
            return;
        }
        tokio::time::sleep_until(io.start + slot).await;
        let sent = Instant::now();
        let result = io
            .client
            .send(&target, &region, &request)
            .await
            .map(|reply| Answer {
                id: reply.resource_id().map(str::to_owned),
                request_id: reply.request_id().to_owned(),
            });
        match &result {
            Ok(_) => pacer.succeeded(sent),
            Err(e) if e.class == OutcomeClass::Throttled => pacer.throttled(sent),
            Err(_) => {}
        }
        let latency = sent.elapsed();
        let _ = io.tx.send(Input::Answered {
            line,
            result,
            latency,
        });
    });
}

/// Lists what `group` covers on a task of its own; answers [`Input::Listed`].
fn list_group(
    io: &Arc<Io>,
    hosts: &[HostIo],
    group: super::core::GroupKey,
    host: HostId,
    since_ms: Option<i64>,
) {
    let action = match group.scope {
        Scope::Flows => Action::Describe,
        Scope::Tasks { .. } => Action::DescribeTasks,
    };
    let Some((target, pacer)) = pacer(io, hosts, host, action) else {
        // Never: every group's host is known. Answered all the same, so that the core
        // never waits for a listing that will not come.
        let _ = io.tx.send(Input::Listed {
            group,
            started: io.since_start(Instant::now()),
            result: Err(CallError {
                class: OutcomeClass::Fatal,
                code: "Internal".into(),
                message: "a listing of an unknown host".into(),
                request_id: None,
            }),
        });
        return;
    };
    let io = io.clone();
    tokio::spawn(async move {
        let place = Place {
            client: &io.client,
            target: &target,
            region: &group.region,
            file_system_id: &group.file_system_id,
            pacer,
        };
        let (started, result) = tokio::select! {
            r = list(place, &group.scope, since_ms) => r,
            _ = io.halt.cancelled() => (None, Err(CallError {
                class: OutcomeClass::Transient,
                code: "Stopped".into(),
                message: "the run stopped before the listing ended".into(),
                request_id: None,
            })),
        };
        let started = io.since_start(started.unwrap_or_else(Instant::now));
        let _ = io.tx.send(Input::Listed {
            group,
            started,
            result,
        });
    });
}

fn store_failed(io: &Io, end: &mut ShellEnd, error: StoreError) {
    let detail = error.to_string();
    end.store_error.get_or_insert(error);
    let _ = io.tx.send(Input::Stop {
        reason: StopReason::Store,
        detail,
    });
}
