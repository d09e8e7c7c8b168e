//! The manifest, read a second time as a stream, synced into the state file in batches; the rows
//! that still need work go to the dispatcher, the others are only counted. Three batches are
//! under way at once: one being read (on the reader's thread), one being prepared here, one being
//! looked up by the store writer.

use tokio::sync::mpsc;

use super::core::{Fed, FeedItem};
use super::op::Operation;
use super::resume::{Known, Resume};
use crate::manifest::{Problem, ReadAhead, Reader, Row};
use crate::store::{PendingSync, RowState, StoreError, SyncRow, Writer};

/// Rows synced in one transaction. A batch of rows stays under 128 KB: larger blocks are mapped
/// and unmapped by the system allocator, which then keeps blocks of that size on its heaps, and
/// a million-row run's memory grows by megabytes (25.4 MB at 512 rows, 22.8 MB at 256).
const BATCH: usize = 256;

/// Why the feed stopped early.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{0} (the manifest changed during the run?)")]
    Manifest(Problem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A batch handed to the store writer: its rows lent their identity fields to the sync, and get
/// them back with the answer (no copies, and nothing freed on the writer's thread).
struct InFlight {
    rows: Vec<Row>,
    pending: PendingSync,
}

/// Where the rows go: the engine, or only the count of those with nothing to do.
struct Sink<'a> {
    op: &'a dyn Operation,
    writer: &'a Writer,
    retry_failed: bool,
    tx: &'a mpsc::Sender<Fed>,
}

/// Reads, syncs and feeds every row; returns the number of rows read. Stops quietly when the
/// engine no longer listens. Rows with nothing to do are only counted (the same decision the
/// core makes, [`Operation::resume`], so that a finished million-row state is not pushed through
/// the engine). Once every row was read, the rows of the state file that the manifest no longer
/// lists are marked so (and only those are written).
pub fn feed(
    reader: Reader,
    writer: &Writer,
    op: &dyn Operation,
    retry_failed: bool,
    tx: &mpsc::Sender<Fed>,
) -> Result<u64, FeedError> {
    let sink = Sink {
        op,
        writer,
        retry_failed,
        tx,
    };
    let mut rows = 0u64;
    let mut in_flight: Option<InFlight> = None;
    writer.sync_begin_blocking()?;
    let mut ahead = ReadAhead::start(reader, BATCH);
    while let Some(read) = ahead.next_batch() {
        let batch = read.map_err(FeedError::Manifest)?;
        rows += batch.len() as u64;
        let next = start(batch, writer)?;
        if let Some(done) = in_flight.replace(next) {
            match sink.hand_on(done)? {
                Some(dead) => ahead.recycle(dead),
                None => return Ok(rows),
            }
        }
    }
    if let Some(done) = in_flight {
        match sink.hand_on(done)? {
            Some(dead) => ahead.recycle(dead),
            None => return Ok(rows),
        }
    }
    // Every row was read: the rows it did not see have left the manifest.
    writer.sync_end_blocking()?;
    Ok(rows)
}

/// Hands a batch to the store writer.
fn start(mut rows: Vec<Row>, writer: &Writer) -> Result<InFlight, FeedError> {
    let sync_rows = rows
        .iter_mut()
        .map(|r| SyncRow {
            fingerprint: r.fingerprint(),
            source_key: r.source_key(),
            key_len: r.target_key().len(),
            file_system_id: std::mem::take(&mut r.request.file_system_id),
            target_path: std::mem::take(&mut r.request.target_path),
            line: r.line,
            region: std::mem::take(&mut r.region),
            data_flow_name: r.request.data_flow_name.take(),
        })
        .collect::<Vec<_>>();
    let pending = writer.sync_start(sync_rows)?;
    Ok(InFlight { rows, pending })
}

/// Gives a row back what it lent to the sync.
fn restore(row: &mut Row, lent: &mut SyncRow) {
    row.request.file_system_id = std::mem::take(&mut lent.file_system_id);
    row.request.target_path = std::mem::take(&mut lent.target_path);
    row.region = std::mem::take(&mut lent.region);
    row.request.data_flow_name = lent.data_flow_name.take();
}

impl Sink<'_> {
    /// Waits for a batch's answer and hands its rows on; returns the rows with nothing to do
    /// (to be freed where they were read), or `None` when the engine is gone.
    fn hand_on(&self, batch: InFlight) -> Result<Option<Vec<Row>>, FeedError> {
        let (mut lent, synced) = batch.pending.wait()?;
        // Operations on data tasks also need each row's latest task of their type.
        let tasks = match self.op.facts().task {
            Some(kind) => {
                let ids = synced.iter().map(|s| s.flow_id).collect();
                self.writer.row_tasks_blocking(ids, kind)?
            }
            None => Vec::new(),
        };
        let mut tasks = tasks.into_iter();
        let mut rows = batch.rows;
        // Each row gets its fields back where it lies (rows are large: moving a million of them
        // costs more than deciding on them), with the one decision of what it needs.
        let mut decided = Vec::with_capacity(rows.len());
        // Rows final before the run are only counted, one event per state for the batch.
        let mut earlier: Vec<(RowState, u64)> = Vec::new();
        for ((row, lent), synced) in rows.iter_mut().zip(&mut lent).zip(&synced) {
            let tasks = tasks.next();
            let known = Known {
                state: synced.state,
                error_code: synced.error_code.as_deref(),
                fingerprint: (&synced.fingerprint, &lent.fingerprint),
                source: (synced.source_key.as_deref(), &lent.source_key),
                data_flow_id: synced.data_flow_id.as_deref(),
                rotation: synced.rotation,
                keys: crate::store::key_digest::RowKeys::of(&row.request),
                tasks: tasks.as_ref(),
            };
            // The one decision of what a known row needs; the core acts on it.
            let resume = self.op.resume(known, self.retry_failed);
            if resume == Resume::Settled {
                match earlier.iter_mut().find(|(s, _)| *s == synced.state) {
                    Some((_, n)) => *n += 1,
                    None => earlier.push((synced.state, 1)),
                }
            }
            decided.push((resume, tasks));
            restore(row, lent);
        }
        // The rows that need work go to the engine in their order; the others stay behind.
        let settled: Vec<bool> = decided.iter().map(|(r, _)| *r == Resume::Settled).collect();
        let mut at = 0;
        let work = rows.extract_if(.., |_| {
            at += 1;
            !settled[at - 1]
        });
        let needing = synced
            .into_iter()
            .zip(decided)
            .filter(|(_, (resume, _))| *resume != Resume::Settled);
        for (row, (synced, (resume, tasks))) in work.zip(needing) {
            let item = FeedItem {
                row,
                synced,
                tasks,
                resume,
            };
            if self.tx.blocking_send(Fed::Row(item)).is_err() {
                return Ok(None);
            }
        }
        // Counted by the core, with the rest of the pass's figures.
        if !earlier.is_empty() && self.tx.blocking_send(Fed::Settled(earlier)).is_err() {
            return Ok(None);
        }
        Ok(Some(rows))
    }
}
