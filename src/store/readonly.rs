//! Reading a state file without writing to it, for `plan`: no lock taken (a run may hold it), no
//! migration, no pragma that writes, and no `-wal` or `-shm` file left beside it.
//!
//! SQLite opens a WAL-mode database read-only only by creating its `-wal` and `-shm` files when
//! they are missing, and leaves them behind (owned by whoever ran `plan`). So: while a run has
//! the file open (or was killed with it open) its `-wal` exists and is read through as usual;
//! otherwise the file is opened `immutable` (no sidecar files, no locks), and everything is read
//! at once, in one short read.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::open::{recognise, StoreError};
use super::state::RowState;

/// A state file opened read-only, with its schema version.
pub struct ReadOnly {
    conn: Connection,
    version: i64,
    path: PathBuf,
}

/// What the state file records for one row (one directory), for `plan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRow {
    pub file_system_id: String,
    pub target_key: String,
    pub state: RowState,
    pub data_flow_id: Option<String>,
    /// The short hash of the source the row's flow was made from (`Row::source_key`); `None`
    /// in state files from before sources were kept.
    pub source_key: Option<String>,
    /// The row's latest data task and its status as last listed (`metaload finished`), when
    /// it has one.
    pub task: Option<String>,
}

fn uri(path: &Path, immutable: bool) -> Result<String, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let abs = std::path::absolute(path).map_err(io)?;
    let url = url::Url::from_file_path(&abs).map_err(|()| StoreError::Unreadable {
        path: path.to_owned(),
        detail: "the path cannot be named as a file URI".into(),
    })?;
    let mode = if immutable {
        "mode=ro&immutable=1"
    } else {
        "mode=ro"
    };
    Ok(format!("{url}?{mode}"))
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Opens `path` read-only; [`StoreError::Missing`] when there is no such file. A file that is
/// not bulkflow's, or of a newer schema, is refused as [`super::open`] refuses it.
pub fn open_read_only(path: &Path) -> Result<ReadOnly, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing(path.to_owned()));
    }
    // A `-wal` holds what a run (going, or killed) committed and no checkpoint has yet copied
    // into the file: it must be read through, never ignored as `immutable` would.
    let in_use = sidecar(path, "-wal").exists();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let sq = |e| StoreError::sqlite(path, e);
    let conn = Connection::open_with_flags(uri(path, !in_use)?, flags).map_err(sq)?;
    let version = recognise(&conn, path)?;
    Ok(ReadOnly {
        conn,
        version,
        path: path.to_owned(),
    })
}

impl ReadOnly {
    /// The connection, for the reads of `store::read` (`status`'s counts, the last run).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Whether the file holds bulkflow's tables yet (an empty file, of a run that stopped before
    /// its first write, holds none).
    pub fn has_schema(&self) -> bool {
        self.version > 0
    }

    /// The kind of service (`loopback` or `remote`) the state's runs talked to, if recorded,
    /// and every row it records, in one read.
    pub fn read(&self, mut row: impl FnMut(RecordedRow)) -> Result<Option<String>, StoreError> {
        let sq = |e| StoreError::sqlite(&self.path, e);
        // An empty file (a run that stopped before its first write) records nothing.
        if self.version == 0 {
            return Ok(None);
        }
        self.conn.execute_batch("BEGIN").map_err(sq)?;
        let result = self.read_in_transaction(&mut row);
        let _ = self.conn.execute_batch("COMMIT");
        result.map_err(sq)
    }

    fn read_in_transaction(
        &self,
        row: &mut impl FnMut(RecordedRow),
    ) -> rusqlite::Result<Option<String>> {
        // Version 2 added the service, version 3 the source.
        let service = if self.version >= 2 {
            super::read::service(&self.conn)?
        } else {
            None
        };
        let source = if self.version >= 3 {
            "source_key"
        } else {
            "NULL"
        };
        // Version 6 added data tasks: each row's latest one.
        let task = if self.version >= 6 {
            "(SELECT t.type || ' ' || CASE t.state WHEN 'created' THEN COALESCE(t.status, \
             'started') WHEN 'failed' THEN 'refused' ELSE 'not started' END FROM tasks t \
             WHERE t.flow_id = flows.id ORDER BY COALESCE(t.first_sent_ms, t.updated_at_ms) DESC, \
             t.generation DESC LIMIT 1)"
        } else {
            "NULL"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT file_system_id, target_key, state, data_flow_id, {source}, {task} FROM flows"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let state: String = r.get(2)?;
            // Every state this schema allows is known; anything else is not a row to judge.
            let Some(state) = RowState::parse(&state) else {
                continue;
            };
            row(RecordedRow {
                file_system_id: r.get(0)?,
                target_key: r.get(1)?,
                state,
                data_flow_id: r.get(3)?,
                source_key: r.get(4)?,
                task: r.get(5)?,
            });
        }
        Ok(service)
    }
}

#[cfg(test)]
#[path = "readonly_tests.rs"]
mod tests;
