//! The runs and key rotations a state file records: a run's start (its end and figures are in
//! `run_record`), a rotation's start (or the one to resume) and end.

use rusqlite::{params, OptionalExtension, Transaction};

/// A run as it starts.
pub(super) struct NewRun<'a> {
    pub manifest: &'a str,
    pub manifest_rows: u64,
    pub service: &'a str,
    /// What `runs.command` says (see [`super::run_record::command`]).
    pub command: &'a str,
}

/// Records a run's start; its id. (Its end: [`super::run_record::end`].)
pub(super) fn begin(tx: &Transaction<'_>, run: &NewRun<'_>, now_ms: i64) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO runs (started_at_ms, manifest, manifest_rows, service, command) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            now_ms,
            run.manifest,
            run.manifest_rows as i64,
            run.service,
            run.command
        ],
    )?;
    Ok(tx.last_insert_rowid())
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
