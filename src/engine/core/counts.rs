//! The pass's counts ([`Totals`]), kept here where rows change and handed out whole in an event
//! whenever they changed: the reporter displays them and never counts again.

use super::super::events::Event;
use super::super::op::ADOPTED;
use super::rows::Entry;
use super::{Core, Totals};
use crate::store::RowState;

/// Adds `d` to the count of rows in play told to be `state` (retrying or unknown).
fn shown(t: &mut Totals, state: Option<RowState>, d: i64) {
    let slot = match state {
        Some(RowState::Retrying) => &mut t.retrying,
        Some(RowState::Unknown) => &mut t.unknown,
        _ => return,
    };
    *slot = slot.saturating_add_signed(d);
}

impl Core {
    /// A row in play was told to be `state` (its event was emitted).
    pub(super) fn told(&mut self, line: u64, state: RowState) {
        let Some(e) = self.rows.get_mut(&line) else {
            return;
        };
        let before = e.told.replace(state);
        shown(&mut self.totals, before, -1);
        shown(&mut self.totals, Some(state), 1);
        if state == RowState::Retrying {
            self.totals.retries += 1;
        }
    }

    /// A row left play: it is no longer retrying or unknown in play.
    pub(super) fn left_play(&mut self, e: &Entry) {
        shown(&mut self.totals, e.told, -1);
        self.totals.in_play = self.totals.in_play.saturating_sub(1);
    }

    /// A row reached the pass's goal: by its call, by adoption, or found so by a listing.
    pub(super) fn reached(&mut self, e: &Entry, via: &str) {
        let t = &mut self.totals;
        if via == ADOPTED {
            t.adopted += 1;
        } else if e.calls_now > 0 {
            t.called += 1;
        } else {
            t.found += 1;
        }
    }

    /// Rows settled before the pass, counted and left.
    pub(super) fn settled(&mut self, counts: Vec<(RowState, u64)>) {
        for (state, n) in counts {
            *self.totals.earlier.entry(state).or_default() += n;
        }
    }

    /// The counts, when they changed since last told.
    pub(super) fn tell_counts(&mut self) {
        if self.totals != self.told_totals {
            self.told_totals = self.totals.clone();
            self.emit(Event::Counts(Box::new(self.totals.clone())));
        }
    }
}
