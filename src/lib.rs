//! bulkflow: create Tencent Cloud CFS data flows in bulk, paced under the API's limit, resumable,
//! and exactly once per manifest row.

pub mod api;
pub mod manifest;
pub mod secret;
pub mod store;
pub mod engine;
