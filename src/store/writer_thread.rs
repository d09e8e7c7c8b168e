//! The writer's thread: it owns the connection, takes requests from a channel and commits
//! whatever has queued up in one transaction (group commit), then answers each request with the
//! commit's result. The SQL is the store's other files': `apply` for the state changes, `sync`
//! for the feed, `runs` for the runs and rotations.

use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::open::sqlite_cause;
use super::writer_ops::{Op, Reply};
use super::{runs, sync};

/// The writer thread; join it to be sure every operation is committed.
pub struct WriterThread(pub(super) JoinHandle<()>);

impl WriterThread {
    /// Waits until the writer has committed everything and stopped.
    pub fn join(self) {
        let _ = self.0.join();
    }
}

/// The most operations one transaction takes.
const MAX_BATCH: usize = 4096;

/// A reply held until its transaction commits, then sent the commit's result.
type Ack = Box<dyn FnOnce(&Result<(), String>) + Send>;

fn ack<T: Send + 'static>(reply: Reply<T>, value: T) -> Ack {
    Box::new(move |committed| {
        let _ = reply.send(committed.clone().map(|()| value));
    })
}

/// Queues the answer to an operation: its value once the batch commits, or the batch's error.
/// An operation whose own SQL failed still gets the error (never a dropped reply, which would
/// only say that the writer stopped).
fn answer<T: Send + 'static>(
    replies: &mut Vec<Ack>,
    reply: Reply<T>,
    result: rusqlite::Result<T>,
) -> rusqlite::Result<()> {
    match result {
        Ok(v) => {
            replies.push(ack(reply, v));
            Ok(())
        }
        Err(e) => {
            let cause = sqlite_cause(&e);
            replies.push(Box::new(move |committed| {
                let _ = reply.send(Err(committed.clone().err().unwrap_or(cause)));
            }));
            Err(e)
        }
    }
}

/// The thread's life: batches until every handle is dropped; the first failure is kept in
/// `shared` for every later caller.
pub(super) fn run(mut conn: Connection, rx: mpsc::Receiver<Op>, shared: &Mutex<Option<String>>) {
    let mut failed: Option<String> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut replies = Vec::new();
        let result = match &failed {
            Some(e) => Err(e.clone()),
            None => apply_batch(&mut conn, batch, &mut replies),
        };
        if let Err(e) = &result {
            failed.get_or_insert_with(|| e.clone());
            if let Ok(mut f) = shared.lock() {
                f.get_or_insert_with(|| e.clone());
            }
        }
        for reply in replies {
            reply(&result);
        }
    }
    // Leave the file without a WAL to carry around.
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
}

fn apply_batch(
    conn: &mut Connection,
    batch: Vec<Op>,
    replies: &mut Vec<Ack>,
) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| sqlite_cause(&e))?;
    for op in batch {
        apply(&tx, op, replies).map_err(|e| sqlite_cause(&e))?;
    }
    tx.commit().map_err(|e| sqlite_cause(&e))
}

fn apply(tx: &rusqlite::Transaction<'_>, op: Op, replies: &mut Vec<Ack>) -> rusqlite::Result<()> {
    match op {
        Op::BeginRun {
            manifest,
            service,
            command,
            manifest_rows,
            now_ms,
            reply,
        } => {
            let r = sync::begin(tx).and_then(|()| {
                let run = runs::NewRun {
                    manifest: &manifest,
                    manifest_rows,
                    service,
                    command,
                };
                runs::begin(tx, &run, now_ms)
            });
            answer(replies, reply, r)?;
        }
        Op::Sync {
            rows,
            now_ms,
            reply,
        } => {
            let r = sync::sync(tx, &rows, now_ms).map(|synced| (rows, synced));
            answer(replies, reply, r)?
        }
        Op::SyncBegin { reply } => answer(replies, reply, sync::begin(tx))?,
        Op::SyncEnd { reply } => answer(replies, reply, sync::end(tx))?,
        Op::Transition { t, now_ms, reply } => {
            let r = super::apply::transition(tx, &t, now_ms);
            match reply {
                Some(reply) => answer(replies, reply, r)?,
                None => r?,
            }
        }
        Op::Flush { reply } => replies.push(ack(reply, ())),
        Op::Sample(s) => super::apply_task::sample(tx, &s)?,
        Op::RowTasks {
            flow_ids,
            kind,
            reply,
        } => answer(replies, reply, super::tasks::row_tasks(tx, &flow_ids, kind))?,
        Op::Rotation {
            manifest,
            now_ms,
            reply,
        } => answer(replies, reply, runs::rotation(tx, &manifest, now_ms))?,
        Op::EndRotation { id, now_ms } => runs::end_rotation(tx, id, now_ms)?,
        Op::EndRun {
            run_id,
            totals,
            now_ms,
            reply,
        } => answer(
            replies,
            reply,
            super::run_record::end(tx, run_id, &totals, now_ms),
        )?,
    }
    Ok(())
}
