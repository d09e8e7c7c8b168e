use super::*;

fn sync_row(target: &str, fp: &str) -> SyncRow {
    SyncRow {
        file_system_id: "cfs-1".into(),
        target_key: target.trim_end_matches('/').into(),
        target_path: target.into(),
        line: 2,
        region: "ap-guangzhou".into(),
        data_flow_name: None,
        fingerprint: fp.into(),
    }
}

#[tokio::test]
async fn rows_move_through_states_and_failed_rows_come_back_when_edited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (w, thread) = Writer::start(open(&path, true).unwrap(), &path);
    let run = w.begin_run("m.csv", 2, "remote").await.unwrap();
    let s = w
        .sync(
            vec![sync_row("/cfs/a", "f1"), sync_row("/cfs/b", "f1")],
            false,
        )
        .await
        .unwrap();
    assert_eq!(s[0].state, RowState::Pending);
    w.begin_attempt(s[0].flow_id, run, 1, 99).await.unwrap();
    w.transition(Transition {
        flow_id: s[1].flow_id,
        state: RowState::Failed,
        data_flow_id: None,
        request_id: None,
        error_code: Some("X".into()),
        error_message: Some("m".into()),
        unknown_since_ms: None,
        attempt: None,
    })
    .unwrap();
    w.end_run(run, RunTotals::default()).await.unwrap();

    // Same fingerprint: still failed; the first row is unknown with its deadline.
    let s = w
        .sync(
            vec![sync_row("/cfs/a/", "f1"), sync_row("/cfs/b", "f1")],
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        (s[0].state, s[0].unknown_since_ms, s[0].attempts),
        (RowState::Unknown, Some(99), 1)
    );
    assert_eq!(s[1].state, RowState::Failed);
    // Edited: pending again.
    let s = w.sync(vec![sync_row("/cfs/b", "f2")], false).await.unwrap();
    assert_eq!(s[0].state, RowState::Pending);
    drop(w);
    thread.join();

    let conn = open(&path, false).unwrap();
    let c = read::counts(&conn, false).unwrap();
    assert_eq!(c[&RowState::Unknown], 1);
    assert_eq!(read::calls_in_run(&conn, run).unwrap(), 1);
}

#[test]
fn foreign_and_newer_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    let c = rusqlite::Connection::open(&other).unwrap();
    c.execute_batch("CREATE TABLE t (x)").unwrap();
    drop(c);
    assert!(matches!(
        open(&other, true),
        Err(StoreError::NotBulkflow(_))
    ));

    let newer = dir.path().join("newer.db");
    drop(open(&newer, true).unwrap());
    let c = rusqlite::Connection::open(&newer).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    assert!(matches!(
        open(&newer, true),
        Err(StoreError::TooNew { found: 99, .. })
    ));

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    assert!(matches!(
        open(&garbage, true),
        Err(StoreError::Unreadable { .. })
    ));
    assert_eq!(std::fs::read(&garbage).unwrap(), vec![0x42u8; 8192]);

    assert!(matches!(
        open(&dir.path().join("none.db"), false),
        Err(StoreError::Missing(_))
    ));
}

#[cfg(unix)]
#[test]
fn new_state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(open(&path, true).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
