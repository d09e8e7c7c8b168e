//! One run per state file, whatever name it is given. On Linux the lock is a `flock` on the state
//! file itself: it belongs to the file, not to the path, so a symlink, a hard link, `./s.db`, another
//! relative path or a bind mount of the directory all meet the same lock. The OS releases it when
//! the holder dies, so a killed run never blocks the next one.
//!
//! Why `flock` and not `fcntl`: SQLite locks the same file with `fcntl` (POSIX) locks, and on Linux
//! the two kinds are independent, so neither blocks the other; a `flock` belongs to the open file
//! description, so SQLite closing its own descriptors never drops it. `File::try_lock` is `flock`
//! on Linux. (On NFS and SMB, Linux emulates `flock` with `fcntl`; SQLite's WAL mode does not
//! work there either, so a state file belongs on a local disk.)
//!
//! The catch, handled in [`park`]: closing *any* descriptor of a file drops every POSIX lock the
//! process holds on it, SQLite's included. So the lock's descriptor is closed only once no other
//! descriptor of the file is open in this process; until then it is kept, unlocked.
//!
//! Elsewhere (macOS and the BSDs mix `flock` with `fcntl` locks; Windows locks are mandatory) the
//! lock is on `STATE.lock` beside the state file's canonical path: symlinks and relative paths
//! meet, hard links do not.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use super::open::StoreError;

/// Held for the whole run; dropping it releases the lock. Drop it after the run's connections.
#[derive(Debug)]
pub struct RunLock {
    file: Option<File>,
    /// The state file, as it was named.
    pub path: PathBuf,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            imp::release(file);
        }
    }
}

/// The lock file earlier versions kept beside a state file (and systems other than Linux still
/// do): one of the files no `--output` may overwrite.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock at once or fails with [`StoreError::Locked`] naming `state`; never waits. On
/// Linux the state file is created (readable by its owner only) if missing; a state file that
/// may not be written is [`StoreError::ReadOnly`].
pub fn acquire(state: &Path) -> Result<RunLock, StoreError> {
    let file = imp::open(state)?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock {
            file: Some(file),
            path: state.to_owned(),
        }),
        Err(TryLockError::WouldBlock) => {
            imp::release(file);
            Err(StoreError::Locked {
                path: state.to_owned(),
            })
        }
        Err(TryLockError::Error(source)) => {
            imp::release(file);
            Err(StoreError::Io {
                path: state.to_owned(),
                source,
            })
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::collections::HashMap;
    use std::fs::{File, OpenOptions};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::path::Path;
    use std::sync::{Mutex, PoisonError};

    use super::StoreError;

    /// Opens the state file itself for writing, creating it if missing.
    pub fn open(state: &Path) -> Result<File, StoreError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(state)
            .map_err(|source| StoreError::open_for_write(state, source))
    }

    /// Descriptors of state files kept open, unlocked, because closing them would drop SQLite's
    /// locks on the same file in this process.
    static PARKED: Mutex<Vec<File>> = Mutex::new(Vec::new());

    /// Unlocks `file` and closes it once that is safe (see [`park`]).
    pub fn release(file: File) {
        let _ = file.unlock();
        park(file);
    }

    /// Keeps `file` among the parked descriptors, then closes every parked descriptor whose file
    /// no other descriptor of this process has open any more. When `/proc/self/fd` cannot be
    /// read, nothing is closed: a few descriptors kept are cheap, a dropped SQLite lock is not.
    /// (A connection opened by another thread between the count and the close can still lose
    /// its locks: a window of microseconds, at the end of a run.)
    pub fn park(file: File) {
        let mut parked = PARKED.lock().unwrap_or_else(PoisonError::into_inner);
        parked.push(file);
        let Some(open) = open_descriptors() else {
            return;
        };
        let ids: Vec<Option<(u64, u64)>> = parked.iter().map(identity).collect();
        let mut ours: HashMap<(u64, u64), usize> = HashMap::new();
        for id in ids.iter().flatten() {
            *ours.entry(*id).or_default() += 1;
        }
        let mut ids = ids.into_iter();
        parked.retain(|_| match ids.next().flatten() {
            Some(id) => open.get(&id).copied().unwrap_or(0) > ours.get(&id).copied().unwrap_or(0),
            None => true,
        });
    }

    /// Device and inode of an open file.
    pub fn identity(file: &File) -> Option<(u64, u64)> {
        file.metadata().ok().map(|m| (m.dev(), m.ino()))
    }

    /// How many descriptors of this process are open on each file, by device and inode.
    fn open_descriptors() -> Option<HashMap<(u64, u64), usize>> {
        let mut open = HashMap::new();
        for entry in std::fs::read_dir("/proc/self/fd").ok()? {
            let entry = entry.ok()?;
            if let Ok(m) = std::fs::metadata(entry.path()) {
                *open.entry((m.dev(), m.ino())).or_default() += 1;
            }
        }
        Some(open)
    }

    /// How many descriptors are parked (for the tests).
    #[cfg(test)]
    pub fn parked_count(id: (u64, u64)) -> usize {
        let parked = PARKED.lock().unwrap_or_else(PoisonError::into_inner);
        parked.iter().filter(|f| identity(f) == Some(id)).count()
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use std::fs::{File, OpenOptions};
    use std::path::{Path, PathBuf};

    use super::{lock_path, StoreError};

    /// Opens `STATE.lock` beside the state file's canonical path, creating it if missing.
    pub fn open(state: &Path) -> Result<File, StoreError> {
        let path = lock_path(&canonical(state));
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::Io { path, source })
    }

    /// The lock file is not the state file: closing it touches no SQLite lock.
    pub fn release(file: File) {
        drop(file);
    }

    /// `state` with its directory's symlinks and relative parts resolved (the file itself may
    /// not exist yet).
    fn canonical(state: &Path) -> PathBuf {
        if let Ok(c) = std::fs::canonicalize(state) {
            return c;
        }
        let dir = match state.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        match (std::fs::canonicalize(dir), state.file_name()) {
            (Ok(d), Some(name)) => d.join(name),
            _ => state.to_owned(),
        }
    }
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
