//! What the engine writes to the state file and reads back from it: rows as synced, calls begun
//! and ended, state transitions, run totals. No secret is ever among them.

use super::state::RowState;

/// A manifest row as the state file knows it: no secret, only identity and a fingerprint.
#[derive(Debug, Clone)]
pub struct SyncRow {
    pub file_system_id: String,
    /// The target path as sent; its first `key_len` bytes are the row's key (the path without
    /// trailing slashes: `Row::target_key`).
    pub target_path: String,
    pub key_len: usize,
    pub line: u64,
    pub region: String,
    pub data_flow_name: Option<String>,
    pub fingerprint: String,
    pub source_key: String,
}

impl SyncRow {
    /// The directory the row claims: the target path without trailing slashes.
    pub fn target_key(&self) -> &str {
        self.target_path
            .get(..self.key_len)
            .unwrap_or(&self.target_path)
    }
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

/// A call about to be sent, for the attempts table.
#[derive(Debug, Clone)]
pub struct AttemptBegin {
    pub attempt: u32,
    pub run_id: i64,
    pub sent_at_ms: i64,
}

/// The end of one call, for the attempts table.
#[derive(Debug, Clone)]
pub struct AttemptEnd {
    pub attempt: u32,
    pub ended_at_ms: i64,
    pub outcome: &'static str,
    pub error_code: Option<String>,
    pub request_id: Option<String>,
    pub latency_ms: i64,
}

/// A row's new state, with what goes with it.
#[derive(Debug, Clone)]
pub struct Transition {
    pub flow_id: i64,
    pub state: RowState,
    pub data_flow_id: Option<String>,
    pub request_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub unknown_since_ms: Option<i64>,
    /// Calls sent for the row over all runs, when it changes.
    pub attempts: Option<u32>,
    /// The call about to be sent.
    pub begin: Option<AttemptBegin>,
    /// The end of a call.
    pub attempt: Option<AttemptEnd>,
    /// The manifest fields the new state answers to, when they change.
    pub fingerprint: Option<String>,
    /// The source the row's flow was made from, when it changes.
    pub source_key: Option<String>,
    /// The flow's live status as listed, and when (ms since the epoch).
    pub flow_status: Option<(String, i64)>,
    /// The key rotation just applied to the row's flow.
    pub rotation: Option<i64>,
}

impl Transition {
    /// A row's new state with its error (or none); everything else unchanged.
    pub fn new(flow_id: i64, state: RowState, error: Option<&crate::api::CallError>) -> Self {
        Transition {
            flow_id,
            state,
            data_flow_id: None,
            request_id: error.and_then(|e| e.request_id.clone()),
            error_code: error.map(|e| e.code.clone()),
            error_message: error.map(|e| e.message.clone()),
            unknown_since_ms: None,
            attempts: None,
            begin: None,
            attempt: None,
            fingerprint: None,
            source_key: None,
            flow_status: None,
            rotation: None,
        }
    }
}

/// Totals of a run, written when it ends.
#[derive(Debug, Clone, Default)]
pub struct RunTotals {
    pub calls: u64,
    pub throttled: u64,
    pub created: u64,
    pub exit_code: i32,
}
