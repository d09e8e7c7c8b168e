//! ModifyDataFlow, for two purposes: bring a flow's name, AutoRefresh and Kafka fields to what the
//! manifest says (`run --update`), and set the source keys of every row's flow to the manifest's
//! current ones (`run --rotate-keys`). Setting fields to values is idempotent: a lost answer is
//! simply sent again.

use crate::api::{CallError, DataFlowInfo, ModifyDataFlowRequest, OutcomeClass, Request};
use crate::manifest::Row;
use crate::store::key_digest::{KeySalt, RowKeys};
use crate::store::{Change, Rotated, RowState, Transition};

use super::create::{is_ours, DELETING};
use super::{
    default_after_call, Action, AfterCall, Answer, Facts, Final, Judgement, Lost, Operation,
    RowView, Tries,
};
use crate::engine::resume::{Known, Resume};

/// Code recorded for a row whose flow no longer exists.
pub const MISSING: &str = "DataFlowMissing";

/// Brings each created row's flow to the manifest's name, AutoRefresh and Kafka fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateOp;

/// Sets each created row's flow's source keys (and Kafka password, where given) to the
/// manifest's current ones; `rotation` is the recorded rotation this run carries out, `salt` the
/// state file's, for the digests of the keys each row is rotated to.
#[derive(Debug, Clone)]
pub struct RotateOp {
    pub rotation: i64,
    pub salt: KeySalt,
}

impl RotateOp {
    /// Whether the row's flow holds the manifest's keys as they are now, set by this rotation.
    fn rotated(&self, known: &Known<'_>) -> bool {
        known
            .rotation
            .is_some_and(|r| r.id == self.rotation && r.keys == Some(self.salt.digest(known.keys)))
    }
}

/// The mutable fields the manifest sets that the listed flow does not have, by API name. Fields
/// the manifest leaves empty are not compared: empty means "not managed here".
pub fn differences(row: &Row, flow: &DataFlowInfo) -> Vec<&'static str> {
    let r = &row.request;
    let mut out = Vec::new();
    let differs = |want: &Option<String>, have: &str| want.as_deref().is_some_and(|w| w != have);
    if differs(&r.data_flow_name, &flow.data_flow_name) {
        out.push("DataFlowName");
    }
    if r.auto_refresh
        .is_some_and(|a| flow.auto_refresh != Some(i64::from(a)))
    {
        out.push("AutoRefresh");
    }
    if differs(&r.user_kafka_topic, &flow.user_kafka_topic) {
        out.push("UserKafkaTopic");
    }
    if differs(&r.server_addr, &flow.server_addr) {
        out.push("ServerAddr");
    }
    if differs(&r.user_name, &flow.user_name) {
        out.push("UserName");
    }
    out
}

pub(super) fn missing(row: &Row) -> CallError {
    CallError {
        class: OutcomeClass::Row,
        code: MISSING.into(),
        message: format!(
            "the data flow of {} of {} no longer exists; `bulkflow run MANIFEST` creates it again",
            row.target_key(),
            row.request.file_system_id
        ),
        request_id: None,
    }
}

/// The row's flow among those listed at its directory, or what stands in its way.
fn find<'a>(view: RowView<'_>, at: &[&'a DataFlowInfo]) -> Result<&'a DataFlowInfo, Judgement> {
    if let Some(f) = at.iter().copied().find(|f| is_ours(view.row, f)) {
        if f.status == DELETING {
            return Err(Judgement::Finish(Final::Missing(missing(view.row))));
        }
        return Ok(f);
    }
    Err(match at.first() {
        // A flow with another source: the row drifted; it is reported, never changed here.
        Some(_) => Judgement::Finish(Final::Unchanged { via: "listing" }),
        None => Judgement::Finish(Final::Missing(missing(view.row))),
    })
}

/// What both purposes do with an answer: an unknown flow id means the flow is gone.
fn modify_after_call(result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
    match result {
        Err(e) if e.code == crate::api::classify::INVALID_DATA_FLOW_ID => {
            AfterCall::Finish(Final::Missing(CallError {
                code: MISSING.into(),
                message: format!(
                    "{} (the row's data flow no longer exists; `bulkflow run MANIFEST` creates it \
                     again)",
                    e.message
                ),
                ..e.clone()
            }))
        }
        _ => default_after_call(result, tries, Lost::Resend),
    }
}

/// The ModifyDataFlow of a row's flow: its keys, or its other mutable fields.
fn modify_request(view: RowView<'_>, keys: bool) -> Request {
    let r = &view.row.request;
    let mut req = ModifyDataFlowRequest {
        data_flow_id: view.data_flow_id.unwrap_or_default().to_owned(),
        file_system_id: r.file_system_id.clone(),
        ..Default::default()
    };
    if keys {
        req.secret_id = Some(r.secret_id.clone());
        req.secret_key = Some(r.secret_key.clone());
        req.password = r.password.clone();
    } else {
        req.data_flow_name = r.data_flow_name.clone();
        req.auto_refresh = r.auto_refresh;
        req.user_kafka_topic = r.user_kafka_topic.clone();
        req.server_addr = r.server_addr.clone();
        req.user_name = r.user_name.clone();
    }
    Request::ModifyDataFlow(req)
}

/// The facts of both purposes; only rotation does without a first listing.
const fn modify_facts(looks_first: bool) -> Facts {
    Facts {
        action: Action::Modify,
        done_state: RowState::Created,
        looks_first,
        bounded: true,
        wait_timeout: false,
        task: None,
        records_calls: true,
        patient: false,
    }
}

impl Operation for UpdateOp {
    fn facts(&self) -> Facts {
        modify_facts(true)
    }

    fn request(&self, view: RowView<'_>) -> Request {
        modify_request(view, false)
    }

    fn judge(&self, view: RowView<'_>, at: &[&DataFlowInfo]) -> Judgement {
        let flow = match find(view, at) {
            Ok(f) => f,
            Err(j) => return j,
        };
        if differences(view.row, flow).is_empty() {
            return Judgement::Finish(Final::Unchanged { via: "unchanged" });
        }
        Judgement::call(Some(flow.data_flow_id.clone()))
    }

    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        modify_after_call(result, tries)
    }

    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        created_only(known)
    }
}

impl Operation for RotateOp {
    /// The recorded id is the flow: keys are not listed, so there is nothing to compare.
    fn facts(&self) -> Facts {
        modify_facts(false)
    }

    fn request(&self, view: RowView<'_>) -> Request {
        modify_request(view, true)
    }

    fn judge(&self, view: RowView<'_>, at: &[&DataFlowInfo]) -> Judgement {
        match find(view, at) {
            Ok(f) => Judgement::call(Some(f.data_flow_id.clone())),
            Err(j) => j,
        }
    }

    fn after_call(&self, result: &Result<Answer, CallError>, tries: Tries) -> AfterCall {
        modify_after_call(result, tries)
    }

    fn on_done(&self, row: &Row, t: &mut Transition) {
        if let Change::Done {
            rotation,
            answers_to,
            ..
        } = &mut t.change
        {
            *rotation = Some(Rotated {
                id: self.rotation,
                keys: Some(self.salt.digest(RowKeys::of(&row.request))),
            });
            // Keys are not part of the fingerprint: the other fields were not sent.
            *answers_to = None;
        }
    }

    /// A row is rotated when this rotation set the keys the manifest gives now: one rotated to
    /// other keys (the manifest changed while the rotation was interrupted) is rotated again.
    /// A row whose flow ended unavailable is rotated too: new keys are what brings it back.
    fn resume(&self, known: Known<'_>, _retry_failed: bool) -> Resume {
        let work = created_only(known) == Resume::Work || known.flow_unavailable();
        if work && !self.rotated(&known) {
            Resume::Work
        } else {
            Resume::Settled
        }
    }
}

/// Only rows with a flow have something to modify; a drifted row is left alone.
fn created_only(known: Known<'_>) -> Resume {
    match known.state {
        RowState::Created
            if known.source_moved() || known.error_code == Some(crate::engine::resume::DRIFT) =>
        {
            Resume::Settled
        }
        RowState::Created => Resume::Work,
        _ => Resume::Settled,
    }
}
