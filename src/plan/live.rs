//! The live flows of the manifest's file systems: each listed with DescribeDataFlow (the engine's
//! paged listing), concurrently, but every listing of one endpoint host paced by one pacer on
//! the host's DescribeDataFlow budget and at most `--concurrency` of them at once. Each listing
//! is made compact as soon as it ends and stored out of memory (`spilled.rs`) before its host
//! starts another, so that what is held is a few listings, not every flow that exists.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::spilled::Spilled;
use super::verdict::Flow;
use super::PlanError;
use crate::api::types::DESCRIBE_PAGE_LIMIT;
use crate::api::Action;
use crate::api::{CallError, Client, DataFlowInfo, Endpoint, OutcomeClass, Target};
use crate::engine::listing::list_file_system;
use crate::engine::pacer::Pacer;
use crate::engine::pacers::{Pacers, Rates};
use crate::engine::Backoff;
use crate::manifest::{identity, Identity};

/// Listings of one file system, at most, before its failure ends the plan: each already tries
/// every page several times; this starts a listing again after a throttle or a transient
/// failure outlasted those tries.
const LISTING_ATTEMPTS: u32 = 3;

/// How far the listings have got, for a progress display; updated as they end.
#[derive(Debug, Default)]
pub struct Progress {
    /// File systems to list.
    pub total: AtomicU64,
    /// File systems listed.
    pub done: AtomicU64,
    /// Flows listed so far.
    pub flows: AtomicU64,
}

/// A listing that failed for good: the plan stops (exit 3) and names it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("listing the data flows of {file_system_id} ({region}) failed: {error}")]
pub struct ListingError {
    pub file_system_id: String,
    pub region: String,
    pub error: CallError,
}

/// What the listings found: the file systems listed, how many flows (each stored in
/// [`Spilled`], by directory), and the file systems the service does not know.
#[derive(Debug, Default)]
pub struct Live {
    file_systems: Vec<String>,
    flows: u64,
    /// File systems the service says are not there (or not file systems) in a region: their
    /// rows are judged `missing`, and the others are still listed and judged.
    unlisted: Vec<Unlisted>,
}

/// A file system of a region that could not be listed because the service does not know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlisted {
    pub file_system_id: String,
    pub region: String,
    /// The service's code (`ResourceNotFound.FileSystemNotFound`).
    pub code: String,
}

impl From<ListingError> for Unlisted {
    fn from(e: ListingError) -> Unlisted {
        Unlisted {
            file_system_id: e.file_system_id,
            region: e.region,
            code: e.error.code,
        }
    }
}

impl Live {
    /// Why the file system `fs` of `region` was not listed, when the service does not know it.
    pub fn unlisted(&self, fs: &str, region: &str) -> Option<&Unlisted> {
        self.unlisted
            .iter()
            .find(|u| u.file_system_id == fs && u.region == region)
    }

    /// How many flows were listed (a flow listed twice at one directory counts once).
    pub fn len(&self) -> u64 {
        self.flows
    }

    /// Whether no flow was listed.
    pub fn is_empty(&self) -> bool {
        self.flows == 0
    }

    /// The file system of an index [`Spilled::flows_at`] gives.
    pub fn file_system(&self, i: u32) -> &str {
        self.file_systems.get(i as usize).map_or("", String::as_str)
    }

    /// The file systems listed.
    pub fn file_systems(&self) -> &[String] {
        &self.file_systems
    }
}

/// The compact form of a listing's flows, by directory.
fn compact(flows: Vec<DataFlowInfo>) -> Vec<(Identity, Flow)> {
    flows
        .into_iter()
        .map(|f| {
            (
                identity(&f.file_system_id, &f.target_path),
                Flow::from_info(&f),
            )
        })
        .collect()
}

/// Stores a listing's flows off the async runtime; returns how many were new.
async fn store(
    mut spilled: Spilled,
    fs: u32,
    flows: Vec<(Identity, Flow)>,
) -> Result<(Spilled, u64), PlanError> {
    tokio::task::spawn_blocking(move || spilled.add_flows(fs, flows).map(|n| (spilled, n)))
        .await
        .map_err(|e| PlanError::Internal(format!("storing a listing failed: {e}")))?
        .map_err(PlanError::from)
}

/// The listings one endpoint host runs at once. Each holds its whole file system's flows until
/// it ends, and listings paced together move in step, so fewer at once means less memory: as
/// many as the pace needs at a 1 s latency to begin with, more (up to `--concurrency`) when
/// listings turn out to wait on the service rather than on the pacer.
struct Host {
    pacer: Arc<Pacer>,
    slots: Arc<Semaphore>,
    allowed: usize,
}

impl Host {
    /// Lets more listings run at once after one of `flows` flows took `took`, when the service,
    /// not the pacer, set the speed (see [`needed`]).
    fn grow(&mut self, rate: f64, concurrency: usize, took: Duration, flows: usize) {
        let pages = (flows as u64).div_ceil(u64::from(DESCRIBE_PAGE_LIMIT));
        let want = needed(rate, self.allowed, took, pages).min(concurrency);
        if want > self.allowed {
            self.slots.add_permits(want - self.allowed);
            self.allowed = want;
        }
    }
}

/// Listings to begin with: enough for `rate` pages per second at a 1 s latency.
fn first_allowed(rate: f64, concurrency: usize) -> usize {
    let concurrency = concurrency.max(1);
    if rate > 0.0 {
        // `as` saturates; the min keeps it in range anyway.
        (rate.ceil() as usize).clamp(1, concurrency)
    } else {
        concurrency
    }
}

/// Listings a host needs after one of `pages` pages took `took` while `allowed` ran at once: a
/// page slower than the pace (`allowed / rate` seconds each) means the service's latency, not
/// the pacer, set the speed.
fn needed(rate: f64, allowed: usize, took: Duration, pages: u64) -> usize {
    if rate <= 0.0 {
        return allowed;
    }
    let per_page = took.as_secs_f64() / pages.max(1) as f64;
    let paced = allowed as f64 / rate;
    if per_page > 1.25 * paced {
        (1.25 * rate * per_page).ceil().min(4096.0) as usize
    } else {
        allowed
    }
}

/// Lists every `(region, file system)` of `groups` into `spilled`. `rate` is DescribeDataFlow
/// calls per second per host (0: unpaced); `concurrency` the listings in flight per host, at
/// most. A file system the service does not know is noted ([`Live::unlisted`]) and the others
/// are listed; any other listing that fails for good ends it. Dropping the future stops every
/// listing.
pub async fn list(
    client: &Client,
    endpoint: &Endpoint,
    groups: &[(String, String)],
    rate: f64,
    concurrency: usize,
    progress: &Progress,
    mut spilled: Spilled,
) -> Result<(Live, Spilled), PlanError> {
    let concurrency = concurrency.max(1);
    let mut live = Live::default();
    // Paced, and shared with this machine's runs, as a run's listings are.
    let pacers = Pacers::new(
        Rates {
            calls: rate,
            listings: rate,
        },
        client.credentials().account_hint(),
    );
    progress.total.store(groups.len() as u64, Ordering::Relaxed);
    let to = Hosts {
        endpoint,
        pacers: &pacers,
        rate,
        concurrency,
    };
    let Listings {
        mut hosts,
        mut tasks,
    } = spawn_listings(client, &to, groups, &mut live)?;
    while let Some(joined) = tasks.join_next().await {
        let (h, took, index, entries, slot) = match joined {
            Ok(Ok(done)) => done,
            Ok(Err(e)) if e.error.class == OutcomeClass::FileSystem => {
                progress.done.fetch_add(1, Ordering::Relaxed);
                live.unlisted.push(Unlisted::from(e));
                continue;
            }
            Ok(Err(e)) => return Err(PlanError::Listing(Box::new(e))),
            Err(e) => return Err(PlanError::Internal(format!("a listing task failed: {e}"))),
        };
        if let Some(host) = hosts.get_mut(h) {
            host.grow(rate, concurrency, took, entries.len());
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
        progress
            .flows
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        let (back, added) = store(spilled, index, entries).await?;
        spilled = back;
        live.flows += added;
        drop(slot);
    }
    Ok((live, spilled))
}

/// What a listing ends with: its host's index, how long it took, its file system's index in
/// [`Live`], its flows made compact, and its host's slot (held until they are stored).
type Listed = (
    usize,
    Duration,
    u32,
    Vec<(Identity, Flow)>,
    Option<OwnedSemaphorePermit>,
);

/// How listings reach their hosts: the endpoint, and each host's pacing and slots.
struct Hosts<'a> {
    endpoint: &'a Endpoint,
    pacers: &'a Pacers,
    /// DescribeDataFlow calls per second per host (0: unpaced).
    rate: f64,
    /// Listings in flight per host, at most.
    concurrency: usize,
}

/// The listings started, and the hosts they go to.
struct Listings {
    hosts: Vec<Host>,
    tasks: JoinSet<Result<Listed, ListingError>>,
}

/// Starts a listing of every `(region, file system)` of `groups`, each waiting for its host's
/// slot; names each file system once in `live`.
fn spawn_listings(
    client: &Client,
    to: &Hosts<'_>,
    groups: &[(String, String)],
    live: &mut Live,
) -> Result<Listings, PlanError> {
    let mut hosts: Vec<Host> = Vec::new();
    let mut host_index: HashMap<String, usize> = HashMap::new();
    let mut names: HashMap<&str, u32> = HashMap::new();
    let mut tasks = JoinSet::new();
    for (region, fs) in groups {
        let target = to.endpoint.resolve(region)?;
        let h = *host_index.entry(target.host.clone()).or_insert_with(|| {
            let allowed = first_allowed(to.rate, to.concurrency);
            hosts.push(Host {
                pacer: to.pacers.get(&target.host, Action::Describe),
                slots: Arc::new(Semaphore::new(allowed)),
                allowed,
            });
            hosts.len() - 1
        });
        let (pacer, slots) = (hosts[h].pacer.clone(), hosts[h].slots.clone());
        let index = *names.entry(fs.as_str()).or_insert_with(|| {
            live.file_systems.push(fs.clone());
            live.file_systems.len() as u32 - 1
        });
        let (client, region, fs) = (client.clone(), region.clone(), fs.clone());
        tasks.spawn(async move {
            // The semaphore is never closed; a listing without its slot is still paced. The
            // slot is held until the listing is stored.
            let slot = slots.acquire_owned().await.ok();
            let started = Instant::now();
            let listed = list_one(&client, &target, &region, &fs, pacer).await;
            let took = started.elapsed();
            listed
                .map(|flows| (h, took, index, compact(flows), slot))
                .map_err(|error| ListingError {
                    file_system_id: fs,
                    region,
                    error,
                })
        });
    }
    Ok(Listings { hosts, tasks })
}

/// One file system's flows, with the listing started again after a failure that may pass.
async fn list_one(
    client: &Client,
    target: &Target,
    region: &str,
    fs: &str,
    pacer: Arc<Pacer>,
) -> Result<Vec<DataFlowInfo>, CallError> {
    let mut rng = rand::make_rng::<rand::rngs::StdRng>();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (_, listed) = list_file_system(client, target, region, fs, pacer.clone()).await;
        match listed {
            Ok(flows) => return Ok(flows),
            Err(e)
                if attempt < LISTING_ATTEMPTS
                    && matches!(
                        e.class,
                        OutcomeClass::Throttled | OutcomeClass::Transient | OutcomeClass::Unknown
                    ) =>
            {
                tokio::time::sleep(Backoff::TRANSIENT.delay(attempt, &mut rng)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_at_once_start_at_the_pace_and_grow_only_for_a_slow_service() {
        assert_eq!(first_allowed(20.0, 40), 20);
        assert_eq!(first_allowed(20.0, 8), 8);
        assert_eq!(first_allowed(0.5, 40), 1);
        assert_eq!(first_allowed(0.0, 40), 40);
        assert_eq!(first_allowed(1e6, 0), 1);
        let s = Duration::from_secs_f64;
        // 20 at 20/s: a page a second each when the pacer sets the pace.
        assert_eq!(needed(20.0, 20, s(10.2), 10), 20);
        assert_eq!(needed(20.0, 20, s(0.3), 1), 20);
        // Two seconds a page: the service is slow; 50 keep the pace.
        assert_eq!(needed(20.0, 20, s(20.0), 10), 50);
        assert_eq!(needed(0.0, 64, s(100.0), 1), 64);
        assert_eq!(needed(1e6, 1, s(1e9), 1), 4096);
    }
}
