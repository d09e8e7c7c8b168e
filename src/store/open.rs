//! Opening a state file: recognise it as bulkflow's, migrate it, set the pragmas.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// `PRAGMA application_id` of a bulkflow state file ("bflw").
pub const APPLICATION_ID: i64 = 0x6266_6c77;

/// The migrations, in order; `user_version` counts how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_run_endpoint.sql"),
    include_str!("../../migrations/0003_lifecycle.sql"),
];

/// Why a state file cannot be used. Each maps to exit code 5.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: another bulkflow run is using this state file (lock {})", .path.display(), .lock.display())]
    Locked { path: PathBuf, lock: PathBuf },
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
    #[error("{}: unreadable state file: {detail}", .path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        StoreError::Unreadable {
            path: path.to_owned(),
            detail: e.to_string(),
        }
    }
}

/// Opens (creating it, readable by its owner only, if `create`) and migrates a state file.
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
