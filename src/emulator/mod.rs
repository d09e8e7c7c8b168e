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

pub mod args;
mod auth;
mod call;
mod config;
mod conn;
mod counters;
mod create;
mod delete;
mod describe;
mod faults;
mod flow;
mod http;
mod issuer;
mod limiter;
mod modify;
mod params;
pub mod preexisting;
mod response;
mod server;
mod shared;
mod state;

#[cfg(test)]
mod tests;

pub use args::EmulatorArgs;
pub use config::{EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_TOKEN_TTL};
pub use counters::Counters;
pub use flow::{FlowRecord, FlowStatus};
pub use issuer::ROLE_NAME;
pub use preexisting::{PreexistingError, PreexistingFlow};
pub use server::{serve, Emulator};
pub use shared::Shared;
