//! What an emulator does: credentials, rate, faults, limits.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::secret::Secret;

use super::limits::{
    DEFAULT_TASK_MBPS, DEFAULT_TASK_QUEUE, DEFAULT_TASK_SLOTS, DEFAULT_TASK_STOPPING_MS,
};
use super::preexisting::PreexistingFlow;

/// The secret id an emulator accepts unless told otherwise.
pub const DEFAULT_SECRET_ID: &str = "AKIDbulkflowEMULATOR";
/// The secret key an emulator accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "bulkflow-emulator-secret-key";
/// How long temporary credentials live unless told otherwise: what the SDKs ask STS for.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(7200);

/// The settings of one emulator. `Default` gives a fault-free emulator on `127.0.0.1:0` with the
/// real service's limit of 20 calls per second per action, new flows `pending` for one second,
/// deleted ones `deleting` for three, no flow before the first call, and data tasks two at a
/// time per file system (a hundred more may wait) at 100 MB/s.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The only secret id that signs successfully.
    pub secret_id: String,
    /// The key that goes with `secret_id`.
    pub secret_key: Secret,
    /// When set, `X-TC-Token` must equal it (else `AuthFailure.TokenFailure`).
    pub token: Option<Secret>,
    /// How long the temporary credentials it issues (as the metadata service and STS) live;
    /// a call signed with expired ones is answered `AuthFailure.TokenFailure`.
    pub token_ttl: Duration,
    /// Calls per action over any sliding second; 0 means no limit.
    pub rate: u32,
    /// Uniform latency `MIN..=MAX` in milliseconds added to every call.
    pub latency_ms: (u64, u64),
    /// Probability that a call answers `InternalError` without acting.
    pub internal_error: f64,
    /// Probability that a call that changes something (CreateDataFlow, DeleteDataFlow,
    /// ModifyDataFlow, CreateLifecycleDataTask, StopLifecycleDataTask) acts and then closes the
    /// connection with no response.
    pub lost_response: f64,
    /// Probability that a call that changes something never answers; it acts
    /// `late_create_delay_ms` after the client closes the connection.
    pub late_create: f64,
    /// How long after the client gave up a late call acts.
    pub late_create_delay_ms: u64,
    /// Probability that a DescribeDataFlow or DescribeLifecycleDataTask closes the connection
    /// with no response (a lost answer to a listing: nothing changes, and asking again is safe).
    pub lost_listing: f64,
    /// A new flow shows in DescribeDataFlow, a new task in DescribeLifecycleDataTask, only this
    /// long after it was created.
    pub listing_delay_ms: u64,
    /// A new flow's Status is `pending` for this long, then `available` (or `unavailable`).
    pub available_after_ms: u64,
    /// Probability that a new flow ends `unavailable` instead of `available` (for its keys: new
    /// ones set with ModifyDataFlow bring it back).
    pub unavailable: f64,
    /// A deleted flow lists as `deleting` (its directory still used) this long, then is gone.
    pub deleting_ms: u64,
    /// Flows that exist before the first call (`--preexisting FILE`, read by
    /// [`super::preexisting::load`]).
    pub preexisting: Vec<PreexistingFlow>,
    /// Phantom calls per second, evenly spaced, drawn from every action's budget (another client
    /// of the same account).
    pub background_load: u32,
    /// Most flows one file system may have (`ResourceInsufficient.DataFlowLimitExceeded`).
    pub flow_limit: Option<u32>,
    /// When set, the only file systems that exist (`ResourceNotFound.FileSystemNotFound`).
    pub file_systems: Option<Vec<String>>,
    /// Data tasks that run at once per file system (at least 1); the others wait `init`.
    pub task_slots: u32,
    /// Data tasks that may wait `init` per file system; a create beyond is answered
    /// `InvalidParameterValue.WaitingTaskLimitExceeded`.
    pub task_queue: u32,
    /// MB (1,000,000 bytes) per second that restore and archive move; metaload and release
    /// are ten times as fast.
    pub task_mbps: f64,
    /// Probability that a data task ends `failed` part-way.
    pub task_fail: f64,
    /// Share of every data task's files that fail (the task still ends `finished`).
    pub task_fail_files: f64,
    /// A stopped data task is `stopping` this long, then `stopped`.
    pub task_stopping_ms: u64,
    /// Seed of the one random generator behind faults, latency, ids and chances.
    pub seed: u64,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            secret_id: DEFAULT_SECRET_ID.to_owned(),
            secret_key: Secret::new(DEFAULT_SECRET_KEY),
            token: None,
            token_ttl: DEFAULT_TOKEN_TTL,
            rate: 20,
            latency_ms: (0, 0),
            internal_error: 0.0,
            lost_response: 0.0,
            late_create: 0.0,
            late_create_delay_ms: 200,
            lost_listing: 0.0,
            listing_delay_ms: 0,
            available_after_ms: 1000,
            unavailable: 0.0,
            deleting_ms: 3000,
            preexisting: Vec::new(),
            background_load: 0,
            flow_limit: None,
            file_systems: None,
            task_slots: DEFAULT_TASK_SLOTS,
            task_queue: DEFAULT_TASK_QUEUE,
            task_mbps: DEFAULT_TASK_MBPS,
            task_fail: 0.0,
            task_fail_files: 0.0,
            task_stopping_ms: DEFAULT_TASK_STOPPING_MS,
            seed: 0,
        }
    }
}
