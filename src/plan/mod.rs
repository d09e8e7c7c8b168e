//! `bulkflow plan`: the manifest compared with the live flows and the state file, one verdict
//! per row, and nothing written anywhere: no call but DescribeDataFlow, the state file read
//! without its lock (a run may be going) and without a byte written to it.
//!
//! [`survey`] validates the manifest, reads the state file and lists every file system the
//! manifest names (`live`); [`Survey::judge`] then reads the manifest again and decides each
//! row (`verdict::decide`, pure), handing the rows out as they are decided and summing up.

mod judge;
pub mod live;
mod spilled;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::api::endpoint::EndpointError;
use crate::api::{Client, CredentialProvider, Endpoint};
use crate::manifest::{self, identity, ManifestError, ManifestOptions, SourceHash};
use crate::store::{self, StoreError};

pub use judge::{FileSystemCounts, RowVerdict, Summary};
pub use live::{ListingError, Live, Progress};
use spilled::Spilled;
pub use verdict::{decide, Decision, Flow, Recorded, Verdict};

/// A manifest validated offline (before credentials are looked for or anything is listed),
/// with the stamp of the file taken before it was read.
#[derive(Debug)]
pub struct Validated {
    plan: manifest::Plan,
    stamp: Stamp,
}

/// Validates the manifest at `path`, as `validate` does.
pub fn validate(path: &Path, options: &ManifestOptions) -> Result<Validated, ManifestError> {
    let stamp = Stamp::of(path);
    let plan = manifest::validate(path, options)?;
    Ok(Validated { plan, stamp })
}

/// What a plan needs, resolved.
#[derive(Debug)]
pub struct PlanSettings {
    pub manifest: PathBuf,
    /// The manifest, validated by [`validate`] with `manifest_options`.
    pub validated: Validated,
    /// The state file, if any; it need not exist.
    pub state: Option<PathBuf>,
    pub endpoint: Endpoint,
    pub credentials: CredentialProvider,
    pub manifest_options: ManifestOptions,
    /// DescribeDataFlow calls per second per host; 0 means unpaced.
    pub describe_rate: f64,
    /// Listings in flight per host, at most.
    pub concurrency: usize,
    pub request_timeout: Duration,
}

/// Why a plan could not be made (each is an exit code: `app::Failure`).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: this state file records runs against a {recorded} service and this plan goes to a {now} one; a rehearsal against the emulator and the real service need separate state files: pass --state", .state.display())]
    OtherService {
        state: PathBuf,
        recorded: String,
        now: &'static str,
    },
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error(transparent)]
    Listing(Box<ListingError>),
    #[error("{}: the manifest changed while the plan read it; run the plan again", .0.display())]
    ManifestChanged(PathBuf),
    #[error("writing the plan: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    Scratch(#[from] spilled::SpillError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What identifies a file's content without reading it: size and modification time.
#[derive(Debug, PartialEq, Eq)]
struct Stamp(Option<(u64, Option<std::time::SystemTime>)>);

impl Stamp {
    fn of(path: &Path) -> Stamp {
        Stamp(
            std::fs::metadata(path)
                .ok()
                .map(|m| (m.len(), m.modified().ok())),
        )
    }
}

/// What is known once the file systems are listed; [`Survey::judge`] decides the rows.
#[derive(Debug)]
pub struct Survey {
    manifest: PathBuf,
    options: Arc<ManifestOptions>,
    stamp: Stamp,
    /// Rows the validation counted.
    pub rows: u64,
    /// What the state file records and every flow listed, by directory.
    spilled: Spilled,
    /// What the listings found.
    pub live: Live,
}

/// Reads the state file (if there is one) and lists every file system the validated manifest
/// names. `progress` follows the listings.
pub async fn survey(settings: PlanSettings, progress: &Progress) -> Result<Survey, PlanError> {
    let PlanSettings {
        manifest: path,
        validated: Validated { plan, stamp },
        state,
        endpoint,
        credentials,
        manifest_options,
        describe_rate,
        concurrency,
        request_timeout,
    } = settings;
    let options = Arc::new(manifest_options);
    endpoint.check_regions(plan.per_group.keys().map(|(region, _)| region.as_str()))?;
    let mut spilled = Spilled::open()?;
    if let Some(state) = &state {
        read_state(state, endpoint.service_kind(), &mut spilled)?;
    }
    let client =
        Client::new(credentials, request_timeout).map_err(|e| PlanError::Client(e.to_string()))?;
    let groups: Vec<(String, String)> = plan.per_group.into_keys().collect();
    let (live, spilled) = live::list(
        &client,
        &endpoint,
        &groups,
        describe_rate,
        concurrency,
        progress,
        spilled,
    )
    .await?;
    Ok(Survey {
        manifest: path,
        options,
        stamp,
        rows: plan.rows,
        spilled,
        live,
    })
}

/// The hash a recorded source key (`Row::source_key`, hex) stands for. A key that is not one
/// (a state file written by hand) becomes a hash no source has, so that it differs from the
/// manifest's as the key itself would (but for a 64-bit collision).
fn source_hash_of_key(key: &str) -> SourceHash {
    let mut out = [0u8; 8];
    match hex::decode_to_slice(key, &mut out) {
        Ok(()) => out,
        Err(_) => manifest::source_hash("", key, "\0not a source key"),
    }
}

/// Every row the state file records, into `spilled`; none when there is no state file. A
/// state file of the other kind of service (emulator or real) is refused, as `run` refuses it.
fn read_state(path: &Path, service: &'static str, spilled: &mut Spilled) -> Result<(), PlanError> {
    let ro = match store::open_read_only(path) {
        Ok(ro) => ro,
        Err(StoreError::Missing(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    // Stored a batch at a time: what the state file records is not held whole either.
    let mut batch = Vec::with_capacity(RECORDED_BATCH);
    let mut stored = Ok(());
    let recorded_service = ro.read(|r| {
        batch.push((
            identity(&r.file_system_id, &r.target_key),
            Recorded {
                state: r.state,
                data_flow_id: r.data_flow_id.map(String::into_boxed_str),
                source: r.source_key.as_deref().map(source_hash_of_key),
                task: r.task.map(String::into_boxed_str),
            },
        ));
        if batch.len() >= RECORDED_BATCH && stored.is_ok() {
            stored = spilled.add_recorded(batch.drain(..));
        }
    })?;
    stored?;
    spilled.add_recorded(batch)?;
    if let Some(recorded) = recorded_service.filter(|r| r != service) {
        return Err(PlanError::OtherService {
            state: path.to_owned(),
            recorded,
            now: service,
        });
    }
    Ok(())
}

/// Rows of the state file stored at once.
const RECORDED_BATCH: usize = 4096;
