use super::*;

fn sync_row(target: &str, fp: &str) -> SyncRow {
    SyncRow {
        file_system_id: "cfs-1".into(),
        target_path: target.into(),
        key_len: target.trim_end_matches('/').len(),
        line: 2,
        region: "ap-guangzhou".into(),
        data_flow_name: None,
        fingerprint: fp.into(),
        source_key: "s1".into(),
    }
}

#[tokio::test]
async fn rows_keep_their_state_and_fingerprint_through_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (w, thread) = Writer::start(open(&path, true).unwrap(), &path).unwrap();
    let run = w.begin_run("m.csv", 2, "remote", "run").await.unwrap();
    let s = w
        .sync(vec![sync_row("/cfs/a", "f1"), sync_row("/cfs/b", "f1")])
        .await
        .unwrap();
    assert_eq!(s[0].state, RowState::Pending);
    // The mark before a call: durable once `commit` returns.
    w.commit(Transition {
        record: Record::Flow(s[0].flow_id),
        change: Change::Sending {
            begin: AttemptBegin {
                attempt: 1,
                run_id: run,
                sent_at_ms: 5,
            },
            unknown_since_ms: 99,
            error: None,
        },
    })
    .await
    .unwrap();
    let failed = crate::api::CallError {
        class: crate::api::OutcomeClass::Row,
        code: "X".into(),
        message: "m".into(),
        request_id: None,
    };
    w.transition(Transition {
        record: Record::Flow(s[1].flow_id),
        change: Change::Failed {
            error: (&failed).into(),
            end: None,
        },
    })
    .unwrap();
    w.end_run(run, RunTotals::default()).await.unwrap();

    // A sync never changes a state or a recorded fingerprint: the engine decides.
    let s = w
        .sync(vec![sync_row("/cfs/a/", "f1"), sync_row("/cfs/b", "f2")])
        .await
        .unwrap();
    assert_eq!(
        (s[0].state, s[0].unknown_since_ms, s[0].attempts),
        (RowState::Unknown, Some(99), 1)
    );
    assert_eq!(
        (
            s[1].state,
            s[1].fingerprint.as_str(),
            s[1].error_code.as_deref()
        ),
        (RowState::Failed, "f1", Some("X"))
    );
    assert_eq!(s[1].source_key.as_deref(), Some("s1"));
    drop(w);
    thread.join();

    let conn = open(&path, false).unwrap();
    let c = read::counts(&conn, false).unwrap();
    assert_eq!(c[&RowState::Unknown], 1);
    assert_eq!(read::calls_in_run(&conn, run).unwrap(), 1);
}

#[test]
fn a_version_2_state_file_migrates_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(include_str!("../../migrations/0001_init.sql"))
        .unwrap();
    c.execute_batch(include_str!("../../migrations/0002_run_endpoint.sql"))
        .unwrap();
    c.execute_batch(
        "INSERT INTO runs (id, started_at_ms, manifest) VALUES (1, 0, 'm');
         INSERT INTO flows (id, file_system_id, target_key, target_path, line, region,
                            fingerprint, state, data_flow_id, updated_at_ms)
         VALUES (7, 'cfs-1', '/cfs/a', '/cfs/a', 2, 'r', 'f', 'created', 'cfs-dataflow-1', 0);
         INSERT INTO attempts (flow_id, run_id, attempt, sent_at_ms) VALUES (7, 1, 1, 0);",
    )
    .unwrap();
    c.pragma_update(None, "user_version", 2).unwrap();
    c.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    drop(c);
    let conn = open(&path, true).unwrap();
    let (state, id): (String, String) = conn
        .query_row(
            "SELECT state, data_flow_id FROM flows WHERE id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((state.as_str(), id.as_str()), ("created", "cfs-dataflow-1"));
    let ok: String = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .unwrap_or_else(|_| "ok".into());
    assert_eq!(ok, "ok");
    conn.execute("UPDATE flows SET state = 'deleted' WHERE id = 7", [])
        .unwrap();
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

#[tokio::test]
async fn a_full_disk_is_named_to_every_later_caller() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let conn = open(&path, true).unwrap();
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    // The file may not grow: the first batch that needs a new page fails as a full disk does.
    conn.pragma_update(None, "max_page_count", pages).unwrap();
    let (w, thread) = Writer::start(conn, &path).unwrap();
    let rows: Vec<SyncRow> = (0..2000)
        .map(|i| sync_row(&format!("/cfs/dir{i:05}"), "f"))
        .collect();
    let first = w.sync(rows).await.unwrap_err();
    assert!(first.to_string().contains("full"), "{first}");
    // A later operation, queued after the failure, hears the same cause.
    let later = w.flush().await.unwrap_err();
    assert!(later.to_string().contains("full"), "{later}");
    drop(w);
    thread.join();
}

/// A flow id answers to the source recorded beside it: a row that starts again (edited after a
/// failure, or after a delete) keeps no id of its old source's flow, which a delete could
/// otherwise take for the row's (issue 21, 1).
#[tokio::test]
async fn a_restarted_row_keeps_no_flow_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (w, thread) = Writer::start(open(&path, true).unwrap(), &path).unwrap();
    let s = w.sync(vec![sync_row("/cfs/a", "f1")]).await.unwrap();
    let record = Record::Flow(s[0].flow_id);
    w.transition(Transition {
        record: record.clone(),
        change: Change::Done {
            state: RowState::Created,
            id: Some("cfs-dataflow-old".into()),
            request_id: None,
            end: None,
            answers_to: Some(("f1".into(), "s1".into())),
            live: None,
            rotation: None,
        },
    })
    .unwrap();
    let s = w.sync(vec![sync_row("/cfs/a", "f1")]).await.unwrap();
    assert_eq!(s[0].data_flow_id.as_deref(), Some("cfs-dataflow-old"));
    w.transition(Transition {
        record,
        change: Change::Restart {
            fingerprint: "f2".into(),
            source_key: "s2".into(),
        },
    })
    .unwrap();
    let s = w.sync(vec![sync_row("/cfs/a", "f2")]).await.unwrap();
    assert_eq!(
        (
            s[0].state,
            s[0].data_flow_id.as_deref(),
            s[0].source_key.as_deref()
        ),
        (RowState::Pending, None, Some("s2"))
    );
    drop(w);
    thread.join();
}
