//! Rows read on a thread of their own, in batches, while the caller works on the batch before.
//! Rows the caller is done with go back to that thread to be freed there: the system allocator
//! is slow when one thread frees, row after row, what another allocated.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use super::problem::Problem;
use super::reader::Reader;
use super::row::Row;

/// Batches read ahead of the caller.
const AHEAD: usize = 2;

/// One batch: rows in file order, and the problems among them.
pub type Batch = Vec<Result<Row, Problem>>;

/// A [`Reader`] read by a thread of its own.
pub struct ReadAhead {
    rx: Option<Receiver<Batch>>,
    back: Option<SyncSender<Vec<Row>>>,
    thread: Option<JoinHandle<()>>,
    /// The reader itself when no thread could be started: read where asked.
    inline: Option<(Reader, usize)>,
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
                    // Free what came back before reading on.
                    while let Ok(done) = back_rx.try_recv() {
                        drop(done);
                    }
                    let rows: Batch = reader.by_ref().take(batch).collect();
                    let ended = rows.len() < batch;
                    if (!rows.is_empty() && tx.send(rows).is_err()) || ended {
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
            let rows: Batch = reader.by_ref().take(*batch).collect();
            return (!rows.is_empty()).then_some(rows);
        }
        self.rx.as_ref()?.recv().ok()
    }

    /// Hands back rows the caller is done with, to be freed on the reading thread (or here, when
    /// that thread is busy).
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
