//! What a run does with a row the state file already knows: a plain decision over what was
//! recorded and what the manifest says now, table-tested. No state policy lives in SQL.

use crate::store::key_digest::RowKeys;
use crate::store::tasks::RowTasks;
use crate::store::{Rotated, RowState};

/// Code recorded (beside `created`) when the manifest changed a created flow's source.
pub const DRIFT: &str = "DataFlowDrift";
/// Code recorded for a row whose flow ended `unavailable` (e.g. its source keys were refused).
pub const UNAVAILABLE: &str = "DataFlowUnavailable";

/// What the state file holds for a row, and what the manifest says now.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    pub state: RowState,
    pub error_code: Option<&'a str>,
    /// Fingerprints of the non-secret fields, as recorded and as in the manifest now.
    pub fingerprint: (&'a str, &'a str),
    /// Source keys (type, address, path), as recorded and as in the manifest now.
    pub source: (Option<&'a str>, &'a str),
    /// The row's flow as recorded: the flow of the recorded source.
    pub data_flow_id: Option<&'a str>,
    /// The last key rotation applied to the row's flow, with a digest of the keys it set.
    pub rotation: Option<Rotated>,
    /// The row's keys as the manifest gives them now (for a rotation to compare).
    pub keys: RowKeys<'a>,
    /// For operations on data tasks: the row's flow status and latest task of their type.
    pub tasks: Option<&'a RowTasks>,
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Nothing to do for a create run: the row is final and unchanged.
    Settled,
    /// The row needs work in the state it is recorded in.
    Work,
    /// Back to `pending` (a failed row the manifest edited, a failed row with `--retry-failed`,
    /// a deleted row): recorded with the manifest's fingerprint.
    Restart,
    /// A created row whose source the manifest changed: reported on every run, never taken as
    /// the new truth (the flow's source cannot be modified).
    Drift,
    /// A created row reported as drifted whose manifest is back to the flow's source.
    DriftGone,
    /// A new data task for the row (its first of the type, or the next after one that ended).
    NewTask,
    /// Nothing is sent for the row, and it is reported with this code (a data task of a row
    /// whose flow does not exist): counted, never recorded.
    Skip(&'static str),
}

impl Known<'_> {
    /// Whether the manifest now names another source than the one recorded for the row: its
    /// recorded flow, if any, is not the row's as the manifest stands (a drift, for a created
    /// row). The one test of it, for every operation.
    pub fn source_moved(&self) -> bool {
        self.source.0.is_some_and(|s| s != self.source.1)
    }

    /// Whether the row failed because its flow, which exists and is the row's as the manifest
    /// stands, ended `unavailable`: new keys (a rotation) and a wait can bring it back.
    pub fn flow_unavailable(&self) -> bool {
        self.state == RowState::Failed
            && self.error_code == Some(UNAVAILABLE)
            && self.data_flow_id.is_some()
            && !self.source_moved()
    }
}

/// Decides what a create run does with a known row.
pub fn decide(k: Known<'_>, retry_failed: bool) -> Resume {
    let edited = k.fingerprint.0 != k.fingerprint.1;
    match k.state {
        RowState::Created => {
            let drifted = k.source_moved();
            match (drifted, k.error_code == Some(DRIFT)) {
                (true, _) => Resume::Drift,
                (false, true) => Resume::DriftGone,
                (false, false) => Resume::Settled,
            }
        }
        RowState::Failed if edited || retry_failed => Resume::Restart,
        RowState::Failed => Resume::Settled,
        RowState::Deleted => Resume::Restart,
        RowState::Pending | RowState::Retrying | RowState::Unknown => Resume::Work,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RowState::*;

    #[test]
    fn each_recorded_state_and_edit_leads_to_its_decision() {
        // state, error, fingerprint changed, source changed, retry_failed -> decision
        type Case = (RowState, Option<&'static str>, bool, bool, bool, Resume);
        let table: &[Case] = &[
            (Created, None, false, false, false, Resume::Settled),
            (Created, None, true, false, false, Resume::Settled),
            (Created, None, true, true, false, Resume::Drift),
            (Created, Some(DRIFT), true, true, true, Resume::Drift),
            (Created, Some(DRIFT), false, false, false, Resume::DriftGone),
            (Failed, Some("X"), false, false, false, Resume::Settled),
            (Failed, Some("X"), true, false, false, Resume::Restart),
            (Failed, Some("X"), false, false, true, Resume::Restart),
            (Deleted, None, false, false, false, Resume::Restart),
            (Pending, None, true, true, false, Resume::Work),
            (Retrying, Some("X"), false, false, false, Resume::Work),
            (Unknown, Some("X"), false, false, false, Resume::Work),
        ];
        for &(state, error_code, edited, moved, retry, want) in table {
            let k = Known {
                state,
                error_code,
                fingerprint: ("a", if edited { "b" } else { "a" }),
                source: (Some("s"), if moved { "t" } else { "s" }),
                data_flow_id: None,
                rotation: None,
                keys: RowKeys::none(),
                tasks: None,
            };
            assert_eq!(
                decide(k, retry),
                want,
                "{state:?} {error_code:?} {edited} {moved} {retry}"
            );
        }
    }

    #[test]
    fn a_row_recorded_before_sources_were_kept_never_drifts() {
        let k = Known {
            state: Created,
            error_code: None,
            fingerprint: ("a", "b"),
            source: (None, "t"),
            data_flow_id: None,
            rotation: None,
            keys: RowKeys::none(),
            tasks: None,
        };
        assert_eq!(decide(k, false), Resume::Settled);
    }
}
