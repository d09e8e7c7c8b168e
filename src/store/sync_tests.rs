use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::super::{open, read, RowState, SyncRow, Transition, Writer, WriterThread};

fn row(i: u32, line: u64) -> SyncRow {
    SyncRow {
        file_system_id: format!("cfs-{}", i % 3),
        target_path: format!("/cfs/d{i:04}"),
        key_len: 10,
        line,
        region: "ap-guangzhou".into(),
        data_flow_name: None,
        fingerprint: format!("fp{i}"),
        source_key: format!("src{i}"),
    }
}

fn start(path: &Path) -> (Writer, WriterThread) {
    Writer::start(open(path, true).unwrap(), path).unwrap()
}

fn state() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    (dir, path)
}

/// Counts every row written to `flows` from now on (in a table of the state file itself, so that
/// the writer's own connection is seen).
fn count_writes(path: &Path) {
    let conn = open(path, true).unwrap();
    conn.execute_batch(
        "CREATE TABLE writes (n INTEGER);
         CREATE TRIGGER flows_insert AFTER INSERT ON flows BEGIN INSERT INTO writes VALUES (1); END;
         CREATE TRIGGER flows_update AFTER UPDATE ON flows BEGIN INSERT INTO writes VALUES (1); END;",
    )
    .unwrap();
}

fn writes(path: &Path) -> i64 {
    let conn = open(path, false).unwrap();
    conn.query_row("SELECT count(*) FROM writes", [], |r| r.get(0))
        .unwrap()
}

/// Feeds `rows` (in batches of 4) as a run does: begin, sync, end.
async fn feed(w: &Writer, rows: &[SyncRow], manifest_rows: u64) -> Vec<i64> {
    w.begin_run("m.csv", manifest_rows, "remote", "run")
        .await
        .unwrap();
    w.sync_begin().await.unwrap();
    let mut ids = Vec::new();
    for batch in rows.chunks(4) {
        for s in w.sync(batch.to_vec()).await.unwrap() {
            ids.push(s.flow_id);
        }
    }
    w.sync_end().await.unwrap();
    ids
}

fn in_manifest(conn: &Connection) -> Vec<(String, i64)> {
    let mut stmt = conn
        .prepare("SELECT target_key, in_manifest FROM flows ORDER BY target_key")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_second_feed_of_the_same_rows_writes_no_row() {
    let (_dir, path) = state();
    let rows: Vec<SyncRow> = (0..10).map(|i| row(i, i as u64 + 2)).collect();
    let (w, thread) = start(&path);
    let first = feed(&w, &rows, 10).await;
    w.flush().await.unwrap();
    drop(w);
    thread.join();

    // The same rows again: found where they were recorded, and not one written.
    count_writes(&path);
    let (w, thread) = start(&path);
    let again = feed(&w, &rows, 10).await;
    assert_eq!(again, first);
    drop(w);
    thread.join();
    assert_eq!(writes(&path), 0);
    let conn = open(&path, false).unwrap();
    assert!(in_manifest(&conn).iter().all(|(_, m)| *m == 1));
}

#[tokio::test]
async fn only_changed_and_new_rows_are_written_in_any_order() {
    let (_dir, path) = state();
    let (w, thread) = start(&path);
    let rows: Vec<SyncRow> = (0..12).map(|i| row(i, i as u64 + 2)).collect();
    let ids = feed(&w, &rows, 12).await;
    // Reordered, one renamed, one moved to a path with a trailing slash, two new ones between.
    let mut next: Vec<SyncRow> = rows.iter().rev().cloned().collect();
    next.insert(4, row(100, 50));
    next.insert(9, row(101, 51));
    next[3].data_flow_name = Some("renamed".into());
    next[5].target_path.push('/');
    for (i, r) in next.iter_mut().enumerate() {
        if r.line < 50 {
            r.line = i as u64 + 2;
        }
    }
    w.flush().await.unwrap();
    count_writes(&path);
    let again = feed(&w, &next, 14).await;
    for (r, id) in next.iter().zip(&again) {
        if let Some(pos) = rows.iter().position(|o| o.target_key() == r.target_key()) {
            assert_eq!(*id, ids[pos], "{}", r.target_key());
        } else {
            assert!(!ids.contains(id), "a new row gets a new id");
        }
    }
    drop(w);
    thread.join();
    // The rows whose line, name or path changed, and the two new ones: nothing else.
    let changed = next
        .iter()
        .filter(
            |r| match rows.iter().find(|o| o.target_key() == r.target_key()) {
                Some(o) => {
                    o.line != r.line
                        || o.data_flow_name != r.data_flow_name
                        || o.target_path != r.target_path
                }
                None => true,
            },
        )
        .count();
    assert!(changed < next.len(), "one row kept its line");
    assert_eq!(writes(&path), changed as i64);
    let conn = open(&path, false).unwrap();
    let (name, path_kept, line): (Option<String>, Option<String>, i64) = conn
        .query_row(
            "SELECT data_flow_name, target_path, line FROM flows WHERE target_key = ?1",
            [next[3].target_key()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(name.as_deref(), Some("renamed"));
    assert_eq!(
        path_kept, None,
        "a path that is its key is not stored twice"
    );
    assert_eq!(line, 5);
    let kept: Option<String> = conn
        .query_row(
            "SELECT target_path FROM flows WHERE target_key = ?1",
            [next[5].target_key()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept.as_deref(), Some(next[5].target_path.as_str()));
    let mut report = Vec::new();
    read::for_each_row(&conn, None, |r| {
        report.push(r.target_path);
        Ok(())
    })
    .unwrap();
    assert!(report.contains(&next[5].target_path));
    assert!(report.iter().any(|k| k == next[3].target_key()));
}

#[tokio::test]
async fn rows_the_manifest_no_longer_lists_are_marked_when_the_feed_ends() {
    let (_dir, path) = state();
    let (w, thread) = start(&path);
    let rows: Vec<SyncRow> = (0..10).map(|i| row(i, i as u64 + 2)).collect();
    feed(&w, &rows, 10).await;
    // Rows 0, 4..6 and 9 leave the manifest (at its ends and in the middle).
    let kept: Vec<SyncRow> = rows
        .iter()
        .filter(|r| {
            !["/cfs/d0000", "/cfs/d0004", "/cfs/d0005", "/cfs/d0009"].contains(&r.target_key())
        })
        .cloned()
        .collect();
    feed(&w, &kept, 6).await;
    w.flush().await.unwrap();
    {
        let conn = open(&path, false).unwrap();
        let left: Vec<String> = in_manifest(&conn)
            .into_iter()
            .filter(|(_, m)| *m == 0)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            left,
            ["/cfs/d0000", "/cfs/d0004", "/cfs/d0005", "/cfs/d0009"]
        );
        let (counts, left) = read::manifest_counts(&conn, 6).unwrap();
        assert_eq!((counts[&RowState::Pending], left), (6, 4));
    }
    // A feed that stops before the end marks nothing; one that ends brings rows back.
    w.begin_run("m.csv", 10, "remote", "run").await.unwrap();
    w.sync_begin().await.unwrap();
    w.sync(rows[..2].to_vec()).await.unwrap();
    w.flush().await.unwrap();
    {
        let conn = open(&path, false).unwrap();
        let listed = in_manifest(&conn).iter().filter(|(_, m)| *m == 1).count();
        assert_eq!(listed, 7, "row 0 is back, nothing else changed");
    }
    feed(&w, &rows, 10).await;
    drop(w);
    thread.join();
    let conn = open(&path, false).unwrap();
    assert!(in_manifest(&conn).iter().all(|(_, m)| *m == 1));
}

#[tokio::test]
async fn status_counts_every_row_of_the_manifest_from_small_indexes() {
    let (_dir, path) = state();
    let (w, thread) = start(&path);
    let rows: Vec<SyncRow> = (0..8).map(|i| row(i, i as u64 + 2)).collect();
    // The run knows 8 rows of a 20-row manifest; 5 created, 1 failed, 1 unknown, 1 pending.
    w.begin_run("m.csv", 20, "remote", "run").await.unwrap();
    w.sync_begin().await.unwrap();
    let synced = w.sync(rows.clone()).await.unwrap();
    for (i, s) in synced.iter().enumerate() {
        let state = match i {
            0..=4 => RowState::Created,
            5 => RowState::Failed,
            6 => RowState::Unknown,
            _ => continue,
        };
        w.transition(Transition::set(s.flow_id, state)).unwrap();
    }
    w.flush().await.unwrap();
    drop(w);
    thread.join();
    let conn = open(&path, false).unwrap();
    let (counts, left) = read::manifest_counts(&conn, 20).unwrap();
    let want = [
        (RowState::Created, 5),
        (RowState::Failed, 1),
        (RowState::Deleted, 0),
        (RowState::Unknown, 1),
        (RowState::Retrying, 0),
        (RowState::Pending, 13),
    ];
    assert_eq!(
        counts,
        want.into_iter().collect(),
        "1 known + 12 not yet fed"
    );
    assert_eq!(left, 0);
    assert_eq!(read::counts(&conn, false).unwrap()[&RowState::Pending], 1);
    // The counts read the partial indexes, not every row.
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT state, count(*) FROM flows \
             WHERE state <> 'created' AND in_manifest >= 1 GROUP BY state",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("flows_unsettled"), "{plan}");
}

#[test]
fn a_version_4_state_file_keeps_its_rows_and_their_fingerprints_compare_equal() {
    let (_dir, path) = state();
    let c = Connection::open(&path).unwrap();
    for sql in [
        include_str!("../../migrations/0001_init.sql"),
        include_str!("../../migrations/0002_run_endpoint.sql"),
        include_str!("../../migrations/0003_lifecycle.sql"),
        include_str!("../../migrations/0004_rotations.sql"),
    ] {
        c.execute_batch(sql).unwrap();
    }
    let full = "0123456789abcdef".repeat(4);
    c.execute(
        "INSERT INTO runs (id, started_at_ms, manifest) VALUES (1, 0, 'm');",
        [],
    )
    .unwrap();
    c.execute(
        "INSERT INTO flows (id, file_system_id, target_key, target_path, line, region,
                            fingerprint, source_key, state, data_flow_id, updated_at_ms)
         VALUES (7, 'cfs-1', '/cfs/a', '/cfs/a', 2, 'r', ?1, 's', 'created', 'cfs-dataflow-1', 0),
                (8, 'cfs-1', '/cfs/b', '/cfs/b/', 3, 'r', ?1, 's', 'failed', NULL, 0)",
        [&full],
    )
    .unwrap();
    c.execute_batch(
        "INSERT INTO attempts (flow_id, run_id, attempt, sent_at_ms, outcome)
         VALUES (7, 1, 1, 5, 'success'), (8, 1, 1, 6, 'row');
         PRAGMA user_version = 4;",
    )
    .unwrap();
    c.pragma_update(None, "application_id", super::super::APPLICATION_ID)
        .unwrap();
    drop(c);
    let conn = open(&path, true).unwrap();
    let rows: Vec<(i64, Option<String>, String)> = conn
        .prepare("SELECT id, target_path, fingerprint FROM flows ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [
            (7, None, full[..16].to_owned()),
            (8, Some("/cfs/b/".to_owned()), full[..16].to_owned())
        ]
    );
    assert_eq!(read::calls_in_run(&conn, 1).unwrap(), 2);
    let ok: String = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .unwrap_or_else(|_| "ok".into());
    assert_eq!(ok, "ok");
    let counts = read::counts(&conn, true).unwrap();
    assert_eq!(
        (counts[&RowState::Created], counts[&RowState::Failed]),
        (1, 1)
    );
}
