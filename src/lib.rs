//! bulkflow: create Tencent Cloud CFS data flows in bulk, paced under the API's limit, resumable,
//! and exactly once per manifest row.
//!
//! `app::main` is the binary; `engine::run` is what tests and other programs call.

pub mod api;
pub mod app;
pub mod cli;
pub mod emulator;
pub mod engine;
pub mod manifest;
pub mod report;
pub mod secret;
pub mod signals;
pub mod store;
