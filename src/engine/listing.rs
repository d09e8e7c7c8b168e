//! Listing one file system's flows (DescribeDataFlow) or data tasks (DescribeLifecycleDataTask),
//! page by page, paced on the host's budget of the action. A page that is throttled or fails
//! transiently is tried again, up to [`PAGE_ATTEMPTS`] times; a listing that still fails is one
//! failed listing for the core to count (see `core::listing`).

use std::sync::Arc;

use tokio::time::Instant;

use super::backoff::Backoff;
use super::core::Listed;
use super::op::Scope;
use super::pacer::Pacer;
use crate::api::tasks::{format_cst, DescribeTasksRequest, TaskFilter, TaskInfo, TASK_PAGE_LIMIT};
use crate::api::types::DESCRIBE_PAGE_LIMIT;
use crate::api::{
    CallError, Client, DataFlowInfo, DescribeDataFlowRequest, OutcomeClass, Reply, Request, Target,
};

/// The most pages one listing reads, whatever `TotalCount` says.
const MAX_PAGES: u64 = 10_000;
/// Listing calls in flight at once, over every listing of the process. A run that starts on a
/// thousand file systems would otherwise open a thousand connections at once when listings are
/// not paced (`--rate 0`), each keeping its buffers in the pool. Paced listings (20 calls/s at a
/// few hundred milliseconds each) need far fewer.
const PAGES_IN_FLIGHT: usize = 16;

/// The permits for [`PAGES_IN_FLIGHT`].
static IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PAGES_IN_FLIGHT);
/// Tries of one page within one listing.
pub const PAGE_ATTEMPTS: u32 = 3;
/// Reads of one file system before a listing that keeps shifting fails.
pub const READS: u32 = 3;
/// A day, in ms: task times carry no zone, so a window a day wider on each side holds a task
/// under either reading (UTC or China Standard Time).
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Where a listing goes.
pub struct Place<'a> {
    pub client: &'a Client,
    pub target: &'a Target,
    pub region: &'a str,
    pub file_system_id: &'a str,
    pub pacer: Arc<Pacer>,
}

/// Lists what `scope` covers of the file system; returns when its first page was sent, and the
/// items. `since_ms` bounds a listing of tasks: those created from a day before it.
pub async fn list(
    place: Place<'_>,
    scope: &Scope,
    since_ms: Option<i64>,
) -> (Option<Instant>, Result<Listed, CallError>) {
    match scope {
        Scope::Flows => {
            let (started, r) = list_file_system(
                place.client,
                place.target,
                place.region,
                place.file_system_id,
                place.pacer,
            )
            .await;
            (started, r.map(Listed::Flows))
        }
        Scope::Tasks { kind, name } => {
            let now = crate::clock::now_ms();
            // The service answers for the last 3 months only.
            let earliest = now - 88 * DAY_MS;
            let start = since_ms.unwrap_or(now).saturating_sub(DAY_MS).max(earliest);
            let mut filters = vec![TaskFilter {
                name: "FileSystemId",
                values: vec![place.file_system_id.to_owned()],
            }];
            if let Some(kind) = kind {
                filters.push(TaskFilter {
                    name: "Type",
                    values: vec![kind.as_str().to_owned()],
                });
            }
            if let Some(name) = name {
                filters.push(TaskFilter {
                    name: "TaskName",
                    values: vec![name.clone()],
                });
            }
            let base = DescribeTasksRequest {
                start_time: format_cst(start),
                end_time: format_cst(now + DAY_MS),
                task_id: None,
                filters,
                offset: 0,
                limit: TASK_PAGE_LIMIT,
            };
            let pages = Pages {
                place: &place,
                make: |offset| {
                    Request::DescribeTasks(DescribeTasksRequest {
                        offset,
                        ..base.clone()
                    })
                },
                take: |reply| match reply {
                    Reply::Tasks(p) => Some((p.total_count, p.tasks)),
                    _ => None,
                },
            };
            let (started, r) = pages.read_steadily::<TaskInfo>().await;
            (started, r.map(Listed::Tasks))
        }
    }
}

/// Lists every flow of `file_system_id`; returns when its first page was sent, and the flows.
pub async fn list_file_system(
    client: &Client,
    target: &Target,
    region: &str,
    file_system_id: &str,
    pacer: Arc<Pacer>,
) -> (Option<Instant>, Result<Vec<DataFlowInfo>, CallError>) {
    let place = Place {
        client,
        target,
        region,
        file_system_id,
        pacer,
    };
    let pages = Pages {
        place: &place,
        make: |offset| {
            Request::DescribeDataFlow(DescribeDataFlowRequest {
                file_system_id: Some(file_system_id.to_owned()),
                data_flow_id: None,
                limit: Some(DESCRIBE_PAGE_LIMIT),
                offset: Some(offset),
            })
        },
        take: |reply| match reply {
            Reply::Flows(p) => Some((p.total_count, p.data_flows)),
            _ => None,
        },
    };
    let (started, r) = pages.read_steadily::<DataFlowInfo>().await;
    let flows = r.map(|flows| {
        flows
            .into_iter()
            .map(|mut f| {
                if f.file_system_id.is_empty() {
                    f.file_system_id = file_system_id.to_owned();
                }
                f
            })
            .collect()
    });
    (started, flows)
}

/// One paged listing: how to ask for the page at an offset, and how to read a page.
struct Pages<'a, M, T> {
    place: &'a Place<'a>,
    make: M,
    take: T,
}

/// One read of every page.
enum Read<I> {
    Steady(Vec<I>),
    /// `TotalCount` changed between two pages: an item may have slipped between them.
    Shifted,
}

impl<M, T> Pages<'_, M, T>
where
    M: Fn(u32) -> Request,
{
    /// Pages are read by offset, so an item that appears or disappears while they are read
    /// shifts the next pages and another item can slip between two of them: when `TotalCount`
    /// changes between pages, the listing starts over (up to [`READS`] times), and a listing
    /// that never reads steadily fails, to be counted as a failed listing.
    async fn read_steadily<I>(&self) -> (Option<Instant>, Result<Vec<I>, CallError>)
    where
        T: Fn(Reply) -> Option<(u64, Vec<I>)>,
    {
        let mut started = None;
        for _ in 0..READS {
            match self.read(&mut started).await {
                Ok(Read::Steady(items)) => return (started, Ok(items)),
                Ok(Read::Shifted) => continue,
                Err(e) => return (started, Err(e)),
            }
        }
        let e = CallError {
            class: OutcomeClass::Transient,
            code: "ListingShifted".into(),
            message: format!(
                "what {} lists changed while it was listed, {READS} times in a row",
                self.place.file_system_id
            ),
            request_id: None,
        };
        (started, Err(e))
    }

    async fn read<I>(&self, started: &mut Option<Instant>) -> Result<Read<I>, CallError>
    where
        T: Fn(Reply) -> Option<(u64, Vec<I>)>,
    {
        let mut out = Vec::new();
        let mut offset: u64 = 0;
        let mut total: Option<u64> = None;
        for _ in 0..MAX_PAGES {
            let request = (self.make)(offset.min(u32::MAX as u64) as u32);
            let reply = self.page(&request, started).await?;
            let request_id = reply.request_id().to_owned();
            let Some((page_total, items)) = (self.take)(reply) else {
                return Err(CallError {
                    class: OutcomeClass::Unknown,
                    code: crate::api::error::codes::MALFORMED.into(),
                    message: "an answer of another action".into(),
                    request_id: Some(request_id),
                });
            };
            if total.is_some_and(|t| t != page_total) {
                return Ok(Read::Shifted);
            }
            total = Some(page_total);
            let n = items.len() as u64;
            out.extend(items);
            offset += n;
            if n == 0 || offset >= page_total {
                break;
            }
        }
        Ok(Read::Steady(out))
    }

    /// One page, tried again when throttled or failed transiently.
    async fn page(
        &self,
        request: &Request,
        started: &mut Option<Instant>,
    ) -> Result<Reply, CallError> {
        let mut rng = rand::make_rng::<rand::rngs::StdRng>();
        let p = self.place;
        let mut attempt = 0;
        loop {
            attempt += 1;
            p.pacer.wait().await;
            // Taken after the pace, so that a listing waiting for its host's pace never holds
            // a permit another host's listing could use. (The semaphore is never closed; a
            // closed one would only mean no bound.)
            let permit = IN_FLIGHT.acquire().await.ok();
            let sent = Instant::now();
            started.get_or_insert(sent);
            match p.client.send(p.target, p.region, request).await {
                Ok(reply) => {
                    p.pacer.succeeded(sent);
                    return Ok(reply);
                }
                Err(e) => {
                    let again = match e.class {
                        OutcomeClass::Throttled => {
                            p.pacer.throttled(sent);
                            Backoff::THROTTLED
                        }
                        // A read that may or may not have been answered is safe to repeat.
                        OutcomeClass::Transient | OutcomeClass::Unknown => Backoff::TRANSIENT,
                        _ => return Err(e),
                    };
                    if attempt >= PAGE_ATTEMPTS {
                        return Err(e);
                    }
                    drop(permit);
                    tokio::time::sleep(again.delay(attempt, &mut rng)).await;
                }
            }
        }
    }
}
