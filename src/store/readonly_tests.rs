//! Reading a state file leaves it as it was, with or without a run holding it open.

use super::*;
use crate::store::open;

fn write_state(path: &Path) -> Connection {
    let conn = open(path, true).unwrap();
    conn.execute_batch(
        "INSERT INTO runs (started_at_ms, manifest, service) VALUES (1, 'm.csv', 'loopback');
         INSERT INTO flows (file_system_id, target_key, target_path, line, region, fingerprint,
                            source_key, state, data_flow_id, updated_at_ms)
         VALUES ('cfs-1', '/cfs/a', '/cfs/a/', 2, 'r', 'fp', 'abcd', 'created', 'f-1', 1),
                ('cfs-1', '/cfs/b', '/cfs/b', 3, 'r', 'fp', NULL, 'pending', NULL, 1);",
    )
    .unwrap();
    conn
}

fn read_all(path: &Path) -> (Option<String>, Vec<RecordedRow>) {
    let ro = open_read_only(path).unwrap();
    let mut rows = Vec::new();
    let service = ro.read(|r| rows.push(r)).unwrap();
    rows.sort_by(|a, b| a.target_key.cmp(&b.target_key));
    (service, rows)
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_closed_state_file_is_read_without_a_byte_or_a_file_written() {
    let dir = tempfile::tempdir().unwrap();
    // A name a URI would mangle if it were not escaped.
    let path = dir.path().join("s ?#%.db");
    drop(write_state(&path));
    let before = (std::fs::read(&path).unwrap(), files(dir.path()));
    assert_eq!(before.1, ["s ?#%.db"], "a closed state file has no -wal");
    let (service, rows) = read_all(&path);
    assert_eq!(service.as_deref(), Some("loopback"));
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        RecordedRow {
            file_system_id: "cfs-1".into(),
            target_key: "/cfs/a".into(),
            state: RowState::Created,
            data_flow_id: Some("f-1".into()),
            source_key: Some("abcd".into()),
            task: None,
        }
    );
    assert_eq!(
        (rows[1].state, rows[1].source_key.as_deref()),
        (RowState::Pending, None)
    );
    assert_eq!((std::fs::read(&path).unwrap(), files(dir.path())), before);
}

#[test]
fn a_state_file_a_run_holds_open_is_read_through_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let writer = write_state(&path);
    // Committed to the -wal, not yet copied into the file.
    writer
        .execute_batch(
            "UPDATE flows SET state = 'created', data_flow_id = 'f-2' WHERE target_key = '/cfs/b'",
        )
        .unwrap();
    assert!(files(dir.path()).contains(&"s.db-wal".to_owned()));
    let (_, rows) = read_all(&path);
    assert_eq!(rows[1].data_flow_id.as_deref(), Some("f-2"));
    drop(writer);
}

#[test]
fn missing_foreign_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    assert!(matches!(
        open_read_only(&missing),
        Err(StoreError::Missing(_))
    ));
    assert!(!missing.exists());
    let foreign = dir.path().join("other.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        open_read_only(&foreign),
        Err(StoreError::NotBulkflow(_))
    ));
    let text = dir.path().join("text.db");
    std::fs::write(&text, "not a database at all, not even close to one....").unwrap();
    assert!(open_read_only(&text).is_err());
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let (service, rows) = read_all(&empty);
    assert_eq!((service, rows.len()), (None, 0));
}

#[test]
fn each_row_reads_with_its_latest_data_task() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let conn = write_state(&path);
    conn.execute_batch(
        "INSERT INTO tasks (flow_id, type, generation, name, state, status, first_sent_ms,
                            updated_at_ms)
         VALUES (1, 'metaload', 1, 'n1', 'created', 'finished', 10, 10),
                (1, 'restore', 1, 'n2', 'created', 'running', 20, 20),
                (2, 'metaload', 1, 'n3', 'unknown', NULL, 30, 30);",
    )
    .unwrap();
    drop(conn);
    let (_, rows) = read_all(&path);
    assert_eq!(rows[0].task.as_deref(), Some("restore running"));
    assert_eq!(rows[1].task.as_deref(), Some("metaload not started"));
}
