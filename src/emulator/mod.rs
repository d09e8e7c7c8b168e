//! A local emulator of the CFS API 3.0 for tests and rehearsals: the data flows
//! (CreateDataFlow, DescribeDataFlow, DeleteDataFlow, ModifyDataFlow) and the lifecycle data
//! tasks (CreateLifecycleDataTask, DescribeLifecycleDataTask, StopLifecycleDataTask), with real
//! signature checks, the sliding-second rate limit of each action, the documented validation
//! and error codes, a flow's Status life (`pending`, `available` or `unavailable`, `deleting`),
//! flows that exist before the first call, a task's life (`init` in its file system's queue,
//! `running` in one of `--task-slots`, then `finished` or `failed`; `stopping`, `stopped`) with
//! sizes that follow from the path and progress in files and bytes, and seeded faults (latency,
//! internal errors, lost responses, late answers, listing delay, another client's load, failing
//! tasks and files). It also plays the CVM metadata service and STS, issuing temporary
//! credentials that expire (`--token-ttl`).
//!
//! How it is laid out, from the wire in: `server` accepts, `conn` serves one connection,
//! `cfs` takes one CFS call through its checks, rate window and faults (`sts` answers the
//! metadata service and STS), `service` holds what the connections share, and `world` the
//! service's state (`flows`, `tasks`) with no clock or I/O of its own: every change takes the
//! instant from the one `clock`, which tests can move on ([`Emulator::fast_forward`]). Each
//! action's parameters are read beside its checks (`create`, `describe`, `delete`, `modify`,
//! `tasks::create`, ...), with the shared field rules in `params` and the service's limits in
//! `limits`.
//!
//! In tests, [`Emulator::start`] runs one on its own thread; `bulkflow emulator` runs one in
//! the foreground through [`foreground::run`]. What the emulator chose where the documentation
//! leaves a choice is written at the top of each action's module.

mod action;
mod auth;
mod cfs;
mod clock;
mod config;
mod conn;
mod counters;
mod create;
mod delete;
mod describe;
mod faults;
mod flow;
mod flows;
pub mod foreground;
mod http;
mod issuer;
mod limiter;
mod limits;
mod modify;
mod params;
pub mod preexisting;
mod refusal;
mod reply;
mod response;
mod server;
mod service;
mod sts;
mod tasks;
mod world;

#[cfg(test)]
mod tests;

pub use config::{EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_TOKEN_TTL};
pub use counters::{Counters, TaskCounters};
pub use flow::{FlowRecord, FlowStatus};
pub use foreground::EmulatorError;
pub use limits::{
    DEFAULT_TASK_MBPS, DEFAULT_TASK_QUEUE, DEFAULT_TASK_SLOTS, DEFAULT_TASK_STOPPING_MS,
};
pub use preexisting::{PreexistingError, PreexistingFlow};
pub use server::{serve, Emulator};
pub use service::Service;
pub use sts::ROLE_NAME;
pub use tasks::{Counts, NewTask, TaskRecord, TaskStatus, TaskTarget, TaskType};
