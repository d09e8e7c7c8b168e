//! Waiting until each created row's flow is `available` (or ends `unavailable`): no calls, only
//! listings of each file system, one at a time, until every row's flow has settled.

use std::time::Duration;

use crate::api::{CallError, DataFlowInfo, DescribeDataFlowRequest, OutcomeClass, Request};
use crate::store::RowState;

use super::create::is_ours;
use super::modify::missing;
use super::{Action, Facts, Final, Judgement, Operation, RowView, Seen};
pub use crate::engine::resume::UNAVAILABLE;
use crate::engine::resume::{Known, Resume, DRIFT};

/// How long between two looks at a flow that is still being configured.
pub const POLL: Duration = Duration::from_secs(3);

/// Waits for each created row's flow to settle.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitOp;

impl Operation for WaitOp {
    /// Paced on DescribeDataFlow: the only calls are listings.
    fn facts(&self) -> Facts {
        Facts {
            action: Action::Describe,
            done_state: RowState::Created,
            looks_first: true,
            bounded: false,
            wait_timeout: true,
            task: None,
            records_calls: true,
            patient: false,
        }
    }

    /// Never asked: every judgement finishes or looks again. The row's flow, described.
    fn request(&self, view: RowView<'_>) -> Request {
        Request::DescribeDataFlow(DescribeDataFlowRequest {
            file_system_id: Some(view.row.request.file_system_id.clone()),
            data_flow_id: view.data_flow_id.map(str::to_owned),
            ..Default::default()
        })
    }

    fn judge(&self, view: RowView<'_>, at: &[&DataFlowInfo]) -> Judgement {
        let Some(flow) = at.iter().find(|f| is_ours(view.row, f)) else {
            return match at.first() {
                Some(_) => Judgement::Finish(Final::Unchanged { via: "listing" }),
                None => Judgement::Finish(Final::Missing(missing(view.row))),
            };
        };
        match flow.status.as_str() {
            "available" => Judgement::Finish(Final::Done {
                id: Some(flow.data_flow_id.clone()),
                request_id: None,
                via: "available",
                seen: Some(Seen::Flow(flow.status.clone())),
            }),
            "unavailable" => Judgement::Finish(Final::Failed(CallError {
                class: OutcomeClass::Row,
                code: UNAVAILABLE.into(),
                message: unavailable_advice(&flow.data_flow_id, view.row),
                request_id: None,
            })),
            // `pending` (being configured), or a status this version does not know: look again.
            status => Judgement::Watch {
                after: POLL,
                seen: Some(status.to_owned())
                    .filter(|s| !s.is_empty())
                    .map(Seen::Flow),
            },
        }
    }

    /// Created rows, and rows whose flow ended unavailable: listed again, for new keys (set by
    /// a rotation, or in the console) may have brought the flow back.
    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        match known.state {
            RowState::Created if known.error_code != Some(DRIFT) => Resume::Work,
            _ if known.flow_unavailable() => Resume::Work,
            _ => Resume::Settled,
        }
    }
}

/// What a row whose flow is unavailable is told: what most likely caused it, and the command
/// that brings it back (issue 20, 2).
pub fn unavailable_advice(data_flow_id: &str, row: &crate::manifest::Row) -> String {
    format!(
        "data flow {data_flow_id} of {} of {} is unavailable (not in effect), most likely because \
         the source refuses its keys: put working SecretId/SecretKey in the manifest, then run \
         `bulkflow run MANIFEST --rotate-keys --wait` (it sets them on the flow and waits for it)",
        row.target_key(),
        row.request.file_system_id
    )
}
