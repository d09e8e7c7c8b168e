//! The wall clock, read in one place. The engine keeps time on a monotonic clock (a `Duration`
//! since the run began); the wall clock only stamps what the state file, logs and reports store.

/// Milliseconds since the unix epoch (0 for a clock set before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}
