//! What one pass of a run did, counted once, by the core that did it (as nextest's dispatcher
//! keeps its `RunStats`): its calls, and each row the pass took, by how it ended. The core hands
//! the counts out whole in its events ([`super::Event::Counts`]) and at the end of the pass; the
//! progress display, the summary, the state file's run record, `status`, the metrics and the
//! HTML page show these figures and never count again.

use std::collections::BTreeMap;

use crate::store::{PassRecord, RowState};

/// A pass's counts. Every row of the manifest counts once: settled before the pass
/// (`earlier`), ended by it (one of the row counts), still in play, or not fed yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Calls sent (the pass's action: creates, deletes, modifies, task starts or stops;
    /// listings apart), each counted when it ends.
    pub calls: u64,
    /// Of which throttled.
    pub throttled: u64,
    /// Times a row was set to `retrying`: each will be sent again.
    pub retries: u64,
    /// Listings of a file system (DescribeDataFlow, DescribeLifecycleDataTask).
    pub listings: u64,
    /// Of which failed.
    pub listing_failures: u64,
    /// Rows brought to the pass's goal by a call of this pass (its answer, or, for an answer
    /// that was lost, a listing that showed what the call made).
    pub called: u64,
    /// Rows brought to the goal by taking over what already existed with the row's source, for
    /// which bulkflow never sent a call (a flow that was there before the first create).
    pub adopted: u64,
    /// Rows a listing found at the goal with no call of this pass (a flow available, a task
    /// ended, a flow already gone, a create of an earlier run that had acted).
    pub found: u64,
    /// Rows with nothing to do, left as they were (a flow whose fields are already the
    /// manifest's).
    pub unchanged: u64,
    /// Rows the pass failed for good.
    pub failed: u64,
    /// Rows left `unknown` for the next run (a call whose outcome no listing could settle).
    pub left_unknown: u64,
    /// Rows whose flow no longer exists: `pending` again, for the next run to create.
    pub missing: u64,
    /// Rows taken out of play with their record as it was (a listing the service refused, a
    /// data task it no longer lists): the next run takes them up.
    pub set_aside: u64,
    /// Of `set_aside`, data tasks no longer listed: nothing recorded settles them.
    pub unsettled: u64,
    /// Rows left unsent, by the code they were reported with.
    pub skipped: BTreeMap<String, u64>,
    /// Rows already settled when the pass began (nothing was done for them), by state.
    pub earlier: BTreeMap<RowState, u64>,
    /// Rows in play now.
    pub in_play: u64,
    /// Of which `retrying` (waiting to be sent again) and `unknown` (waiting for a listing to
    /// settle a call of unknown outcome), as last told.
    pub retrying: u64,
    pub unknown: u64,
}

impl Totals {
    /// Rows brought to the goal by this pass: called, adopted or found so.
    pub fn reached(&self) -> u64 {
        self.called + self.adopted + self.found
    }

    /// Rows skipped, every code.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Rows settled before the pass, every state.
    pub fn earlier_rows(&self) -> u64 {
        self.earlier.values().sum()
    }

    /// Rows the pass left for a later run: unknown, pending again, or set aside.
    pub fn left(&self) -> u64 {
        self.left_unknown + self.missing + self.set_aside
    }

    /// Rows the pass is done with: settled earlier, or ended by it one way or another.
    pub fn done(&self) -> u64 {
        self.earlier_rows()
            + self.reached()
            + self.unchanged
            + self.failed
            + self.skipped_rows()
            + self.left()
    }

    /// Adds the counts of another pass (calls and rows alike), for a run's sum.
    pub fn add(&mut self, t: &Totals) {
        self.calls += t.calls;
        self.throttled += t.throttled;
        self.retries += t.retries;
        self.listings += t.listings;
        self.listing_failures += t.listing_failures;
        self.called += t.called;
        self.adopted += t.adopted;
        self.found += t.found;
        self.unchanged += t.unchanged;
        self.failed += t.failed;
        self.left_unknown += t.left_unknown;
        self.missing += t.missing;
        self.set_aside += t.set_aside;
        self.unsettled += t.unsettled;
        for (code, n) in &t.skipped {
            *self.skipped.entry(code.clone()).or_default() += n;
        }
        for (state, n) in &t.earlier {
            *self.earlier.entry(*state).or_default() += n;
        }
        self.in_play += t.in_play;
        self.retrying += t.retrying;
        self.unknown += t.unknown;
    }

    /// The record of the pass `name` (its rows reached called `word`), `elapsed_ms` long, as
    /// the state file keeps it and `status` and the report read it.
    pub fn record(&self, name: String, word: &str, elapsed_ms: u64) -> PassRecord {
        PassRecord {
            pass: name,
            word: word.to_owned(),
            elapsed_ms,
            calls: self.calls,
            throttled: self.throttled,
            called: self.called,
            adopted: self.adopted,
            found: self.found,
            unchanged: self.unchanged,
            failed: self.failed,
            skipped: self.skipped_rows(),
            left: self.left(),
            earlier: self.earlier_rows(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_the_pass_ended_counts_once_in_done() {
        let t = Totals {
            called: 3,
            adopted: 2,
            found: 1,
            unchanged: 4,
            failed: 1,
            left_unknown: 1,
            missing: 1,
            set_aside: 1,
            skipped: BTreeMap::from([("NoDataFlow".to_owned(), 2)]),
            earlier: BTreeMap::from([(RowState::Created, 5), (RowState::Failed, 1)]),
            in_play: 7,
            retrying: 3,
            ..Totals::default()
        };
        assert_eq!(t.reached(), 6);
        assert_eq!(t.left(), 3);
        assert_eq!(t.done(), 6 + 6 + 4 + 1 + 2 + 3);
        let mut sum = Totals::default();
        sum.add(&t);
        sum.add(&t);
        assert_eq!(sum.done(), 2 * t.done());
        let r = t.record("create".into(), "created", 1500);
        assert_eq!((r.called, r.adopted, r.earlier, r.left), (3, 2, 6, 3));
    }
}
