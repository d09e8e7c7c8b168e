//! The single writer's handle: every request the engine and the feed make of the state file,
//! sent to the writer's thread (`writer_thread`, which commits them in groups) and answered
//! once committed. The feed's requests can also be made from outside the async runtime (the
//! manifest reader's thread).

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::open::StoreError;
use super::writer_thread::{self, WriterThread};

use super::run_record::RunTotals;
pub use super::synced::{SyncRow, Synced};
pub use super::transition::Transition;
use super::writer_ops::{Op, Reply, SyncAnswer};
use crate::clock::now_ms;

/// The handle the engine writes through. Cheap to clone; the thread ends when every handle is
/// dropped.
#[derive(Clone)]
pub struct Writer {
    pub(super) tx: mpsc::Sender<Op>,
    path: PathBuf,
    /// The writer thread's first failure, so that every later caller hears its cause.
    failure: Arc<Mutex<Option<String>>>,
}

impl Writer {
    /// Starts the writer thread over an open connection.
    pub fn start(conn: Connection, path: &Path) -> Result<(Writer, WriterThread), StoreError> {
        let (tx, rx) = mpsc::channel();
        let failure = Arc::new(Mutex::new(None));
        let shared = failure.clone();
        let handle = std::thread::Builder::new()
            .name("bulkflow-store".into())
            .spawn(move || writer_thread::run(conn, rx, &shared))
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

/// A sync handed to the writer, not yet answered.
pub struct PendingSync {
    writer: Writer,
    rx: oneshot::Receiver<Result<SyncAnswer, String>>,
}

impl PendingSync {
    /// Waits for the writer's answer (outside the async runtime): the rows handed over, given
    /// back (their strings are the caller's to reuse), and where each stands, in their order.
    pub fn wait(self) -> Result<SyncAnswer, StoreError> {
        self.writer.answer(self.rx.blocking_recv())
    }
}

impl Writer {
    /// [`Writer::sync`] for a caller outside the async runtime (the manifest reader thread),
    /// which goes on reading while the writer looks the rows up: the answer is waited for with
    /// [`PendingSync::wait`].
    pub fn sync_start(&self, rows: Vec<SyncRow>) -> Result<PendingSync, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::Sync {
                rows,
                now_ms: now_ms(),
                reply,
            })
            .map_err(|_| self.gone())?;
        Ok(PendingSync {
            writer: self.clone(),
            rx,
        })
    }

    /// [`Writer::sync_begin`] for a caller outside the async runtime.
    pub fn sync_begin_blocking(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::SyncBegin { reply })
            .map_err(|_| self.gone())?;
        self.answer(rx.blocking_recv())
    }

    /// [`Writer::sync_end`] for a caller outside the async runtime.
    pub fn sync_end_blocking(&self) -> Result<u64, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::SyncEnd { reply })
            .map_err(|_| self.gone())?;
        self.answer(rx.blocking_recv())
    }

    /// Starts a feed of the manifest's rows: which rows it sees is gathered until
    /// [`Writer::sync_end`].
    pub async fn sync_begin(&self) -> Result<(), StoreError> {
        self.ask(|reply| Op::SyncBegin { reply }).await
    }

    /// Ends a feed that read the whole manifest: the rows it did not see are marked as having
    /// left the manifest (`in_manifest` 0), and only those are written. Returns how many.
    pub async fn sync_end(&self) -> Result<u64, StoreError> {
        self.ask(|reply| Op::SyncEnd { reply }).await
    }

    /// Looks up rows of the manifest, inserting the new ones and refreshing those whose identity
    /// fields, line, region or name changed, and says where each stands. It changes no row's
    /// state: that is the engine's decision.
    pub async fn sync(&self, rows: Vec<SyncRow>) -> Result<Vec<Synced>, StoreError> {
        let synced = self
            .ask(|reply| Op::Sync {
                rows,
                now_ms: now_ms(),
                reply,
            })
            .await?;
        Ok(synced.1)
    }
}

impl Writer {
    /// [`row_tasks`] through the writer, for the feed (outside the async runtime).
    pub fn row_tasks_blocking(
        &self,
        flow_ids: Vec<i64>,
        kind: crate::api::tasks::TaskType,
    ) -> Result<Vec<super::tasks::RowTasks>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::RowTasks {
                flow_ids,
                kind,
                reply,
            })
            .map_err(|_| self.gone())?;
        self.answer(rx.blocking_recv())
    }
}
