//! The runs and key rotations a state file records: a run's start and end, a rotation's start
//! (or the one to resume) and end.

use rusqlite::{params, OptionalExtension, Transaction};

use super::synced::RunTotals;

/// Records a run's start; its id.
pub(super) fn begin(
    tx: &Transaction<'_>,
    manifest: &str,
    manifest_rows: u64,
    service: &str,
    now_ms: i64,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO runs (started_at_ms, manifest, manifest_rows, service) \
         VALUES (?1, ?2, ?3, ?4)",
        params![now_ms, manifest, manifest_rows as i64, service],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Records a run's end and totals.
pub(super) fn end(
    tx: &Transaction<'_>,
    run_id: i64,
    totals: &RunTotals,
    now_ms: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE runs SET finished_at_ms = ?2, calls = ?3, throttled = ?4, \
         created = ?5, exit_code = ?6 WHERE id = ?1",
        params![
            run_id,
            now_ms,
            totals.calls as i64,
            totals.throttled as i64,
            totals.created as i64,
            totals.exit_code
        ],
    )
    .map(drop)
}

/// Records that every row of rotation `id` was rotated.
pub(super) fn end_rotation(tx: &Transaction<'_>, id: i64, now_ms: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE rotations SET finished_at_ms = ?2 WHERE id = ?1",
        params![id, now_ms],
    )
    .map(drop)
}

/// The rotation a `--rotate-keys` run carries out; see `Writer::rotation`.
pub(super) fn rotation(tx: &Transaction<'_>, manifest: &str, now_ms: i64) -> rusqlite::Result<i64> {
    let open: Option<i64> = tx
        .query_row(
            "SELECT id FROM rotations WHERE finished_at_ms IS NULL ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match open {
        Some(id) => Ok(id),
        None => {
            tx.execute(
                "INSERT INTO rotations (started_at_ms, manifest) VALUES (?1, ?2)",
                params![now_ms, manifest],
            )?;
            Ok(tx.last_insert_rowid())
        }
    }
}
