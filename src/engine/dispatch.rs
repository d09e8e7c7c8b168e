//! The dispatcher: one task owns the state of every row in play. Attempt and listing tasks report
//! to it; it decides (with `decide`), records through the store writer, and emits events.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::decide::{self, AfterCall, Verdict};
use super::events::{Event, EventSink, RowEvent, StopReason};
use super::feed::FeedItem;
use super::listing::list_file_system;
use super::pacer::Pacer;
use crate::api::{CallError, Client, Created, DataFlowInfo, Endpoint, OutcomeClass, Target};
use crate::manifest::Row;
use crate::store::{now_ms, AttemptEnd, RowState, StoreError, Transition, Writer};

/// Listings made for one row whose flow the service says exists before it gives up.
const MAX_LISTINGS: u32 = 6;
/// Code recorded when a different flow holds a row's directory.
pub const CONFLICT: &str = "DataFlowConflict";

/// What the dispatcher needs to know, resolved from the flags.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub rate: f64,
    pub describe_rate: f64,
    pub concurrency: usize,
    pub max_attempts: u32,
    pub request_timeout: Duration,
    pub settle: Duration,
    pub seed: u64,
}

/// How the dispatch ended.
#[derive(Debug, Default)]
pub struct DispatchEnd {
    pub stop: Option<(StopReason, String)>,
    pub store_error: Option<StoreError>,
    pub calls: u64,
    pub throttled: u64,
    pub created: u64,
}

struct Host {
    target: Target,
    create: Arc<Pacer>,
    describe: Arc<Pacer>,
    permits: Arc<Semaphore>,
    ready: VecDeque<u64>,
}

struct Unknown {
    since_ms: i64,
    path_used: bool,
    listings: u32,
    error: Option<CallError>,
}

struct Play {
    flow_id: i64,
    row: Arc<Row>,
    host: String,
    attempts: u32,
    lifetime: u32,
    state: RowState,
    unknown: Option<Unknown>,
}

type GroupKey = (String, String);

#[derive(Default)]
struct Group {
    rows: Vec<u64>,
    listing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    Retry(u64),
    Resolve(GroupKey),
}

enum Done {
    Call {
        key: u64,
        attempt: u32,
        result: Result<Created, CallError>,
        ended_ms: i64,
        latency: Duration,
    },
    NotSent {
        key: u64,
    },
    Store {
        error: StoreError,
    },
    Listing {
        group: GroupKey,
        started_ms: i64,
        result: Result<Vec<DataFlowInfo>, CallError>,
    },
}

struct Dispatcher {
    client: Client,
    writer: Writer,
    run_id: i64,
    endpoint: Endpoint,
    settings: DispatchSettings,
    events: EventSink,
    stop_token: CancellationToken,
    done_tx: mpsc::UnboundedSender<Done>,
    hosts: HashMap<String, Host>,
    host_order: Vec<String>,
    plays: HashMap<u64, Play>,
    groups: HashMap<GroupKey, Group>,
    wakes: BinaryHeap<Reverse<(Instant, Wake)>>,
    failed_fs: HashMap<String, CallError>,
    in_flight: usize,
    listings: usize,
    ready_len: usize,
    feed_done: bool,
    end: DispatchEnd,
    rng: StdRng,
}

/// Runs every row the feed hands over until all are settled or the run stops.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's parts, each owned by the dispatcher"
)]
pub async fn dispatch(
    client: Client,
    writer: Writer,
    run_id: i64,
    endpoint: Endpoint,
    settings: DispatchSettings,
    events: EventSink,
    mut feed: mpsc::Receiver<FeedItem>,
    cancel: CancellationToken,
    deadline: Option<Instant>,
) -> DispatchEnd {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let rng = StdRng::seed_from_u64(settings.seed);
    let mut d = Dispatcher {
        client,
        writer,
        run_id,
        endpoint,
        settings,
        events,
        stop_token: CancellationToken::new(),
        done_tx,
        hosts: HashMap::new(),
        host_order: Vec::new(),
        plays: HashMap::new(),
        groups: HashMap::new(),
        wakes: BinaryHeap::new(),
        failed_fs: HashMap::new(),
        in_flight: 0,
        listings: 0,
        ready_len: 0,
        feed_done: false,
        end: DispatchEnd::default(),
        rng,
    };
    let ready_cap = d.settings.concurrency.saturating_mul(2).max(64);
    loop {
        d.launch();
        if d.finished() {
            break;
        }
        let next_wake = d.wakes.peek().map(|Reverse((t, _))| *t);
        let stopping = d.end.stop.is_some();
        let wants_feed = !stopping && !d.feed_done && d.ready_len < ready_cap;
        tokio::select! {
            biased;
            _ = cancel.cancelled(), if !stopping => {
                d.stop(StopReason::Interrupted, "interrupted: finishing the calls in flight".into());
            }
            _ = sleep_until_opt(deadline), if deadline.is_some() && !stopping => {
                d.stop(StopReason::MaxRuntime, "--max-runtime reached: finishing the calls in flight".into());
            }
            Some(done) = done_rx.recv() => d.handle(done),
            item = feed.recv(), if wants_feed => match item {
                Some(item) => d.accept(item),
                None => d.feed_done = true,
            },
            _ = sleep_until_opt(next_wake), if next_wake.is_some() && !stopping => d.wake_due(),
        }
    }
    d.end
}

/// Rows of unknown outcome are resolved together, one listing per region and file system.
fn group_of(row: &Row) -> GroupKey {
    (row.region.clone(), row.request.file_system_id.clone())
}

async fn sleep_until_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

impl Dispatcher {
    fn settle_ms(&self) -> i64 {
        self.settings.settle.as_millis() as i64
    }

    fn finished(&self) -> bool {
        if self.in_flight > 0 || self.listings > 0 {
            return false;
        }
        if self.end.stop.is_some() {
            return true;
        }
        self.feed_done && self.plays.is_empty()
    }

    fn stop(&mut self, reason: StopReason, detail: String) {
        let stronger = self.end.stop.as_ref().is_none_or(|(r, _)| reason > *r);
        if stronger {
            self.events.send(Event::Stopping {
                reason,
                detail: detail.clone(),
            });
            self.end.stop = Some((reason, detail));
        }
        self.stop_token.cancel();
    }

    fn host_for(&mut self, region: &str) -> Result<String, crate::api::endpoint::EndpointError> {
        let target = self.endpoint.resolve(region)?;
        let key = target.host.clone();
        if !self.hosts.contains_key(&key) {
            self.hosts.insert(
                key.clone(),
                Host {
                    target,
                    create: Arc::new(Pacer::new(self.settings.rate)),
                    describe: Arc::new(Pacer::new(self.settings.describe_rate)),
                    permits: Arc::new(Semaphore::new(self.settings.concurrency.max(1))),
                    ready: VecDeque::new(),
                },
            );
            self.host_order.push(key.clone());
        }
        Ok(key)
    }

    /// A row from the feed: pending and retrying rows queue for a call; unknown rows are
    /// resolved first.
    fn accept(&mut self, item: FeedItem) {
        let key = item.row.line;
        let host = match self.host_for(&item.row.region) {
            Ok(h) => h,
            Err(e) => {
                self.stop(StopReason::Fatal, e.to_string());
                return;
            }
        };
        let mut play = Play {
            flow_id: item.synced.flow_id,
            row: Arc::new(item.row),
            host: host.clone(),
            attempts: 0,
            lifetime: item.synced.attempts,
            state: item.synced.state,
            unknown: None,
        };
        if item.synced.state == RowState::Unknown {
            let since = item.synced.unknown_since_ms.unwrap_or_else(now_ms);
            play.unknown = Some(Unknown {
                since_ms: since,
                path_used: false,
                listings: 0,
                error: None,
            });
            let group = group_of(&play.row);
            self.plays.insert(key, play);
            self.join_group(group, key, since);
        } else {
            self.plays.insert(key, play);
            self.enqueue(key);
        }
    }

    fn enqueue(&mut self, key: u64) {
        if let Some(host) = self
            .plays
            .get(&key)
            .and_then(|p| self.hosts.get_mut(&p.host))
        {
            host.ready.push_back(key);
            self.ready_len += 1;
        }
    }

    fn join_group(&mut self, group: GroupKey, key: u64, since_ms: i64) {
        self.groups.entry(group.clone()).or_default().rows.push(key);
        let due = self.instant_at(since_ms + self.settle_ms());
        self.wakes.push(Reverse((due, Wake::Resolve(group))));
    }

    /// The monotonic instant of a wall-clock time in ms.
    fn instant_at(&self, at_ms: i64) -> Instant {
        let now = Instant::now();
        let delta = at_ms - now_ms();
        if delta <= 0 {
            now
        } else {
            now + Duration::from_millis(delta as u64)
        }
    }

    /// Starts calls while there are ready rows and free permits, host by host.
    fn launch(&mut self) {
        if self.end.stop.is_some() {
            return;
        }
        for i in 0..self.host_order.len() {
            let name = self.host_order[i].clone();
            while let Some(&key) = self.hosts.get(&name).and_then(|h| h.ready.front()) {
                let Some(host) = self.hosts.get_mut(&name) else {
                    break;
                };
                let fs_failed = self
                    .plays
                    .get(&key)
                    .and_then(|p| self.failed_fs.get(&p.row.request.file_system_id))
                    .cloned();
                if let Some(error) = fs_failed {
                    host.ready.pop_front();
                    self.ready_len -= 1;
                    self.fail_without_call(key, error);
                    continue;
                }
                let Ok(permit) = host.permits.clone().try_acquire_owned() else {
                    break;
                };
                host.ready.pop_front();
                self.ready_len -= 1;
                let pacer = host.create.clone();
                let target = host.target.clone();
                self.start_attempt(key, permit, pacer, target);
            }
        }
    }

    fn start_attempt(
        &mut self,
        key: u64,
        permit: OwnedSemaphorePermit,
        pacer: Arc<Pacer>,
        target: Target,
    ) {
        let Some(play) = self.plays.get_mut(&key) else {
            return;
        };
        play.attempts += 1;
        play.lifetime += 1;
        let attempt = play.lifetime;
        let flow_id = play.flow_id;
        let row = play.row.clone();
        let writer = self.writer.clone();
        let client = self.client.clone();
        let run_id = self.run_id;
        let done = self.done_tx.clone();
        let stop = self.stop_token.clone();
        let timeout = self.settings.request_timeout;
        self.in_flight += 1;
        tokio::spawn(async move {
            let _permit = permit;
            // The turn comes first (its slot at most `LEAD` away), so that the record written
            // before the call knows the latest moment the call can end: its slot, then the
            // timeout (and a second of slack).
            let slot = tokio::select! {
                slot = pacer.turn() => slot,
                _ = stop.cancelled() => {
                    let _ = done.send(Done::NotSent { key });
                    return;
                }
            };
            let latest_end_ms = now_ms()
                + (slot.saturating_duration_since(Instant::now()) + timeout).as_millis() as i64
                + 1000;
            if let Err(error) = writer
                .begin_attempt(flow_id, run_id, attempt, latest_end_ms)
                .await
            {
                let _ = done.send(Done::Store { error });
                let _ = done.send(Done::NotSent { key });
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(slot) => {}
                _ = stop.cancelled() => {
                    let _ = done.send(Done::NotSent { key });
                    return;
                }
            }
            let started = Instant::now();
            let result = client
                .create_data_flow(&target, &row.region, &row.request)
                .await;
            match &result {
                Ok(_) => pacer.succeeded(started),
                Err(e) if e.class == OutcomeClass::Throttled => pacer.throttled(started),
                Err(_) => {}
            }
            let _ = done.send(Done::Call {
                key,
                attempt,
                result,
                ended_ms: now_ms(),
                latency: started.elapsed(),
            });
        });
    }

    fn handle(&mut self, done: Done) {
        match done {
            Done::Call {
                key,
                attempt,
                result,
                ended_ms,
                latency,
            } => {
                self.in_flight -= 1;
                self.end.calls += 1;
                self.after_call(key, attempt, result, ended_ms, latency);
            }
            Done::NotSent { key } => {
                self.in_flight -= 1;
                // Nothing was sent: the row is where it was before the attempt.
                if let Some(play) = self.plays.get_mut(&key) {
                    play.attempts -= 1;
                    play.lifetime -= 1;
                    let state = play.state;
                    self.record(key, state, None, None, None);
                }
            }
            Done::Store { error } => {
                self.stop(StopReason::Store, error.to_string());
                self.end.store_error.get_or_insert(error);
            }
            Done::Listing {
                group,
                started_ms,
                result,
            } => {
                self.listings -= 1;
                self.after_listing(group, started_ms, result);
            }
        }
    }

    fn after_call(
        &mut self,
        key: u64,
        attempt: u32,
        result: Result<Created, CallError>,
        ended_ms: i64,
        latency: Duration,
    ) {
        let class = match &result {
            Ok(_) => OutcomeClass::Success,
            Err(e) => e.class,
        };
        self.events.send(Event::Call { class, latency });
        if class == OutcomeClass::Throttled {
            self.end.throttled += 1;
        }
        let Some(play) = self.plays.get(&key) else {
            return;
        };
        let (attempts, prior, row) = (play.attempts, play.state, play.row.clone());
        let end =
            |outcome: OutcomeClass, code: Option<&str>, request_id: Option<&str>| AttemptEnd {
                attempt,
                ended_at_ms: ended_ms,
                outcome: outcome.as_str(),
                error_code: code.map(str::to_owned),
                request_id: request_id.map(str::to_owned),
                latency_ms: latency.as_millis() as i64,
            };
        let attempt_end = match &result {
            Ok(c) => end(class, None, Some(&c.request_id)),
            Err(e) => end(class, Some(&e.code), e.request_id.as_deref()),
        };
        match decide::after_call(&result, attempts, self.settings.max_attempts) {
            AfterCall::Created {
                data_flow_id,
                request_id,
            } => self.finish_created(
                key,
                data_flow_id,
                Some(request_id),
                Some(attempt_end),
                "call",
            ),
            AfterCall::Failed { error } => {
                self.finish_failed(key, &error, Some(attempt_end), "call")
            }
            AfterCall::FailFileSystem { error } => {
                self.failed_fs
                    .entry(row.request.file_system_id.clone())
                    .or_insert_with(|| error.clone());
                self.finish_failed(key, &error, Some(attempt_end), "call");
            }
            AfterCall::Retry { backoff, error } => {
                let delay = backoff.delay(attempts, &mut self.rng);
                self.record(
                    key,
                    RowState::Retrying,
                    Some(&error),
                    Some(attempt_end),
                    None,
                );
                self.wakes
                    .push(Reverse((Instant::now() + delay, Wake::Retry(key))));
            }
            AfterCall::Resolve { path_used, error } => {
                let group = group_of(&row);
                self.record(
                    key,
                    RowState::Unknown,
                    Some(&error),
                    Some(attempt_end),
                    Some(ended_ms),
                );
                if let Some(play) = self.plays.get_mut(&key) {
                    play.unknown = Some(Unknown {
                        since_ms: ended_ms,
                        path_used,
                        listings: 0,
                        error: Some(error),
                    });
                }
                self.join_group(group, key, ended_ms);
            }
            AfterCall::Fatal { error } => {
                // The call did not act: the row goes back to where it was.
                self.record(key, prior, Some(&error), Some(attempt_end), None);
                self.stop(StopReason::Fatal, error.to_string());
            }
        }
    }

    fn wake_due(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((t, _))) = self.wakes.peek() {
            if *t > now {
                break;
            }
            let Some(Reverse((_, wake))) = self.wakes.pop() else {
                break;
            };
            match wake {
                Wake::Retry(key) => {
                    if self.plays.contains_key(&key) {
                        self.enqueue(key);
                    }
                }
                Wake::Resolve(group) => self.start_listing(group),
            }
        }
    }

    fn start_listing(&mut self, group: GroupKey) {
        let settle = self.settle_ms();
        let now = now_ms();
        let Some(g) = self.groups.get_mut(&group) else {
            return;
        };
        if g.listing {
            return;
        }
        let due = g.rows.iter().any(|k| {
            self.plays
                .get(k)
                .and_then(|p| p.unknown.as_ref())
                .is_some_and(|u| u.since_ms + settle <= now)
        });
        if !due {
            return;
        }
        let Some(host_key) = g
            .rows
            .first()
            .and_then(|k| self.plays.get(k))
            .map(|p| p.host.clone())
        else {
            return;
        };
        let Some(host) = self.hosts.get(&host_key) else {
            return;
        };
        g.listing = true;
        self.listings += 1;
        let (client, target, pacer, done) = (
            self.client.clone(),
            host.target.clone(),
            host.describe.clone(),
            self.done_tx.clone(),
        );
        let max_attempts = self.settings.max_attempts;
        let stop = self.stop_token.clone();
        tokio::spawn(async move {
            let (region, fs) = group.clone();
            let started_ms = now_ms();
            let result = tokio::select! {
                r = list_file_system(&client, &target, &region, &fs, pacer, max_attempts) => r,
                _ = stop.cancelled() => Err(CallError {
                    class: OutcomeClass::Transient,
                    code: "Stopped".into(),
                    message: "the run stopped before the listing ended".into(),
                    request_id: None,
                }),
            };
            let _ = done.send(Done::Listing {
                group,
                started_ms,
                result,
            });
        });
    }

    fn after_listing(
        &mut self,
        group: GroupKey,
        started_ms: i64,
        result: Result<Vec<DataFlowInfo>, CallError>,
    ) {
        let settle = self.settle_ms();
        let Some(g) = self.groups.get_mut(&group) else {
            return;
        };
        g.listing = false;
        let keys = std::mem::take(&mut g.rows);
        self.events.send(Event::Listing {
            file_system_id: group.1.clone(),
            flows: result.as_ref().map(Vec::len).unwrap_or(0),
            error: result.as_ref().err().cloned(),
        });
        if self.end.stop.is_some() {
            // Rows stay `unknown` in the state file; the next run resolves them.
            for k in keys {
                self.plays.remove(&k);
            }
            self.groups.remove(&group);
            return;
        }
        let mut waiting = Vec::new();
        let mut next_due: Option<i64> = None;
        match &result {
            Err(e) if e.class == OutcomeClass::Fatal => {
                let detail = e.to_string();
                self.groups.insert(
                    group.clone(),
                    Group {
                        rows: keys,
                        listing: false,
                    },
                );
                self.stop(StopReason::Fatal, detail);
                return;
            }
            _ => {}
        }
        for key in keys {
            let Some(play) = self.plays.get_mut(&key) else {
                continue;
            };
            let Some(u) = play.unknown.as_mut() else {
                continue;
            };
            if u.since_ms + settle > started_ms {
                next_due = Some(next_due.map_or(u.since_ms, |d| d.min(u.since_ms)));
                waiting.push(key);
                continue;
            }
            u.listings += 1;
            let listings = u.listings;
            let path_used = u.path_used;
            let row = play.row.clone();
            match &result {
                Ok(flows) => {
                    let verdict = decide::after_listing(
                        &row.request,
                        flows,
                        path_used,
                        listings,
                        MAX_LISTINGS,
                    );
                    self.apply_verdict(key, verdict, &group, &mut waiting);
                }
                Err(e) if e.class == OutcomeClass::FileSystem => {
                    // The file system does not exist (or cannot have flows): nothing was created.
                    let e = e.clone();
                    self.finish_failed(key, &e, None, "listing");
                }
                Err(e) => {
                    if listings >= MAX_LISTINGS {
                        // Leave it `unknown`: the next run asks again. Never guess.
                        self.events.send(Event::Row(self.row_event(
                            key,
                            RowState::Unknown,
                            Some(e),
                            "listing",
                        )));
                        self.plays.remove(&key);
                    } else {
                        waiting.push(key);
                        let delay = Backoff::LISTING.delay(listings, &mut self.rng);
                        self.wakes.push(Reverse((
                            Instant::now() + delay,
                            Wake::Resolve(group.clone()),
                        )));
                    }
                }
            }
        }
        if waiting.is_empty() {
            self.groups.remove(&group);
        } else {
            self.groups
                .entry(group.clone())
                .or_default()
                .rows
                .extend(waiting);
            if let Some(since) = next_due {
                let due = self.instant_at(since + settle);
                self.wakes.push(Reverse((due, Wake::Resolve(group))));
            }
        }
    }

    fn apply_verdict(
        &mut self,
        key: u64,
        verdict: Verdict,
        group: &GroupKey,
        waiting: &mut Vec<u64>,
    ) {
        match verdict {
            Verdict::Ours { data_flow_id } => {
                self.finish_created(key, data_flow_id, None, None, "listing")
            }
            Verdict::Conflict { data_flow_id } => {
                let Some(play) = self.plays.get(&key) else {
                    return;
                };
                let error = CallError {
                    class: OutcomeClass::Row,
                    code: CONFLICT.into(),
                    message: format!(
                        "{} of {} already has data flow {data_flow_id} with another source",
                        play.row.target_key(),
                        play.row.request.file_system_id
                    ),
                    request_id: None,
                };
                self.finish_failed(key, &error, None, "listing");
            }
            Verdict::Resend => {
                let Some(play) = self.plays.get_mut(&key) else {
                    return;
                };
                let last = play.unknown.take().and_then(|u| u.error);
                if play.attempts >= self.settings.max_attempts {
                    let error = decide::gave_up(
                        last.unwrap_or_else(|| CallError {
                            class: OutcomeClass::Unknown,
                            code: "Unknown".into(),
                            message: "no answer".into(),
                            request_id: None,
                        }),
                        play.attempts,
                    );
                    self.finish_failed(key, &error, None, "listing");
                } else {
                    play.state = RowState::Retrying;
                    self.record(key, RowState::Retrying, last.as_ref(), None, None);
                    self.enqueue(key);
                }
            }
            Verdict::LookAgain => {
                let listings = self
                    .plays
                    .get(&key)
                    .and_then(|p| p.unknown.as_ref())
                    .map_or(1, |u| u.listings);
                waiting.push(key);
                let delay = Backoff::LISTING
                    .delay(listings, &mut self.rng)
                    .max(Duration::from_millis(500));
                self.wakes.push(Reverse((
                    Instant::now() + delay,
                    Wake::Resolve(group.clone()),
                )));
            }
            Verdict::GiveUp { message } => {
                let error = CallError {
                    class: OutcomeClass::Row,
                    code: crate::api::classify::PATH_USED.into(),
                    message,
                    request_id: None,
                };
                self.finish_failed(key, &error, None, "listing");
            }
        }
    }

    fn fail_without_call(&mut self, key: u64, error: CallError) {
        let error = CallError {
            message: format!(
                "not attempted: the file system failed earlier: {}",
                error.message
            ),
            ..error
        };
        self.finish_failed(key, &error, None, "file system");
    }

    fn finish_created(
        &mut self,
        key: u64,
        data_flow_id: String,
        request_id: Option<String>,
        attempt: Option<AttemptEnd>,
        via: &'static str,
    ) {
        let Some(play) = self.plays.remove(&key) else {
            return;
        };
        self.end.created += 1;
        let t = Transition {
            flow_id: play.flow_id,
            state: RowState::Created,
            data_flow_id: Some(data_flow_id.clone()),
            request_id: request_id.clone(),
            error_code: None,
            error_message: None,
            unknown_since_ms: None,
            attempt,
        };
        self.write(t);
        self.events.send(Event::Row(RowEvent {
            line: play.row.line,
            file_system_id: play.row.request.file_system_id.clone(),
            target_path: play.row.request.target_path.clone(),
            state: RowState::Created,
            data_flow_id: Some(data_flow_id),
            error_code: None,
            error_message: None,
            request_id,
            attempt: play.lifetime,
            earlier: false,
            via,
        }));
    }

    fn finish_failed(
        &mut self,
        key: u64,
        error: &CallError,
        attempt: Option<AttemptEnd>,
        via: &'static str,
    ) {
        let event = self.row_event(key, RowState::Failed, Some(error), via);
        let Some(play) = self.plays.remove(&key) else {
            return;
        };
        self.write(Transition {
            flow_id: play.flow_id,
            state: RowState::Failed,
            data_flow_id: None,
            request_id: error.request_id.clone(),
            error_code: Some(error.code.clone()),
            error_message: Some(error.message.clone()),
            unknown_since_ms: None,
            attempt,
        });
        self.events.send(Event::Row(event));
    }

    /// Records a non-final state for a row still in play.
    fn record(
        &mut self,
        key: u64,
        state: RowState,
        error: Option<&CallError>,
        attempt: Option<AttemptEnd>,
        unknown_since_ms: Option<i64>,
    ) {
        let Some(play) = self.plays.get_mut(&key) else {
            return;
        };
        play.state = state;
        let t = Transition {
            flow_id: play.flow_id,
            state,
            data_flow_id: None,
            request_id: error.and_then(|e| e.request_id.clone()),
            error_code: error.map(|e| e.code.clone()),
            error_message: error.map(|e| e.message.clone()),
            unknown_since_ms,
            attempt,
        };
        self.write(t);
        let event = self.row_event(key, state, error, "call");
        self.events.send(Event::Row(event));
    }

    fn row_event(
        &self,
        key: u64,
        state: RowState,
        error: Option<&CallError>,
        via: &'static str,
    ) -> RowEvent {
        let play = self.plays.get(&key);
        RowEvent {
            line: key,
            file_system_id: play
                .map(|p| p.row.request.file_system_id.clone())
                .unwrap_or_default(),
            target_path: play
                .map(|p| p.row.request.target_path.clone())
                .unwrap_or_default(),
            state,
            data_flow_id: None,
            error_code: error.map(|e| e.code.clone()),
            error_message: error.map(|e| e.message.clone()),
            request_id: error.and_then(|e| e.request_id.clone()),
            attempt: play.map_or(0, |p| p.lifetime),
            earlier: false,
            via,
        }
    }

    fn write(&mut self, t: Transition) {
        if let Err(error) = self.writer.transition(t) {
            self.stop(StopReason::Store, error.to_string());
            self.end.store_error.get_or_insert(error);
        }
    }
}
