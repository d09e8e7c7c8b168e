//! CreateDataFlow: not idempotent, so a lost answer is resolved by listing, and the file system
//! is listed before the first create so that flows that already exist are adopted, not created
//! twice.

use crate::api::types::normalize_source_path;
use crate::api::{normalize_target_path, CallError, DataFlowInfo, OutcomeClass, Request};
use crate::manifest::Row;
use crate::store::RowState;

use super::{Action, Facts, Final, Judgement, Operation, RowView, Seen};

/// The `Status` of a flow being deleted.
pub const DELETING: &str = "deleting";
/// How long to wait before looking again at a directory whose flow is being deleted.
const DELETING_LOOK: std::time::Duration = std::time::Duration::from_secs(3);

/// Code recorded when a different flow holds a row's directory.
pub const CONFLICT: &str = "DataFlowConflict";

/// Creates each row's flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateOp;

/// True when a listed flow is the one the row asks for: same file system, directory and source.
pub fn is_ours(row: &Row, flow: &DataFlowInfo) -> bool {
    let req = &row.request;
    flow.file_system_id == req.file_system_id
        && normalize_target_path(&flow.target_path) == normalize_target_path(&req.target_path)
        && flow.source_storage_type == req.source_storage_type
        && flow.source_storage_address.trim_end_matches('/')
            == req.source_storage_address.trim_end_matches('/')
        && normalize_source_path(&flow.source_path) == normalize_source_path(&req.source_path)
}

/// The error of a row whose directory holds a flow with another source.
pub fn conflict(row: &Row, flow: &DataFlowInfo) -> CallError {
    CallError {
        class: OutcomeClass::Row,
        code: CONFLICT.into(),
        message: format!(
            "{} of {} already has data flow {} with another source: left alone (bulkflow \
             changes no flow of another source); if it is not needed, delete it in the console \
             (or with tccli), then run `bulkflow run MANIFEST --retry-failed`",
            row.target_key(),
            row.request.file_system_id,
            flow.data_flow_id
        ),
        request_id: None,
    }
}

impl Operation for CreateOp {
    fn facts(&self) -> Facts {
        Facts {
            action: Action::Create,
            done_state: RowState::Created,
            looks_first: true,
            bounded: true,
            wait_timeout: false,
            task: None,
            records_calls: true,
            patient: false,
        }
    }

    fn request(&self, view: RowView<'_>) -> Request {
        Request::CreateDataFlow(view.row.request.clone())
    }

    fn judge(&self, view: RowView<'_>, at_directory: &[&DataFlowInfo]) -> Judgement {
        let row = view.row;
        // A flow being deleted still holds its directory (a create there is refused) until it
        // disappears: wait for it, whoever it belongs to.
        if at_directory.iter().any(|f| f.status == DELETING) {
            return Judgement::LookAgain(DELETING_LOOK);
        }
        if let Some(flow) = at_directory.iter().find(|f| is_ours(row, f)) {
            return Judgement::Finish(Final::Done {
                id: Some(flow.data_flow_id.clone()),
                request_id: None,
                via: view.via_listing(),
                seen: Some(flow.status.clone())
                    .filter(|s| !s.is_empty())
                    .map(Seen::Flow),
            });
        }
        match at_directory.first() {
            Some(flow) => Judgement::Finish(Final::Failed(conflict(row, flow))),
            None => Judgement::call(None),
        }
    }
}
