//! bulkflow: create Tencent Cloud CFS data flows in bulk, paced under the API's limit, resumable,
//! and exactly once per manifest row.
//!
//! `app::main` is the binary; `engine::run` is what tests and other programs call;
//! `settings::resolve` turns the command line into what a run needs; [`ExitCode`] is SPEC's
//! table of exit codes.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod emulator;
pub mod engine;
mod exit;
pub mod manifest;
pub mod plan;
pub mod report;
pub mod scratch;
pub mod secret;
pub mod settings;
pub mod shell_command;
pub mod signals;
pub mod store;

pub use exit::ExitCode;
