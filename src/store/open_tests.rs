use super::*;

fn state() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(open(&path, true).unwrap());
    (dir, path)
}

fn insert_run(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO runs (started_at_ms, manifest, manifest_rows) VALUES (1, ?1, 1)",
        [&"m".repeat(4096)],
    )
}

#[test]
fn a_full_disk_is_named_with_the_state_file() {
    let (_dir, path) = state();
    let conn = open(&path, true).unwrap();
    // SQLite answers SQLITE_FULL, as on a full disk, once the file would pass this many pages.
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    conn.pragma_update(None, "max_page_count", pages + 2)
        .unwrap();
    let e = (0..100).find_map(|_| insert_run(&conn).err()).unwrap();
    let e = StoreError::sqlite(&path, e);
    assert!(matches!(e, StoreError::Write { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!(
            "{}: cannot write the state file: database or disk is full",
            path.display()
        )),
        "{shown}"
    );
    assert!(shown.contains("no space left"), "{shown}");
}

#[test]
fn a_write_through_a_read_only_connection_says_read_only() {
    let (_dir, path) = state();
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let e = StoreError::sqlite(&path, insert_run(&conn).unwrap_err());
    let shown = e.to_string();
    assert!(matches!(e, StoreError::Write { .. }), "{e:?}");
    assert!(
        shown.contains("attempt to write a readonly database") && shown.contains("is read-only"),
        "{shown}"
    );
}

#[test]
fn other_sqlite_errors_stay_unreadable() {
    let (_dir, path) = state();
    let conn = open(&path, false).unwrap();
    let e = conn.execute("DELETE FROM no_such_table", []).unwrap_err();
    let e = StoreError::sqlite(&path, e);
    assert!(matches!(e, StoreError::Unreadable { .. }), "{e:?}");
}

#[cfg(unix)]
#[test]
fn a_run_refuses_a_read_only_state_file_at_open() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = state();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    if std::fs::OpenOptions::new().write(true).open(&path).is_ok() {
        eprintln!("skipped: this process may write any file (root); tests/it/trust.rs checks it without the privilege");
        return;
    }
    let e = open(&path, true).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly(_)), "{e:?}");
    // `status` and `report` still read it.
    open(&path, false).unwrap();
}
