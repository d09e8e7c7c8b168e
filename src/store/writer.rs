//! The single writer: one thread owns the connection, takes operations from a channel and commits
//! whatever has queued up in one transaction (group commit), then answers.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::open::{sqlite_cause, StoreError};
use super::sync;

use super::run_record::RunTotals;
pub use super::synced::{SyncRow, Synced};
pub use super::transition::Transition;
use crate::clock::now_ms;

pub(super) type Reply<T> = oneshot::Sender<Result<T, String>>;

pub(super) enum Op {
    BeginRun {
        manifest: String,
        service: &'static str,
        command: &'static str,
        manifest_rows: u64,
        now_ms: i64,
        reply: Reply<i64>,
    },
    Sync {
        rows: Vec<SyncRow>,
        now_ms: i64,
        reply: Reply<super::feed_ops::SyncAnswer>,
    },
    /// A feed starts: no row seen yet.
    SyncBegin {
        reply: Reply<()>,
    },
    /// A feed read the whole manifest: rows it did not see have left it.
    SyncEnd {
        reply: Reply<u64>,
    },
    Transition {
        t: Box<Transition>,
        now_ms: i64,
        reply: Option<Reply<()>>,
    },
    Flush {
        reply: Reply<()>,
    },
    /// A sample of the data tasks' figures.
    Sample(super::transition::TaskSample),
    /// Rows' flow status and latest data task of a type (a read, in order with the writes).
    RowTasks {
        flow_ids: Vec<i64>,
        kind: crate::api::tasks::TaskType,
        reply: Reply<Vec<super::tasks::RowTasks>>,
    },
    Rotation {
        manifest: String,
        now_ms: i64,
        reply: Reply<i64>,
    },
    EndRotation {
        id: i64,
        now_ms: i64,
    },
    EndRun {
        run_id: i64,
        totals: RunTotals,
        now_ms: i64,
        reply: Reply<()>,
    },
}

/// The handle the engine writes through. Cheap to clone; the thread ends when every handle is
/// dropped.
#[derive(Clone)]
pub struct Writer {
    pub(super) tx: mpsc::Sender<Op>,
    path: PathBuf,
    /// The writer thread's first failure, so that every later caller hears its cause.
    failure: Arc<Mutex<Option<String>>>,
}

/// The writer thread; join it to be sure every operation is committed.
pub struct WriterThread(JoinHandle<()>);

impl WriterThread {
    /// Waits until the writer has committed everything and stopped.
    pub fn join(self) {
        let _ = self.0.join();
    }
}

/// The most operations one transaction takes.
const MAX_BATCH: usize = 4096;

impl Writer {
    /// Starts the writer thread over an open connection.
    pub fn start(conn: Connection, path: &Path) -> Result<(Writer, WriterThread), StoreError> {
        let (tx, rx) = mpsc::channel();
        let failure = Arc::new(Mutex::new(None));
        let shared = failure.clone();
        let handle = std::thread::Builder::new()
            .name("bulkflow-store".into())
            .spawn(move || writer_loop(conn, rx, &shared))
            .map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        let writer = Writer {
            tx,
            path: path.to_owned(),
            failure,
        };
        Ok((writer, WriterThread(handle)))
    }

    pub(super) fn gone(&self) -> StoreError {
        let failure = self.failure.lock().map(|f| f.clone()).unwrap_or(None);
        StoreError::Write {
            path: self.path.clone(),
            detail: failure.unwrap_or_else(|| "the state writer stopped".into()),
        }
    }

    /// The writer's answer to one operation.
    pub(super) fn answer<T>(
        &self,
        received: Result<Result<T, String>, oneshot::error::RecvError>,
    ) -> Result<T, StoreError> {
        match received {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(detail)) => Err(StoreError::Write {
                path: self.path.clone(),
                detail,
            }),
            Err(_) => Err(self.gone()),
        }
    }

    pub(super) async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(make(reply)).map_err(|_| self.gone())?;
        self.answer(rx.await)
    }

    /// Records the start of a run of `command` (see [`super::run_record::command`]). Which rows
    /// are in the manifest is settled by the feed ([`Writer::sync_end`]), without writing every
    /// row.
    pub async fn begin_run(
        &self,
        manifest: &str,
        manifest_rows: u64,
        service: &'static str,
        command: &'static str,
    ) -> Result<i64, StoreError> {
        let manifest = manifest.to_owned();
        self.ask(|reply| Op::BeginRun {
            manifest,
            service,
            command,
            manifest_rows,
            now_ms: now_ms(),
            reply,
        })
        .await
    }

    /// Commits a state change and returns once it is durable (the mark written before a call).
    pub async fn commit(&self, t: Transition) -> Result<(), StoreError> {
        self.ask(|reply| Op::Transition {
            t: Box::new(t),
            now_ms: now_ms(),
            reply: Some(reply),
        })
        .await
    }

    /// Queues a state change; it is committed with the next batch.
    pub fn transition(&self, t: Transition) -> Result<(), StoreError> {
        self.tx
            .send(Op::Transition {
                t: Box::new(t),
                now_ms: now_ms(),
                reply: None,
            })
            .map_err(|_| self.gone())
    }

    /// Queues a sample of the data tasks' figures; it is committed with the next batch.
    pub fn sample(&self, s: super::transition::TaskSample) -> Result<(), StoreError> {
        self.tx.send(Op::Sample(s)).map_err(|_| self.gone())
    }

    /// Returns once everything queued before it is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.ask(|reply| Op::Flush { reply }).await
    }

    /// The key rotation a `--rotate-keys` run carries out: the last one if it did not finish
    /// (it resumes), else a new one.
    pub async fn rotation(&self, manifest: &str) -> Result<i64, StoreError> {
        let manifest = manifest.to_owned();
        self.ask(|reply| Op::Rotation {
            manifest,
            now_ms: now_ms(),
            reply,
        })
        .await
    }

    /// Records that every row of rotation `id` was rotated.
    pub fn end_rotation(&self, id: i64) -> Result<(), StoreError> {
        self.tx
            .send(Op::EndRotation {
                id,
                now_ms: now_ms(),
            })
            .map_err(|_| self.gone())
    }

    /// Records the end of a run; returns once everything before it is committed.
    pub async fn end_run(&self, run_id: i64, totals: RunTotals) -> Result<(), StoreError> {
        self.ask(|reply| Op::EndRun {
            run_id,
            totals,
            now_ms: now_ms(),
            reply,
        })
        .await
    }
}

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

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Op>, shared: &Mutex<Option<String>>) {
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
            let r = (|| {
                sync::begin(tx)?;
                tx.execute(
                    "INSERT INTO runs (started_at_ms, manifest, manifest_rows, service, command) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![now_ms, manifest, manifest_rows as i64, service, command],
                )?;
                Ok(tx.last_insert_rowid())
            })();
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
        Op::Sample(s) => super::apply::sample(tx, &s)?,
        Op::RowTasks {
            flow_ids,
            kind,
            reply,
        } => answer(replies, reply, super::tasks::row_tasks(tx, &flow_ids, kind))?,
        Op::Rotation {
            manifest,
            now_ms,
            reply,
        } => {
            let r = rotation(tx, &manifest, now_ms);
            answer(replies, reply, r)?;
        }
        Op::EndRotation { id, now_ms } => {
            tx.execute(
                "UPDATE rotations SET finished_at_ms = ?2 WHERE id = ?1",
                params![id, now_ms],
            )?;
        }
        Op::EndRun {
            run_id,
            totals,
            now_ms,
            reply,
        } => {
            let r = super::run_record::end(tx, run_id, &totals, now_ms);
            answer(replies, reply, r)?;
        }
    }
    Ok(())
}

/// The rotation a `--rotate-keys` run carries out; see [`Writer::rotation`].
fn rotation(tx: &rusqlite::Transaction<'_>, manifest: &str, now_ms: i64) -> rusqlite::Result<i64> {
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
