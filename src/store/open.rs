//! Opening a state file: recognise it as bulkflow's, migrate it, set the pragmas.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// `PRAGMA application_id` of a bulkflow state file ("bflw").
pub const APPLICATION_ID: i64 = 0x6266_6c77;

/// The migrations, in order; `user_version` counts how many are applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_run_endpoint.sql"),
    include_str!("../../migrations/0003_lifecycle.sql"),
    include_str!("../../migrations/0004_rotations.sql"),
    include_str!("../../migrations/0005_compact.sql"),
    include_str!("../../migrations/0006_tasks.sql"),
    include_str!("../../migrations/0007_rotation_keys.sql"),
    include_str!("../../migrations/0008_run_passes.sql"),
];

/// Why a state file cannot be used. Each maps to exit code 5.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (or this one) holds the run lock of the same file, whatever its name.
    #[error("{}: another bulkflow run is using this state file", .path.display())]
    Locked { path: PathBuf },
    #[error("{}: no such state file", .0.display())]
    Missing(PathBuf),
    #[error("{}: not a bulkflow state file; refusing to touch it (choose another --state)", .0.display())]
    NotBulkflow(PathBuf),
    #[error("{}: state schema version {found} is newer than this bulkflow understands ({supported}); use a newer bulkflow", .path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// A run must write its state file (every call is marked before it is sent), and cannot:
    /// said before the first call rather than by the writer later.
    #[error("{} is read-only: a run records every call in its state file before sending it; make the file writable, or choose another --state", .0.display())]
    ReadOnly(PathBuf),
    /// Writing failed: the disk is full, the file or its directory became read-only, an I/O
    /// error. `detail` is SQLite's message with what it means (see [`sqlite_cause`]).
    #[error("{}: cannot write the state file: {detail}", .path.display())]
    Write { path: PathBuf, detail: String },
    #[error("{}: unreadable state file: {detail}", .path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    /// A SQLite error on `path`: [`StoreError::Write`] when it says why a write failed (disk full,
    /// read-only, I/O error), [`StoreError::Unreadable`] otherwise.
    pub(crate) fn sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        if is_write_failure(&e) {
            StoreError::Write {
                path: path.to_owned(),
                detail: sqlite_cause(&e),
            }
        } else {
            StoreError::Unreadable {
                path: path.to_owned(),
                detail: e.to_string(),
            }
        }
    }

    /// An I/O error opening `path` for writing: [`StoreError::ReadOnly`] when the file is there
    /// and readable but may not be written.
    pub(crate) fn open_for_write(path: &Path, source: std::io::Error) -> StoreError {
        use std::io::ErrorKind;
        let refused = matches!(
            source.kind(),
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
        );
        if refused && path.is_file() && std::fs::File::open(path).is_ok() {
            StoreError::ReadOnly(path.to_owned())
        } else {
            StoreError::Io {
                path: path.to_owned(),
                source,
            }
        }
    }
}

/// Whether SQLite's error says a write could not be done, rather than that the file is wrong.
fn is_write_failure(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode;
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DiskFull | ErrorCode::ReadOnly | ErrorCode::SystemIoFailure)
    )
}

/// SQLite's message for `e`, with what it means for a state file when SQLite's words alone do
/// not say it (a full disk, a read-only file or directory). The writer thread keeps this text of
/// its first failure, so that every later answer names the cause.
pub fn sqlite_cause(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    /// SQLITE_READONLY_DIRECTORY: the file is writable, its directory is not.
    const READONLY_DIRECTORY: i32 = 8 | (6 << 8);
    let said = e.to_string();
    let Some(f) = e.sqlite_error() else {
        return said;
    };
    match f.code {
        ErrorCode::DiskFull => format!(
            "{said}: its file system has no space left; free some, then run the same command again to resume"
        ),
        ErrorCode::ReadOnly if f.extended_code == READONLY_DIRECTORY => format!(
            "{said}: its directory is read-only, and SQLite creates the -wal and -shm files beside it"
        ),
        ErrorCode::ReadOnly => format!(
            "{said}: the file, its -wal or -shm file, or its directory is read-only"
        ),
        _ => said,
    }
}

/// Opens (creating it, readable by its owner only, if `create`) and migrates a state file.
/// `create` is asked by a run, which writes: a file it may not write is [`StoreError::ReadOnly`].
pub fn open(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let exists = path.exists();
    if !exists && !create {
        return Err(StoreError::Missing(path.to_owned()));
    }
    if !exists {
        create_private(path)?;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sqlite(path, e))?;
    // SQLite opens a file it may not write read-only, without a word: a run would learn it only
    // at its first write. (The run lock, which opens the file for writing, usually says it first.)
    if create && conn.is_readonly("main").unwrap_or(false) {
        return Err(StoreError::ReadOnly(path.to_owned()));
    }
    let sq = |e| StoreError::sqlite(path, e);
    let version = recognise(&conn, path)?;
    let supported = MIGRATIONS.len() as i64;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sq)?;
    // FULL: a call is marked in flight before it is sent, and that mark must survive a power
    // loss, or a resend could follow a create whose answer was lost.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sq)?;
    // Migrations rebuild tables (SQLite's documented way to change a constraint), which needs
    // foreign keys off; they are on for everything after.
    if version < supported {
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(sq)?;
        migrate(&conn, version).map_err(sq)?;
    }
    conn.pragma_update(None, "foreign_keys", "ON").map_err(sq)?;
    Ok(conn)
}

fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Checks that an open file is a bulkflow state file (or an empty one) this version understands,
/// and returns its schema version. Sets the busy timeout every connection uses.
pub(crate) fn recognise(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let sq = |e| StoreError::sqlite(path, e);
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sq)?;
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(sq)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sq)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(sq)?;
    let fresh = app_id == 0 && version == 0 && tables == 0;
    if !fresh && app_id != APPLICATION_ID {
        return Err(StoreError::NotBulkflow(path.to_owned()));
    }
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            supported,
        });
    }
    Ok(version)
}

#[cfg(unix)]
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> Result<(), StoreError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
        .map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
#[path = "open_tests.rs"]
mod tests;
