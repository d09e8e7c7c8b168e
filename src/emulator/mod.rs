//! A local emulator of the CFS API 3.0 (CreateDataFlow, DescribeDataFlow, DeleteDataFlow,
//! ModifyDataFlow) for tests and rehearsals: real signature checks, the sliding-second rate limit
//! of each action, the documented validation and error codes, a flow's Status life (`pending`,
//! `available` or `unavailable`, `deleting`), flows that exist before the first call, and seeded
//! faults (latency, internal errors, lost responses, late answers, listing delay, another
//! client's load). It also plays the CVM metadata service and STS, issuing temporary
//! credentials that expire (`--token-ttl`).
//!
//! In tests, [`Emulator::start`] runs one on its own thread; `bulkflow emulator` runs one in
//! the foreground through [`args::main`].

mod action;
pub mod args;
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

pub use args::EmulatorArgs;
pub use config::{EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_TOKEN_TTL};
pub use counters::{Counters, TaskCounters};
pub use flow::{FlowRecord, FlowStatus};
pub use limits::{
    DEFAULT_TASK_MBPS, DEFAULT_TASK_QUEUE, DEFAULT_TASK_SLOTS, DEFAULT_TASK_STOPPING_MS,
};
pub use preexisting::{PreexistingError, PreexistingFlow};
pub use server::{serve, Emulator};
pub use service::Service;
pub use sts::ROLE_NAME;
pub use tasks::{Counts, NewTask, TaskRecord, TaskStatus, TaskTarget, TaskType};
