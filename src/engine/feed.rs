//! The manifest, read a second time as a stream, synced into the state file in batches; the rows
//! that still need work go to the dispatcher, the others are only counted.

use tokio::sync::mpsc;

use super::events::{Event, EventSink, RowEvent};
use super::op::Operation;
use super::resume::{Known, Resume};
use crate::manifest::{Problem, Reader, Row};
use crate::store::{StoreError, SyncRow, Synced, Writer};

/// Rows synced in one transaction.
const BATCH: usize = 512;

/// A row that needs work, with what the state file knows of it.
#[derive(Debug)]
pub struct FeedItem {
    pub row: Row,
    pub synced: Synced,
}

/// Why the feed stopped early.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{0} (the manifest changed during the run?)")]
    Manifest(Problem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads, syncs and feeds every row; returns the number of rows read. Stops quietly when the
/// engine no longer listens. Rows with nothing to do are only counted (the same decision the
/// core makes, [`Operation::resume`], so that a finished million-row state is not pushed through
/// the engine).
pub fn feed(
    reader: Reader,
    writer: &Writer,
    op: &dyn Operation,
    retry_failed: bool,
    tx: &mpsc::Sender<FeedItem>,
    events: &EventSink,
) -> Result<u64, FeedError> {
    let mut rows = 0u64;
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    for item in reader {
        batch.push(item.map_err(FeedError::Manifest)?);
        rows += 1;
        if batch.len() == BATCH && !flush(&mut batch, writer, op, retry_failed, tx, events)? {
            return Ok(rows);
        }
    }
    flush(&mut batch, writer, op, retry_failed, tx, events)?;
    Ok(rows)
}

/// Syncs a batch and hands it on; false when the engine is gone.
fn flush(
    batch: &mut Vec<Row>,
    writer: &Writer,
    op: &dyn Operation,
    retry_failed: bool,
    tx: &mpsc::Sender<FeedItem>,
    events: &EventSink,
) -> Result<bool, FeedError> {
    if batch.is_empty() {
        return Ok(true);
    }
    let sync_rows = batch
        .iter()
        .map(|r| SyncRow {
            file_system_id: r.request.file_system_id.clone(),
            target_key: r.target_key().to_owned(),
            target_path: r.request.target_path.clone(),
            line: r.line,
            region: r.region.clone(),
            data_flow_name: r.request.data_flow_name.clone(),
            fingerprint: r.fingerprint(),
            source_key: r.source_key(),
        })
        .collect::<Vec<_>>();
    let fingerprints: Vec<(String, String)> = sync_rows
        .iter()
        .map(|s| (s.fingerprint.clone(), s.source_key.clone()))
        .collect();
    let synced = writer.sync_blocking(sync_rows)?;
    for ((row, synced), (fp, source)) in batch.drain(..).zip(synced).zip(fingerprints) {
        let known = Known {
            state: synced.state,
            error_code: synced.error_code.as_deref(),
            fingerprint: (&synced.fingerprint, &fp),
            source: (synced.source_key.as_deref(), &source),
            rotation: synced.rotation,
        };
        if op.resume(known, retry_failed) == Resume::Settled {
            events.send(Event::Row(RowEvent::earlier(&row, &synced)));
        } else if tx.blocking_send(FeedItem { row, synced }).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}
