//! How big a task is and how long it runs: sizes follow from the path, durations from the
//! size, the type and `--task-mbps`; failing tasks and failing files from seeded draws.
//!
//! - Files: 10 to 5,000; bytes: 8 MiB to 2 GiB; each log-uniform, from a SHA-256 of the file
//!   system id and the path (`TaskPath`, or `ListPath` for a list task), so one path always
//!   has one size and different paths spread over the range.
//! - Running time: bytes over `--task-mbps` MB/s (1 MB = 1,000,000 bytes) for restore and
//!   archive, ten times as fast for metaload and release.
//! - `--task-fail P`: with probability P a task ends `failed` at a point drawn between 10 % and
//!   90 % of its way. `--task-fail-files P`: a share P of a task's files fail (at least one
//!   when P > 0), spread evenly over its run; their bytes in proportion.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::RngExt;
use sha2::{Digest, Sha256};

use super::kinds::TaskType;

/// Fewest and most files a task has.
pub(crate) const FILES: (u64, u64) = (10, 5_000);
/// Fewest and most bytes a task has.
pub(crate) const BYTES: (u64, u64) = (8 << 20, 2 << 30);
/// How much quicker metaload and release are than restore and archive.
pub(crate) const QUICK_FACTOR: f64 = 10.0;
/// Where a failing task may stop, as a share of its way.
const FAIL_BETWEEN: (f64, f64) = (0.1, 0.9);

/// A task's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) files: u64,
    pub(crate) bytes: u64,
}

/// The size of a task on `file_system_id` over `path`.
pub(crate) fn size_of(file_system_id: &str, path: &str) -> Size {
    let digest = Sha256::digest(format!("{file_system_id}\n{path}").as_bytes());
    let unit = |bytes: &[u8]| {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        // 53 bits: every value exactly representable, in [0, 1).
        (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
    };
    let spread = |(lo, hi): (u64, u64), u: f64| {
        let v = lo as f64 * (hi as f64 / lo as f64).powf(u);
        (v as u64).clamp(lo, hi)
    };
    Size {
        files: spread(FILES, unit(&digest[0..8])),
        bytes: spread(BYTES, unit(&digest[8..16])),
    }
}

/// How long a task of `size` and `task_type` runs at `mbps` MB/s (a rate of 0 or below runs
/// forever).
pub(crate) fn run_time(size: Size, task_type: TaskType, mbps: f64) -> Duration {
    let rate = if task_type.moves_data() {
        mbps
    } else {
        mbps * QUICK_FACTOR
    } * 1e6;
    if rate.is_nan() || rate <= 0.0 {
        return Duration::MAX;
    }
    Duration::try_from_secs_f64(size.bytes as f64 / rate).unwrap_or(Duration::MAX)
}

/// What chance decided for one task at its creation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fate {
    /// The share of its way at which it fails, when it does.
    pub(crate) fail_at: Option<f64>,
    /// Files that fail (the task still finishes).
    pub(crate) failed_files: u64,
    /// Their bytes.
    pub(crate) failed_bytes: u64,
}

/// Draws a task's fate: `fail` is `--task-fail`, `fail_files` `--task-fail-files`. Draws from
/// `rng` only when `fail` is above 0, so that seeds without it replay as before.
pub(crate) fn fate(size: Size, fail: f64, fail_files: f64, rng: &mut StdRng) -> Fate {
    let fail_at = if fail > 0.0 {
        let fails = rng.random::<f64>() < fail;
        let at = rng.random_range(FAIL_BETWEEN.0..FAIL_BETWEEN.1);
        fails.then_some(at)
    } else {
        None
    };
    let failed_files = if fail_files > 0.0 {
        ((size.files as f64 * fail_files).ceil() as u64).clamp(1, size.files)
    } else {
        0
    };
    let failed_bytes = if size.files == 0 {
        0
    } else {
        u64::try_from(u128::from(size.bytes) * u128::from(failed_files) / u128::from(size.files))
            .unwrap_or(size.bytes)
    };
    Fate {
        fail_at,
        failed_files,
        failed_bytes,
    }
}

/// A task's files and bytes: total, done (`Successed`), failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `FileTotalCount`.
    pub files_total: u64,
    /// `FileSuccessedCount`.
    pub files_done: u64,
    /// `FileFailedCount`.
    pub files_failed: u64,
    /// `FileTotalSize`, bytes.
    pub bytes_total: u64,
    /// `FileSuccessedSize`, bytes.
    pub bytes_done: u64,
    /// `FileFailedSize`, bytes.
    pub bytes_failed: u64,
}

/// The counts of a task `fraction` (0 to 1) of its way through.
pub(crate) fn counts(size: Size, fate: &Fate, fraction: f64) -> Counts {
    let f = fraction.clamp(0.0, 1.0);
    let part = |total: u64| ((total as f64 * f).floor() as u64).min(total);
    let files_seen = part(size.files);
    let files_failed = part(fate.failed_files).min(files_seen);
    let bytes_seen = part(size.bytes);
    let bytes_failed = part(fate.failed_bytes).min(bytes_seen);
    Counts {
        files_total: size.files,
        files_done: files_seen - files_failed,
        files_failed,
        bytes_total: size.bytes,
        bytes_done: bytes_seen - bytes_failed,
        bytes_failed,
    }
}
