//! What the feed writes to the state file and reads back (rows as synced) and a run's totals.
//! No secret is ever among them.

use super::state::RowState;

/// A manifest row as the state file knows it: no secret, only identity and a fingerprint.
#[derive(Debug, Clone)]
pub struct SyncRow {
    pub file_system_id: String,
    pub target_key: String,
    pub target_path: String,
    pub line: u64,
    pub region: String,
    pub data_flow_name: Option<String>,
    pub fingerprint: String,
    pub source_key: String,
}

/// What the state file says of a row after the sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    pub flow_id: i64,
    pub state: RowState,
    pub data_flow_id: Option<String>,
    /// When a call of unknown outcome ended (or at the latest could have).
    pub unknown_since_ms: Option<i64>,
    pub attempts: u32,
    /// The fingerprint of the manifest fields the recorded state answers to.
    pub fingerprint: String,
    pub source_key: Option<String>,
    pub error_code: Option<String>,
    /// The last key rotation applied to the row's flow.
    pub rotation: Option<i64>,
}

/// Totals of a run, written when it ends.
#[derive(Debug, Clone, Default)]
pub struct RunTotals {
    pub calls: u64,
    pub throttled: u64,
    pub created: u64,
    pub exit_code: i32,
}
