//! DeleteDataFlow: the flow of each row that has one (its recorded id, or the flow at its
//! directory with its source), never a flow with another source. Every call names the flow by
//! its id, so a lost answer is simply sent again: a flow already gone answers
//! `InvalidDataFlowId`, read as deleted. A listing settles only what a resend cannot: a refusal
//! after a lost answer, and lost answers that used up the attempts (gone, or `deleting`, means
//! deleted).
//!
//! Whose a recorded flow is, is decided once, before the row is in play
//! ([`Operation::resume`]): a row whose manifest names another source than the one its flow
//! was recorded with is reported `DataFlowNotOurs` and never put in play, so that no listing
//! (one that lags, or skips a flow between two pages) can lead to its recorded id. A row that
//! may have a create in flight (`unknown`) is `deleted` with nothing found only by a listing
//! late enough for that create to show ([`Judgement::Absent`]).

use crate::api::classify::INVALID_DATA_FLOW_ID;
use crate::api::{CallError, DataFlowInfo, DeleteDataFlowRequest, OutcomeClass, Request};
use crate::manifest::Row;
use crate::store::{RowState, Synced};

use super::create::{is_ours, DELETING};
use super::{
    default_after_call, Action, AfterCall, Answer, Facts, Final, Judgement, Lost, Operation,
    RowView, Seen, Tries,
};
use crate::engine::resume::{Known, Resume};

/// Code recorded when the flow at a row's directory has another source: it is left alone.
pub const NOT_OURS: &str = "DataFlowNotOurs";
/// Code recorded when a data task bulkflow did not start runs on the row's flow.
pub const BUSY: &str = "DataFlowBusy";

/// Deletes each row's flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeleteOp;

/// Which flow at the directory is the row's: the recorded one, if it still has the row's source,
/// else one with the row's source. The recorded flow with another source (the manifest changed)
/// is not the row's to delete.
fn the_rows<'a>(view: RowView<'_>, at: &[&'a DataFlowInfo]) -> Option<&'a DataFlowInfo> {
    at.iter()
        .copied()
        .find(|f| Some(f.data_flow_id.as_str()) == view.data_flow_id && is_ours(view.row, f))
        .or_else(|| at.iter().copied().find(|f| is_ours(view.row, f)))
}

/// Waits for a listing of the row's file system: the flow gone or `deleting` is deleted.
fn look(e: &CallError) -> AfterCall {
    AfterCall::Resolve {
        exists: false,
        error: e.clone(),
    }
}

impl Operation for DeleteOp {
    fn facts(&self) -> Facts {
        Facts {
            action: Action::Delete,
            done_state: RowState::Deleted,
            looks_first: true,
            bounded: true,
            wait_timeout: false,
            task: None,
            records_calls: true,
            patient: false,
        }
    }

    fn request(&self, view: RowView<'_>) -> Request {
        Request::DeleteDataFlow(DeleteDataFlowRequest {
            data_flow_id: view.data_flow_id.unwrap_or_default().to_owned(),
            file_system_id: Some(view.row.request.file_system_id.clone()),
        })
    }

    fn judge(&self, view: RowView<'_>, at: &[&DataFlowInfo]) -> Judgement {
        match the_rows(view, at) {
            Some(f) if f.status == DELETING => Judgement::Finish(Final::Done {
                id: Some(f.data_flow_id.clone()),
                request_id: None,
                via: "listing",
                seen: Some(Seen::Flow(f.status.clone())),
            }),
            Some(f) => Judgement::call(Some(f.data_flow_id.clone())),
            None => match at.first() {
                // Another source's flow: never ours to delete.
                Some(other) => Judgement::Finish(Final::Failed(CallError {
                    class: OutcomeClass::Row,
                    code: NOT_OURS.into(),
                    message: format!(
                        "{} of {} holds data flow {} with another source than the manifest's; \
                         left alone (bulkflow deletes no flow of another source): if it is to \
                         go, delete it in the console (or with tccli), then run `bulkflow \
                         delete MANIFEST` again",
                        view.row.target_key(),
                        view.row.request.file_system_id,
                        other.data_flow_id
                    ),
                    request_id: None,
                })),
                // A listing is read page by page while flows vanish (being deleted), so a flow can
                // slip between two pages: a recorded flow is deleted by its id all the same (the
                // service says so if it is already gone).
                // (Only rows whose recorded flow has the row's source get here: see `resume`.)
                None => match view.data_flow_id {
                    Some(id) => Judgement::call(Some(id.to_owned())),
                    // Nothing there, and nothing recorded: nothing of ours to delete, once no
                    // create of ours can still make a flow appear.
                    None => Judgement::Absent(Final::Done {
                        id: None,
                        request_id: None,
                        via: "listing",
                        seen: None,
                    }),
                },
            },
        }
    }

    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        match result {
            // The id is unknown to the service: the flow is already gone.
            Err(e) if e.code == INVALID_DATA_FLOW_ID || e.code == "ResourceNotFound" => {
                AfterCall::Finish(Final::Done {
                    id: None,
                    request_id: e.request_id.clone(),
                    via: "call",
                    seen: None,
                })
            }
            // A refusal after a call that may have deleted the flow may be about that deletion
            // (a flow already `deleting`): a listing tells, never a guess.
            Err(e) if e.class == OutcomeClass::Row && tries.after_lost => look(e),
            // The row's own tasks were stopped before this pass: another task runs on the flow.
            Err(e) if e.code == crate::api::classify::INVALID_TASK_STATUS => {
                AfterCall::Finish(Final::Failed(CallError {
                    class: OutcomeClass::Row,
                    code: BUSY.into(),
                    message: format!(
                        "a data task bulkflow did not start runs on this flow ({}): left alone; \
                         stop that task (or wait for it to end), then run `bulkflow delete \
                         MANIFEST` again",
                        e.code
                    ),
                    request_id: e.request_id.clone(),
                }))
            }
            // Lost answers used up the attempts: a listing tells whether the flow is going.
            Err(e) if e.class == OutcomeClass::Unknown && tries.spent() => look(e),
            // Deleting by id is safe to repeat: a lost answer is sent again at once.
            _ => default_after_call(result, tries, Lost::Resend),
        }
    }

    /// A recorded flow is the row's only while the manifest names the source it was recorded
    /// with; else it is another source's flow, reported and left alone, whatever a listing
    /// shows or fails to show.
    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        match known.state {
            RowState::Deleted => Resume::Settled,
            _ if known.data_flow_id.is_some() && known.source_moved() => Resume::Skip(NOT_OURS),
            _ => Resume::Work,
        }
    }

    fn skip_error(&self, row: &Row, synced: &Synced, code: &'static str) -> CallError {
        CallError {
            class: OutcomeClass::Row,
            code: code.into(),
            message: format!(
                "{} of {}: its data flow {} was recorded with another source than the manifest \
                 now names; not this row's to delete: left alone (to delete it, restore the row's \
                 source in the manifest, then run `bulkflow delete MANIFEST` again)",
                row.target_key(),
                row.request.file_system_id,
                synced.data_flow_id.as_deref().unwrap_or("")
            ),
            request_id: None,
        }
    }
}
