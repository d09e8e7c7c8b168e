//! A scratch database: a private temporary SQLite file for what a run or a plan must not hold in
//! memory (the listings of flows that already exist), never the state file. SQLite deletes the
//! file as soon as it has opened it, so nothing is left behind, even by a killed process. It is
//! made in `SQLITE_TMPDIR`, else `TMPDIR`, else `/var/tmp` or `/tmp`.

use rusqlite::Connection;

/// Pages of a scratch database kept in memory, in KiB; the rest is read from the file when
/// needed.
const CACHE_KIB: i64 = 1024;

/// Opens an empty scratch database with `schema`. Nothing in it needs to survive a crash: no
/// journal and no sync.
pub fn open(schema: &str) -> rusqlite::Result<Connection> {
    let conn = Connection::open("")?;
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "FILE")?;
    conn.execute_batch(schema)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_scratch_database_is_private_and_takes_writes() {
        let conn = super::open("CREATE TABLE t (k TEXT NOT NULL);").unwrap();
        conn.execute("INSERT INTO t VALUES ('a')", []).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        // A private temporary database has no file name a second connection could open.
        assert_eq!(conn.path(), Some(""));
    }
}
