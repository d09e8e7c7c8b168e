//! The writer's operations for the feed: the manifest's rows looked up in batches (one batch
//! answered while the next is read), and the start and end of a feed.

use tokio::sync::oneshot;

use super::open::StoreError;
use super::synced::{SyncRow, Synced};
use super::writer::{Op, Writer};
use crate::clock::now_ms;

/// The writer's answer to a sync: the rows it was given, and where each stands.
pub(super) type SyncAnswer = (Vec<SyncRow>, Vec<Synced>);

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
