//! `bulkflow emulator`'s flags, as clap sees them; `settings` turns them into the emulator's
//! configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::emulator::{
    DEFAULT_TASK_MBPS, DEFAULT_TASK_QUEUE, DEFAULT_TASK_SLOTS, DEFAULT_TASK_STOPPING_MS,
};
use crate::secret::Secret;

/// Serve a local CFS API emulator (CreateDataFlow, DescribeDataFlow, DeleteDataFlow,
/// ModifyDataFlow, CreateLifecycleDataTask, DescribeLifecycleDataTask, StopLifecycleDataTask)
/// for rehearsals and tests.
// The key and token are `Secret`s, so neither `Debug` nor `--help` ever shows them.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = TASK_NOTES)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The secret id requests must be signed with [default: AKIDbulkflowEMULATOR]. Only the
    /// flag sets it: TENCENTCLOUD_SECRET_ID, _KEY and _TOKEN are not read, so that real keys
    /// exported in the shell never change what a rehearsal must sign with.
    #[arg(long, value_name = "ID")]
    pub secret_id: Option<String>,
    /// The secret key requests must be signed with [default: a fixed emulator key].
    #[arg(long, value_name = "KEY", value_parser = parse_secret)]
    pub secret_key: Option<Secret>,
    /// When set, X-TC-Token must equal it.
    #[arg(long, value_name = "TOKEN", value_parser = parse_secret)]
    pub token: Option<Secret>,
    /// How long the temporary credentials it issues as the CVM metadata service
    /// (GET /latest/meta-data/cam/security-credentials/) and STS (AssumeRole,
    /// AssumeRoleWithWebIdentity) live; calls signed with expired ones are answered
    /// AuthFailure.TokenFailure.
    #[arg(long, value_name = "SECS", default_value_t = 7200, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub token_ttl: u64,
    /// Calls per action over any sliding second; 0 means no limit.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub rate: u32,
    /// Latency added to every call, uniform between MIN and MAX milliseconds (or one value N).
    #[arg(long, value_name = "MIN:MAX", value_parser = parse_latency, default_value = "0:0")]
    pub latency_ms: (u64, u64),
    /// Probability that a call answers InternalError without acting.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub internal_error: f64,
    /// Probability that a call that changes something (a flow's create, delete or modify, a
    /// data task's create or stop) acts, then drops the connection unanswered.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub lost_response: f64,
    /// Probability that a call that changes something never answers; it acts after the client
    /// gives up.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub late_create: f64,
    /// How long after the client gave up a late call acts.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub late_create_delay_ms: u64,
    /// Probability that a listing (DescribeDataFlow, DescribeLifecycleDataTask) drops the
    /// connection unanswered.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub lost_listing: f64,
    /// A new flow (data task) shows in DescribeDataFlow (DescribeLifecycleDataTask) only N ms
    /// after it was created.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub listing_delay_ms: u64,
    /// A new flow's Status is pending for N ms, then available.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub available_after_ms: u64,
    /// Probability that a new flow ends unavailable instead of available, as if its source keys
    /// were refused: a ModifyDataFlow that sets its SecretId and SecretKey makes it pending, then
    /// available.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub unavailable: f64,
    /// A deleted flow lists as deleting (its directory still used) for N ms, then disappears.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub deleting_ms: u64,
    /// Flows that exist before the first call: a CSV or JSONL file with the manifest's column
    /// names, plus optional DataFlowId and Status.
    #[arg(long, value_name = "FILE")]
    pub preexisting: Option<PathBuf>,
    /// Another client's calls per second, drawn from every action's budget.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub background_load: u32,
    /// Most data flows one file system may have.
    #[arg(long, value_name = "N")]
    pub flow_limit: Option<u32>,
    /// The only file systems that exist; others answer ResourceNotFound.FileSystemNotFound.
    #[arg(long, value_name = "ID,ID", value_delimiter = ',')]
    pub file_systems: Option<Vec<String>>,
    /// Data tasks that run at once per file system; the others wait `init`, in creation order.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TASK_SLOTS, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub task_slots: u32,
    /// Data tasks that may wait `init` per file system; a create beyond is answered
    /// InvalidParameterValue.WaitingTaskLimitExceeded (nothing is created).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TASK_QUEUE)]
    pub task_queue: u32,
    /// MB/s (1 MB = 1,000,000 bytes) that restore and archive tasks move; metaload and release
    /// are 10 times as fast. A task's size follows from its file system and path (TaskPath or
    /// ListPath): 10 to 5,000 files and 8 MiB to 2 GiB, log-uniform, so a middle-sized restore
    /// takes about 1.3 s at the default and the largest about 21 s.
    #[arg(long, value_name = "F", value_parser = parse_mbps, default_value_t = DEFAULT_TASK_MBPS)]
    pub task_mbps: f64,
    /// Probability that a data task ends failed, part-way (between 10 % and 90 % of its way).
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub task_fail: f64,
    /// Share of every data task's files that fail (at least one file when above 0); the task
    /// still ends finished, with FileFailedCount/FileFailedSize above 0 and FileFailedList
    /// cos://emulated-task-lists/FILESYSTEM/TASKID/failed.csv.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub task_fail_files: f64,
    /// A stopped data task is stopping for N ms (its progress frozen), then stopped.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TASK_STOPPING_MS)]
    pub task_stopping_ms: u64,
    /// Seed of every random draw (faults, latency, ids, failing tasks).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

/// What `--help` says of the data tasks beyond their flags.
const TASK_NOTES: &str = "Data tasks: times (CreationTime, FinishTime, and the StartTime/EndTime \
of DescribeLifecycleDataTask, at most 3 months back) are YYYY-MM-DD HH:MM:SS in China Standard \
Time (UTC+8). Listings are newest first; a task waiting `init` shows only TaskId, TaskStatus, \
CreationTime and Type. Stopping a finished or failed task, and DeleteDataFlow while a task on the \
flow is init, running or stopping, answer UnsupportedOperation.InvalidLifecycleDataTaskStatus.";

fn parse_secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

/// `P` in `[0, 1]`.
pub fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "`{s}` is not a probability from 0 to 1 (e.g. 0.05)"
        )),
    }
}

/// MB per second: a number above 0.
pub fn parse_mbps(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a rate in MB/s above 0 (e.g. 100 or 0.5)"
        )),
    }
}

/// `MIN:MAX` milliseconds with `MIN <= MAX`, or one number for a fixed latency.
pub fn parse_latency(s: &str) -> Result<(u64, u64), String> {
    let number = |v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{s}` is not MIN:MAX in whole milliseconds (e.g. 20:200)"))
    };
    let (min, max) = match s.split_once(':') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(s)?;
            (n, n)
        }
    };
    if min > max {
        return Err(format!("in `{s}`, MIN is greater than MAX"));
    }
    Ok((min, max))
}
