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
        hold.strikes += 1;
        let until = now + Backoff::LISTING.bound(hold.strikes);
        if hold.until.is_none_or(|u| u < until) {
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
