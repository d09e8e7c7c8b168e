//! How large a manifest's parts may be: what every reader and the row rules refuse beyond.

/// Longest value, in bytes.
pub(crate) const MAX_FIELD_BYTES: usize = 4096;
/// Longest record (a CSV record or a JSONL line), in bytes.
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Most columns (CSV) or keys (JSONL) in a record.
pub(crate) const MAX_COLUMNS: usize = 64;
