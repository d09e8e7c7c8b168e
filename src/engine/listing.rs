//! Listing one file system's flows with DescribeDataFlow, page by page, paced on the host's
//! DescribeDataFlow budget. A page that is throttled or fails transiently is tried again, up to
//! [`PAGE_ATTEMPTS`] times; a listing that still fails is one failed listing for the core to
//! count (see `core::listing`).

use std::sync::Arc;

use rand::SeedableRng;
use tokio::time::Instant;

use super::backoff::Backoff;
use super::pacer::Pacer;
use crate::api::types::DESCRIBE_PAGE_LIMIT;
use crate::api::{CallError, Client, DataFlowInfo, DescribeDataFlowRequest, OutcomeClass, Target};

/// The most pages one listing reads, whatever `TotalCount` says.
const MAX_PAGES: u64 = 10_000;
/// DescribeDataFlow calls in flight at once, over every listing of the process. A run that
/// starts on a thousand file systems would otherwise open a thousand connections at once when
/// listings are not paced (`--rate 0`), each keeping its buffers in the pool. Paced listings
/// (20 calls/s at a few hundred milliseconds each) need far fewer.
const PAGES_IN_FLIGHT: usize = 16;

/// The permits for [`PAGES_IN_FLIGHT`].
static IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PAGES_IN_FLIGHT);
/// Tries of one page within one listing.
pub const PAGE_ATTEMPTS: u32 = 3;

/// Lists every flow of `file_system_id`; returns when its first page was sent, and the flows.
/// Pages are read by offset, so a flow that disappears (being deleted) while they are read shifts
/// the next pages and another flow can slip between two of them: when `TotalCount` changes
/// between pages, the listing starts over (up to [`READS`] times), and a listing that never reads
/// steadily fails, to be counted as a failed listing.
pub async fn list_file_system(
    client: &Client,
    target: &Target,
    region: &str,
    file_system_id: &str,
    pacer: Arc<Pacer>,
) -> (Option<Instant>, Result<Vec<DataFlowInfo>, CallError>) {
    let mut started = None;
    for _ in 0..READS {
        let result = list(
            client,
            target,
            region,
            file_system_id,
            pacer.clone(),
            &mut started,
        )
        .await;
        match result {
            Ok(Read::Steady(flows)) => return (started, Ok(flows)),
            Ok(Read::Shifted) => continue,
            Err(e) => return (started, Err(e)),
        }
    }
    let e = CallError {
        class: OutcomeClass::Transient,
        code: "ListingShifted".into(),
        message: format!(
            "the flows of {file_system_id} changed while they were listed, {READS} times in a row"
        ),
        request_id: None,
    };
    (started, Err(e))
}

/// Reads of one file system before a listing that keeps shifting fails.
pub const READS: u32 = 3;

/// One read of every page.
enum Read {
    Steady(Vec<DataFlowInfo>),
    /// `TotalCount` changed between two pages: a flow may have slipped between them.
    Shifted,
}

async fn list(
    client: &Client,
    target: &Target,
    region: &str,
    file_system_id: &str,
    pacer: Arc<Pacer>,
    started: &mut Option<Instant>,
) -> Result<Read, CallError> {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut out = Vec::new();
    let mut offset: u64 = 0;
    let mut total: Option<u64> = None;
    for _ in 0..MAX_PAGES {
        let req = DescribeDataFlowRequest {
            file_system_id: Some(file_system_id.to_owned()),
            data_flow_id: None,
            limit: Some(DESCRIBE_PAGE_LIMIT),
            offset: Some(offset.min(u32::MAX as u64) as u32),
        };
        let mut attempt = 0;
        let page = loop {
            attempt += 1;
            pacer.wait().await;
            // Taken after the pace, so that a listing waiting for its host's pace never holds
            // a permit another host's listing could use. (The semaphore is never closed; a
            // closed one would only mean no bound.)
            let permit = IN_FLIGHT.acquire().await.ok();
            let sent = Instant::now();
            started.get_or_insert(sent);
            match client.describe_data_flow(target, region, &req).await {
                Ok(p) => {
                    pacer.succeeded(sent);
                    break p;
                }
                Err(e) => {
                    let again = match e.class {
                        OutcomeClass::Throttled => {
                            pacer.throttled(sent);
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
        };
        if total.is_some_and(|t| t != page.total_count) {
            return Ok(Read::Shifted);
        }
        total = Some(page.total_count);
        let n = page.data_flows.len() as u64;
        out.extend(page.data_flows.into_iter().map(|mut f| {
            if f.file_system_id.is_empty() {
                f.file_system_id = file_system_id.to_owned();
            }
            f
        }));
        offset += n;
        if n == 0 || offset >= page.total_count {
            break;
        }
    }
    Ok(Read::Steady(out))
}
