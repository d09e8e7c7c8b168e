//! The kept listings of a pass (`core::kept`), stored out of memory ([`kept_store`]) on a
//! thread of its own, off the async runtime. Jobs are done in the order they were given, so a
//! look of a group is answered after the group's listing is stored. Every job is answered: one
//! that the thread never got to (it ended) answers an error, and the core then lists again.
//!
//! [`kept_store`]: super::kept_store

use std::sync::mpsc;
use std::thread;

use tokio::sync::mpsc::UnboundedSender;

use super::core::{Input, Snapshot};
use super::kept_store::Store;

/// The store's thread, started with the first listing a pass keeps; it ends when this is
/// dropped (and the scratch database with it).
pub struct Kept {
    jobs: mpsc::Sender<Job>,
    answers: UnboundedSender<Input>,
}

enum Work {
    Keep {
        group: usize,
        snapshot: Snapshot,
    },
    Look {
        line: u64,
        group: usize,
        keys: Vec<String>,
    },
}

/// A job and where its answer goes; answered with an error if dropped unanswered.
struct Job {
    work: Option<Work>,
    answers: UnboundedSender<Input>,
}

impl Job {
    fn answer(&mut self, store: &mut Result<Store, String>) {
        let Some(work) = self.work.take() else {
            return;
        };
        let input = match work {
            Work::Keep { group, snapshot } => Input::Kept {
                group,
                result: store.as_mut().map_err(|e| e.clone()).and_then(|s| {
                    s.keep(group, &snapshot).inspect_err(|e| {
                        tracing::warn!(
                            "{e}: the rows of one file system fed later are listed again"
                        )
                    })
                }),
            },
            Work::Look { line, group, keys } => Input::Found {
                line,
                result: store
                    .as_ref()
                    .map_err(|e| e.clone())
                    .and_then(|s| s.look(group, &keys)),
            },
        };
        let _ = self.answers.send(input);
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        let gone = || "the store of kept listings ended".to_owned();
        let input = match self.work.take() {
            None => return,
            Some(Work::Keep { group, .. }) => Input::Kept {
                group,
                result: Err(gone()),
            },
            Some(Work::Look { line, .. }) => Input::Found {
                line,
                result: Err(gone()),
            },
        };
        let _ = self.answers.send(input);
    }
}

impl Kept {
    /// Starts the store's thread; its answers go to `answers`.
    pub fn start(answers: UnboundedSender<Input>) -> Kept {
        let (jobs, rx) = mpsc::channel::<Job>();
        let spawned = thread::Builder::new()
            .name("bulkflow-kept".into())
            .spawn(move || serve(rx));
        if let Err(e) = spawned {
            // Every job is then answered with an error as it is given (its receiver is gone).
            tracing::warn!("cannot start the store of kept listings: {e}");
        }
        Kept { jobs, answers }
    }

    /// Stores what is left of group `group`'s first listing; answered with [`Input::Kept`].
    pub fn keep(&self, group: usize, snapshot: Snapshot) {
        self.give(Work::Keep { group, snapshot });
    }

    /// Reads what group `group`'s kept listing holds at `keys`; answered with [`Input::Found`].
    pub fn look(&self, line: u64, group: usize, keys: Vec<String>) {
        self.give(Work::Look { line, group, keys });
    }

    fn give(&self, work: Work) {
        let job = Job {
            work: Some(work),
            answers: self.answers.clone(),
        };
        // A thread that is gone hands the job back, dropped here: answered with an error.
        let _ = self.jobs.send(job);
    }
}

fn serve(rx: mpsc::Receiver<Job>) {
    let mut store = Store::open();
    if let Err(e) = &store {
        tracing::warn!("{e}: rows fed after their file system's first listing are listed again");
    }
    while let Ok(mut job) = rx.recv() {
        job.answer(&mut store);
    }
}

#[cfg(test)]
#[path = "kept_tests.rs"]
mod tests;
