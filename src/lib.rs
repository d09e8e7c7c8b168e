//! bulkflow: create Tencent Cloud CFS data flows in bulk, paced under the API's limit, resumable,
//! and exactly once per manifest row.

pub mod api;
pub mod emulator;
pub mod engine;
pub mod manifest;
pub mod secret;
pub mod store;
