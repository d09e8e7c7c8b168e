//! What the feed writes to the state file and reads back (rows as synced) and a run's totals.
//! No secret is ever among them.

use super::key_digest::KeyDigest;
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
    /// The last key rotation applied to the row's flow, and the keys it set.
    pub rotation: Option<Rotated>,
}

/// A key rotation applied to a row's flow: which one, and a digest of the keys it set (`None`
/// for rotations recorded before digests were kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub id: i64,
    pub keys: Option<KeyDigest>,
}
