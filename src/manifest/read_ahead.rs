//! Rows read on a thread of their own, in batches, while the caller works on the batch before.
//! Batches the caller is done with go back to that thread, where their rows are freed and the
//! batch is filled again: the system allocator is slow when one thread frees, row after row,
//! what another allocated, and a batch is large enough (hundreds of KB) that allocating a new one
//! each time leaves the heap fragmented.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use super::problem::Problem;
use super::reader::Reader;
use super::row::Row;

/// Batches read ahead of the caller.
const AHEAD: usize = 2;

/// One batch: rows in file order, or the first problem met in it (the rows before it in the
/// batch are not handed on: a problem ends a read that expects a validated manifest).
pub type Batch = Result<Vec<Row>, Problem>;

/// A [`Reader`] read by a thread of its own.
pub struct ReadAhead {
    rx: Option<Receiver<Batch>>,
    back: Option<SyncSender<Vec<Row>>>,
    thread: Option<JoinHandle<()>>,
    /// The reader itself when no thread could be started: read where asked.
    inline: Option<(Reader, usize)>,
}

/// Fills `rows` (emptied first) with up to `batch` rows of `reader`; `None` at the end.
fn fill(reader: &mut Reader, mut rows: Vec<Row>, batch: usize) -> Option<Batch> {
    rows.clear();
    for read in reader.by_ref().take(batch) {
        match read {
            Ok(row) => rows.push(row),
            Err(p) => return Some(Err(p)),
        }
    }
    (!rows.is_empty()).then_some(Ok(rows))
}

impl ReadAhead {
    /// Starts reading `reader` in batches of `batch` rows.
    pub fn start(reader: Reader, batch: usize) -> ReadAhead {
        let batch = batch.max(1);
        let (tx, rx) = sync_channel::<Batch>(AHEAD);
        let (back, back_rx) = sync_channel::<Vec<Row>>(AHEAD + 1);
        let (give, take) = sync_channel::<Reader>(1);
        let spawned = std::thread::Builder::new()
            .name("bulkflow-reader".into())
            .spawn(move || {
                let Ok(mut reader) = take.recv() else { return };
                loop {
                    // A batch that came back is filled again; else a new one.
                    let rows = back_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(batch));
                    let Some(read) = fill(&mut reader, rows, batch) else {
                        break;
                    };
                    let ended = read.as_ref().map_or(true, |rows| rows.len() < batch);
                    if tx.send(read).is_err() || ended {
                        break;
                    }
                }
                drop(tx);
                // Free what still comes back, until the caller is done.
                while let Ok(done) = back_rx.recv() {
                    drop(done);
                }
            });
        match spawned {
            Ok(thread) => match give.send(reader) {
                Ok(()) => ReadAhead {
                    rx: Some(rx),
                    back: Some(back),
                    thread: Some(thread),
                    inline: None,
                },
                Err(e) => ReadAhead::inline(e.0, batch),
            },
            Err(_) => ReadAhead::inline(reader, batch),
        }
    }

    fn inline(reader: Reader, batch: usize) -> ReadAhead {
        ReadAhead {
            rx: None,
            back: None,
            thread: None,
            inline: Some((reader, batch)),
        }
    }

    /// The next batch, or `None` at the end.
    pub fn next_batch(&mut self) -> Option<Batch> {
        if let Some((reader, batch)) = &mut self.inline {
            return fill(reader, Vec::with_capacity(*batch), *batch);
        }
        self.rx.as_ref()?.recv().ok()
    }

    /// Hands back a batch the caller is done with, to be emptied and filled again on the
    /// reading thread (or freed here, when that thread is busy).
    pub fn recycle(&self, rows: Vec<Row>) {
        if let Some(back) = &self.back {
            if let Err(TrySendError::Full(rows) | TrySendError::Disconnected(rows)) =
                back.try_send(rows)
            {
                drop(rows);
            }
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Closing both channels ends the thread, whether it was reading or freeing.
        self.rx.take();
        self.back.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
