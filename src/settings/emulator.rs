//! `bulkflow emulator`'s flags resolved into the emulator's configuration. The `--preexisting`
//! file is only named here: the emulator reads it when it starts.

use std::path::PathBuf;

use crate::cli::EmulatorArgs;
use crate::emulator::{EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use crate::secret::Secret;

/// What `bulkflow emulator` serves: its configuration, and the file of the flows that exist
/// before the first call.
#[derive(Debug, Clone)]
pub struct EmulatorSettings {
    /// Everything but the preexisting flows.
    pub config: EmulatorConfig,
    /// `--preexisting FILE`.
    pub preexisting: Option<PathBuf>,
}

/// The emulator the flags describe.
pub fn resolve_emulator(args: &EmulatorArgs) -> EmulatorSettings {
    let config = EmulatorConfig {
        listen: args.listen,
        secret_id: args
            .secret_id
            .clone()
            .unwrap_or_else(|| DEFAULT_SECRET_ID.to_owned()),
        secret_key: args
            .secret_key
            .clone()
            .unwrap_or_else(|| Secret::new(DEFAULT_SECRET_KEY)),
        token: args.token.clone(),
        token_ttl: std::time::Duration::from_secs(args.token_ttl),
        rate: args.rate,
        latency_ms: args.latency_ms,
        internal_error: args.internal_error,
        lost_response: args.lost_response,
        late_create: args.late_create,
        late_create_delay_ms: args.late_create_delay_ms,
        lost_listing: args.lost_listing,
        listing_delay_ms: args.listing_delay_ms,
        available_after_ms: args.available_after_ms,
        unavailable: args.unavailable,
        deleting_ms: args.deleting_ms,
        preexisting: Vec::new(),
        background_load: args.background_load,
        flow_limit: args.flow_limit,
        file_systems: args.file_systems.clone(),
        task_slots: args.task_slots,
        task_queue: args.task_queue,
        task_mbps: args.task_mbps,
        task_fail: args.task_fail,
        task_fail_files: args.task_fail_files,
        task_stopping_ms: args.task_stopping_ms,
        seed: args.seed,
    };
    EmulatorSettings {
        config,
        preexisting: args.preexisting.clone(),
    }
}

#[cfg(test)]
#[path = "emulator_tests.rs"]
mod tests;
