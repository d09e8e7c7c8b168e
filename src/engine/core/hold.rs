//! File systems that cannot take a call now (a full queue of data tasks): their rows wait in
//! play, without a pacing slot, while other file systems go on; the first row tries again when
//! the hold ends, 2, 4, 8, 16, then every 30 s, and a call the file system takes ends its holds.

use std::time::Duration;

use super::super::backoff::Backoff;
use super::rows::Phase;
use super::{Core, Wake};

/// One file system's hold.
#[derive(Debug, Default)]
pub struct Hold {
    /// Holds in a row, since the last call the file system took.
    pub strikes: u32,
    /// When the hold ends; `None` when not held.
    pub until: Option<Duration>,
    /// Rows waiting for the hold to end, in the order they came.
    pub rows: Vec<u64>,
}

impl Core {
    fn hold_index(&mut self, fs: &str) -> usize {
        if let Some(&i) = self.hold_index.get(fs) {
            return i;
        }
        let i = self.holds.len();
        self.holds.push(Hold::default());
        self.hold_index.insert(fs.to_owned(), i);
        i
    }

    /// A call the file system refused for now: the row, not counted as an attempt, waits with
    /// every other row of the file system until the hold ends.
    pub(super) fn hold(&mut self, line: u64, now: Duration) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        e.calls_now = e.calls_now.saturating_sub(1);
        e.outstanding = false;
        let fs = e.row.request.file_system_id.clone();
        let i = self.hold_index(&fs);
        let hold = &mut self.holds[i];
        // Refusals of one burst join the hold they found: only a new hold waits longer.
        if hold.until.is_none_or(|u| u <= now) {
            hold.strikes += 1;
            let until = now + Backoff::LISTING.bound(hold.strikes);
            hold.until = Some(until);
            self.wake_at(until, Wake::Hold(i));
        }
        self.holds[i].rows.push(line);
        if let Some(e) = self.rows.get_mut(&line) {
            e.phase = Phase::Held;
        }
    }

    /// Whether a ready row's file system is held at `now`: if so, the row joins the hold.
    pub(super) fn held(&mut self, line: u64, now: Duration) -> bool {
        let Some(e) = self.rows.get(&line) else {
            return false;
        };
        let Some(&i) = self.hold_index.get(&e.row.request.file_system_id) else {
            return false;
        };
        if self.holds[i].until.is_none_or(|u| u <= now) {
            return false;
        }
        self.holds[i].rows.push(line);
        if let Some(e) = self.rows.get_mut(&line) {
            e.phase = Phase::Held;
        }
        true
    }

    /// A call the file system took: its holds start again from the shortest.
    pub(super) fn took(&mut self, fs: &str) {
        if let Some(&i) = self.hold_index.get(fs) {
            self.holds[i].strikes = 0;
        }
    }

    /// The hold ends: its rows queue again, in order.
    pub(super) fn hold_due(&mut self, i: usize, t: Duration) {
        let Some(hold) = self.holds.get_mut(i) else {
            return;
        };
        if hold.until != Some(t) {
            return;
        }
        hold.until = None;
        let rows = std::mem::take(&mut hold.rows);
        for line in rows {
            if self.rows.get(&line).is_some_and(|e| e.phase == Phase::Held) {
                self.enqueue(line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::harness::{error, settings, waits, Harness};
    use super::super::Input;
    use crate::api::{CallError, OutcomeClass, Request};
    use crate::engine::op::{
        default_after_call, AfterCall, Answer, CreateOp, Facts, Judgement, Lost, Operation,
        RowView, Tries,
    };
    use crate::store::RowState;

    /// A create whose service answers "Full" for a file system that cannot take it now.
    struct Queued;

    impl Operation for Queued {
        fn facts(&self) -> Facts {
            Facts {
                looks_first: false,
                ..CreateOp.facts()
            }
        }
        fn request(&self, view: RowView<'_>) -> Request {
            CreateOp.request(view)
        }
        fn judge(&self, _: RowView<'_>, _: &[&crate::api::DataFlowInfo]) -> Judgement {
            Judgement::call(None)
        }
        fn after_call(&self, r: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
            match r {
                Err(e) if e.code == "Full" => AfterCall::Hold(e.clone()),
                _ => default_after_call(r, tries, Lost::List),
            }
        }
    }

    #[test]
    fn refusals_of_one_burst_hold_the_file_system_once_and_count_no_attempt() {
        let mut h = Harness::with_op(Arc::new(Queued), settings());
        for line in 2..8 {
            h.feed(line, RowState::Pending, None);
        }
        let granted: Vec<u64> = waits(&h.take());
        let mut lines = Vec::new();
        for line in 2..8 {
            lines.push(line);
            h.slot(line);
        }
        assert!(granted.len() <= 6);
        // Six refusals in a row: one hold of 2 s, not 2, 4, 8, 16, 30 and 30.
        for line in lines {
            h.answer(line, Err(error(OutcomeClass::Transient, "Full")));
        }
        assert!(h.core.next_wake() <= Some(Duration::from_secs(2)));
        let cmds = h.at(Duration::from_secs(2));
        assert_eq!(
            waits(&cmds).len(),
            4,
            "the held rows queue again (4 at a time)"
        );
        // Never a failure, however long it lasts: the refusals did not use up attempts.
        let e = h.core.rows.get(&2).map(|e| e.calls_now);
        assert_eq!(e, Some(0));
        let _ = h.input(Input::FeedEnded);
    }
}
