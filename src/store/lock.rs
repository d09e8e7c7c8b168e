//! One run per state file: an OS lock on `STATE.lock`, released by the OS when the holder dies,
//! so a killed run never blocks the next one.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use super::open::StoreError;

/// Held for the whole run; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file that goes with a state file.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock at once or fails with [`StoreError::Locked`]; never waits.
pub fn acquire(state: &Path) -> Result<RunLock, StoreError> {
    let path = lock_path(state);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock { _file: file, path }),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: state.to_owned(),
            lock: path,
        }),
        Err(TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_a_dropped_lock_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let first = acquire(&state).unwrap();
        assert!(matches!(acquire(&state), Err(StoreError::Locked { .. })));
        drop(first);
        acquire(&state).unwrap();
    }
}
