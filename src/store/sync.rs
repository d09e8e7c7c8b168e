//! The manifest's rows in the state file: looked up read-only, written only when something the
//! state keeps of them changed. A re-run of a finished state writes nothing row by row: which
//! rows the manifest lists (`in_manifest`) is kept as ranges of ids in a temporary table during
//! the feed, and at its end only the rows outside those ranges are marked as having left.

use rusqlite::{params, OptionalExtension, Transaction};

use super::key_digest::KeyDigest;
use super::state::RowState;
use super::synced::{Rotated, SyncRow, Synced};

/// The columns a lookup reads, in the order [`read_row`] takes them.
const COLUMNS: &str = "id, state, data_flow_id, unknown_since_ms, attempts, fingerprint, \
    source_key, error_code, rotation, target_path, line, region, data_flow_name, in_manifest, \
    file_system_id, target_key, rotation_keys";

/// A new row: `pending`, with its fingerprint. `target_path` is NULL when it is the key.
const INSERT_SQL: &str = "\
INSERT INTO flows (file_system_id, target_key, target_path, line, region, data_flow_name,
                   fingerprint, source_key, state, in_manifest, updated_at_ms)
VALUES (?1, ?2, NULLIF(?3, ?2), ?4, ?5, ?6, ?7, ?8, 'pending', 1, ?9)";

/// A known row whose identity fields, line or name changed, or that is back in the manifest.
/// Its state and fingerprint are the engine's: never changed here.
const REFRESH_SQL: &str = "\
UPDATE flows SET target_path = NULLIF(?2, target_key), line = ?3, region = ?4,
    data_flow_name = ?5, source_key = COALESCE(source_key, ?6), in_manifest = 1
WHERE id = ?1";

/// The temporary table of the ids seen by the feed under way, as ranges `lo..=hi`.
const SEEN_TABLE: &str =
    "CREATE TEMP TABLE IF NOT EXISTS seen_ranges (lo INTEGER PRIMARY KEY, hi INTEGER NOT NULL)";

/// Pages of the state file the writer keeps in memory, in KiB. The feed walks the table in
/// order and a run's writes go to recent rows: a small cache costs no speed, and keeps a
/// million-row run's memory flat and low.
const CACHE_KIB: i64 = 1024;

/// Starts a feed: no id seen yet.
pub(super) fn begin(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.pragma_update(None, "cache_size", -CACHE_KIB)?;
    tx.execute(SEEN_TABLE, [])?;
    tx.execute("DELETE FROM temp.seen_ranges", [])?;
    Ok(())
}

/// Looks up a batch of rows, inserting the new ones and refreshing the changed ones; gives each
/// row back with where it stands. It changes no row's state: that is the engine's decision.
pub(super) fn sync(
    tx: &Transaction<'_>,
    rows: Vec<SyncRow>,
    now_ms: i64,
) -> rusqlite::Result<Vec<(SyncRow, Synced)>> {
    tx.execute(SEEN_TABLE, [])?;
    let mut by_identity = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM flows WHERE file_system_id = ?1 AND target_key = ?2"
    ))?;
    let mut onward = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM flows WHERE id > ?1 ORDER BY id"
    ))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut ranges = Ranges::default();
    let mut rows = rows.into_iter().peekable();
    while let Some(r) = rows.next() {
        let found = by_identity
            .query_row(params![r.file_system_id, r.target_key], |row| {
                read_row(row, &r)
            })
            .optional()?
            .flatten();
        let existed = found.is_some();
        let synced = settle(tx, &r, found, now_ms)?;
        ranges.note(synced.flow_id);
        let after = synced.flow_id;
        out.push((r, synced));
        if !existed {
            continue;
        }
        // A manifest read again is mostly in the order its rows were first recorded: the rows
        // after one found at id N are looked for by walking the table on from N, one step each,
        // and by their identity (the index) again only when the walk meets another row.
        let mut walk = onward.query([after])?;
        while let Some(next) = rows.peek() {
            let Some(row) = walk.next()? else { break };
            let Some(found) = read_row(row, next)? else {
                break;
            };
            let Some(r) = rows.next() else { break };
            let synced = settle(tx, &r, Some(found), now_ms)?;
            ranges.note(synced.flow_id);
            out.push((r, synced));
        }
    }
    let mut keep = tx.prepare_cached(
        "INSERT INTO temp.seen_ranges (lo, hi) VALUES (?1, ?2) \
         ON CONFLICT (lo) DO UPDATE SET hi = max(hi, excluded.hi)",
    )?;
    for (lo, hi) in ranges.done {
        keep.execute(params![lo, hi])?;
    }
    Ok(out)
}

/// Writes what changed of a looked-up row (`found`: its record, and whether it is unchanged),
/// or inserts a new one; says where it stands.
fn settle(
    tx: &Transaction<'_>,
    r: &SyncRow,
    found: Option<(Synced, bool)>,
    now_ms: i64,
) -> rusqlite::Result<Synced> {
    Ok(match found {
        Some((synced, true)) => synced,
        Some((mut synced, false)) => {
            tx.prepare_cached(REFRESH_SQL)?.execute(params![
                synced.flow_id,
                r.target_path,
                r.line as i64,
                r.region,
                r.data_flow_name,
                r.source_key,
            ])?;
            synced
                .source_key
                .get_or_insert_with(|| r.source_key.clone());
            synced
        }
        None => {
            tx.prepare_cached(INSERT_SQL)?.execute(params![
                r.file_system_id,
                r.target_key,
                r.target_path,
                r.line as i64,
                r.region,
                r.data_flow_name,
                r.fingerprint,
                r.source_key,
                now_ms,
            ])?;
            Synced {
                flow_id: tx.last_insert_rowid(),
                state: RowState::Pending,
                data_flow_id: None,
                unknown_since_ms: None,
                attempts: 0,
                fingerprint: r.fingerprint.clone(),
                source_key: Some(r.source_key.clone()),
                error_code: None,
                rotation: None,
            }
        }
    })
}

/// Reads a looked-up row: what the engine needs, and whether what the state keeps of the row
/// is still what the manifest says (nothing to write). `None` when it is another row.
fn read_row(row: &rusqlite::Row<'_>, r: &SyncRow) -> rusqlite::Result<Option<(Synced, bool)>> {
    if row.get_ref(14)?.as_str().ok() != Some(r.file_system_id.as_str())
        || row.get_ref(15)?.as_str().ok() != Some(r.target_key.as_str())
    {
        return Ok(None);
    }
    let state = row.get_ref(1)?.as_str().ok().and_then(RowState::parse);
    let synced = Synced {
        flow_id: row.get(0)?,
        state: state.unwrap_or(RowState::Pending),
        data_flow_id: row.get(2)?,
        unknown_since_ms: row.get(3)?,
        attempts: row.get::<_, i64>(4)?.clamp(0, u32::MAX as i64) as u32,
        fingerprint: row.get(5)?,
        source_key: row.get(6)?,
        error_code: row.get(7)?,
        rotation: None,
    };
    let keys = row.get_ref(16)?.as_str_or_null().ok().flatten();
    let rotation = row.get::<_, Option<i64>>(8)?.map(|id| Rotated {
        id,
        keys: keys.and_then(KeyDigest::from_hex),
    });
    let synced = Synced { rotation, ..synced };
    let path = row.get_ref(9)?.as_str_or_null().ok().flatten();
    let same = path.unwrap_or(&r.target_key) == r.target_path
        && row.get::<_, i64>(10)? == r.line as i64
        && row.get_ref(11)?.as_str().ok() == Some(r.region.as_str())
        && row.get_ref(12)?.as_str_or_null().ok().flatten() == r.data_flow_name.as_deref()
        && row.get::<_, i64>(13)? != 0
        && synced.source_key.is_some();
    Ok(Some((synced, same)))
}

/// Ends a feed that read the whole manifest: rows outside the ids it saw have left the manifest.
/// Returns how many rows were marked so.
pub(super) fn end(tx: &Transaction<'_>) -> rusqlite::Result<u64> {
    tx.execute(SEEN_TABLE, [])?;
    let mut gaps = Vec::new();
    let mut next = i64::MIN;
    {
        let mut stmt = tx.prepare("SELECT lo, hi FROM temp.seen_ranges ORDER BY lo")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (lo, hi): (i64, i64) = (r.get(0)?, r.get(1)?);
            if lo > next {
                gaps.push((next, lo - 1));
            }
            next = next.max(hi.saturating_add(1));
        }
    }
    gaps.push((next, i64::MAX));
    let mut left = 0;
    let mut mark = tx.prepare_cached(
        "UPDATE flows SET in_manifest = 0 WHERE id BETWEEN ?1 AND ?2 AND in_manifest <> 0",
    )?;
    for (lo, hi) in gaps {
        left += mark.execute(params![lo, hi])? as u64;
    }
    tx.execute("DELETE FROM temp.seen_ranges", [])?;
    Ok(left)
}

/// Consecutive ids gathered into ranges.
#[derive(Default)]
struct Ranges {
    done: Vec<(i64, i64)>,
}

impl Ranges {
    fn note(&mut self, id: i64) {
        match self.done.last_mut() {
            Some((_, hi)) if id == *hi + 1 => *hi = id,
            _ => self.done.push((id, id)),
        }
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
