//! One row's verdict: a pure decision over the manifest row, what the state file records for it,
//! and the flows listed at its directory. Table-tested over every verdict in `verdict_tests.rs`.

use crate::api::DataFlowInfo;
use crate::engine::op::modify::differences;
use crate::manifest::{source_hash, Row, SourceHash};
use crate::store::RowState;

/// What `plan` says of a row (SPEC "plan").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The directory is free: a run creates the flow.
    Create,
    /// A flow with the row's source holds the directory and the state file does not record it
    /// as the row's: a run adopts it without a create.
    Adopt,
    /// The row's flow exists, and its name, AutoRefresh or Kafka fields differ from the
    /// manifest: `run --update` brings it to the manifest.
    Update,
    /// Another flow holds the directory (another source, one being deleted, or a created row
    /// whose source the manifest changed).
    Conflict,
    /// Recorded, and the live flow matches the manifest.
    Ok,
    /// Recorded as created, and no flow with the recorded id or the row's source is there; or
    /// the service knows no such file system in the row's region.
    Missing,
    /// The row's flow exists with Status `unavailable`.
    Unavailable,
}

impl Verdict {
    /// Every verdict, in the order the summary lists them.
    pub const ALL: [Verdict; 7] = [
        Verdict::Create,
        Verdict::Adopt,
        Verdict::Update,
        Verdict::Conflict,
        Verdict::Ok,
        Verdict::Missing,
        Verdict::Unavailable,
    ];

    /// The name in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Create => "create",
            Verdict::Adopt => "adopt",
            Verdict::Update => "update",
            Verdict::Conflict => "conflict",
            Verdict::Ok => "ok",
            Verdict::Missing => "missing",
            Verdict::Unavailable => "unavailable",
        }
    }

    /// Something a run cannot mend by itself: the plan exits 1.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Verdict::Conflict | Verdict::Missing | Verdict::Unavailable
        )
    }

    /// Listed among the rows that need attention in the text output.
    pub fn needs_attention(self) -> bool {
        self.is_problem() || self == Verdict::Update
    }
}

/// A flow's `Status`, in one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Available,
    Unavailable,
    Deleting,
    /// Empty, or a value the API does not document.
    Other,
}

impl Status {
    /// The listed value it stands for (empty for [`Status::Other`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Available => "available",
            Status::Unavailable => "unavailable",
            Status::Deleting => "deleting",
            Status::Other => "",
        }
    }

    /// The status of a listed `Status` value.
    pub fn parse(s: &str) -> Status {
        match s {
            "pending" => Status::Pending,
            "available" => Status::Available,
            "unavailable" => Status::Unavailable,
            "deleting" => Status::Deleting,
            _ => Status::Other,
        }
    }
}

/// The Kafka fields of a flow; most flows have none, so they are kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kafka {
    pub user_kafka_topic: Box<str>,
    pub server_addr: Box<str>,
    pub user_name: Box<str>,
}

/// A listed flow, in the few bytes a verdict needs: no target (its directory is where it is
/// kept), no file system, the source as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub data_flow_id: Box<str>,
    pub source: SourceHash,
    pub status: Status,
    pub data_flow_name: Box<str>,
    /// AutoRefresh in one byte: a value outside `i8` (the API knows 0 and 1) is kept as
    /// `i8::MIN`, which differs from what any manifest asks for, as the value itself would.
    pub auto_refresh: Option<i8>,
    pub kafka: Option<Box<Kafka>>,
}

impl Flow {
    /// The compact form of a listed flow.
    pub fn from_info(f: &DataFlowInfo) -> Flow {
        let kafka = [&f.user_kafka_topic, &f.server_addr, &f.user_name]
            .iter()
            .any(|v| !v.is_empty())
            .then(|| {
                Box::new(Kafka {
                    user_kafka_topic: f.user_kafka_topic.as_str().into(),
                    server_addr: f.server_addr.as_str().into(),
                    user_name: f.user_name.as_str().into(),
                })
            });
        Flow {
            data_flow_id: f.data_flow_id.as_str().into(),
            source: source_hash(
                &f.source_storage_type,
                &f.source_storage_address,
                &f.source_path,
            ),
            status: Status::parse(&f.status),
            data_flow_name: f.data_flow_name.as_str().into(),
            auto_refresh: f.auto_refresh.map(|a| i8::try_from(a).unwrap_or(i8::MIN)),
            kafka,
        }
    }

    /// The fields `run --update` compares, as a listing would show them, so that `plan` and
    /// `run --update` judge differences by one function.
    fn mutable_fields(&self) -> DataFlowInfo {
        let k = self.kafka.as_deref();
        let text = |f: fn(&Kafka) -> &str| k.map(f).unwrap_or_default().to_owned();
        DataFlowInfo {
            data_flow_name: self.data_flow_name.to_string(),
            auto_refresh: self.auto_refresh.map(i64::from),
            user_kafka_topic: text(|k| &k.user_kafka_topic),
            server_addr: text(|k| &k.server_addr),
            user_name: text(|k| &k.user_name),
            ..DataFlowInfo::default()
        }
    }

    fn live(&self) -> bool {
        self.status != Status::Deleting
    }
}

/// What the state file records for a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub state: RowState,
    pub data_flow_id: Option<Box<str>>,
    /// The source the row's flow was made from ([`Row::source_hash`]), when recorded.
    pub source: Option<SourceHash>,
    /// The row's latest data task (`metaload finished`), when it has one.
    pub task: Option<Box<str>>,
}

/// A row's verdict, the flow it concerns (or empty), and why, in a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub data_flow_id: String,
    pub detail: String,
}

fn decision(verdict: Verdict, id: &str, detail: impl Into<String>) -> Decision {
    Decision {
        verdict,
        data_flow_id: id.to_owned(),
        detail: detail.into(),
    }
}

/// The detail of a flow whose mutable fields differ: `differs: DataFlowName, UserName`.
fn differing(row: &Row, flow: &Flow) -> Option<String> {
    let d = differences(row, &flow.mutable_fields());
    (!d.is_empty()).then(|| format!("differs: {}", d.join(", ")))
}

/// The verdict of `row`, given what the state file records for it and every flow listed at its
/// directory (its file system and target path, trailing slashes aside).
pub fn decide(row: &Row, recorded: Option<&Recorded>, at: &[&Flow]) -> Decision {
    let source = row.source_hash();
    let created = recorded.filter(|r| r.state == RowState::Created);
    let recorded_id = recorded.and_then(|r| r.data_flow_id.as_deref());
    let created_id = created.and(recorded_id);

    // A created flow's source cannot change: a manifest that changes it is never the new truth.
    if let Some(key) = created.and_then(|r| r.source) {
        if key != source {
            let id = created_id.unwrap_or_default();
            return decision(
                Verdict::Conflict,
                id,
                format!("drift: the manifest changed the source of created flow {id}; a flow's source cannot change"),
            );
        }
    }
    if let Some(f) =
        created_id.and_then(|id| at.iter().find(|f| f.live() && *f.data_flow_id == *id))
    {
        if f.source != source {
            return decision(
                Verdict::Conflict,
                &f.data_flow_id,
                "drift: the recorded flow has another source than the manifest's",
            );
        }
        if f.status == Status::Unavailable {
            return decision(Verdict::Unavailable, &f.data_flow_id, "Status unavailable");
        }
        return match differing(row, f) {
            Some(detail) => decision(Verdict::Update, &f.data_flow_id, detail),
            None => decision(Verdict::Ok, &f.data_flow_id, ""),
        };
    }
    if let Some(f) = at.iter().find(|f| f.live() && f.source == source) {
        if f.status == Status::Unavailable {
            return decision(
                Verdict::Unavailable,
                &f.data_flow_id,
                "Status unavailable; not recorded as the row's",
            );
        }
        let detail = created_id
            .map(|id| format!("recorded flow {id} no longer exists"))
            .into_iter()
            .chain(differing(row, f).map(|d| format!("then update: {d}")))
            .collect::<Vec<_>>()
            .join("; ");
        return decision(Verdict::Adopt, &f.data_flow_id, detail);
    }
    if let Some(f) = at.iter().find(|f| f.live()) {
        return decision(
            Verdict::Conflict,
            &f.data_flow_id,
            "held by a flow with another source",
        );
    }
    // Only flows being deleted are left. They hold the directory until they are gone, unless it
    // is the row's own flow, recorded as deleted: then the directory is the row's again.
    let deleted_id = recorded
        .filter(|r| r.state == RowState::Deleted)
        .and(recorded_id);
    if let Some(f) = at.iter().find(|f| Some(&*f.data_flow_id) != deleted_id) {
        return decision(Verdict::Conflict, &f.data_flow_id, "being deleted");
    }
    if let Some(id) = created_id {
        return decision(Verdict::Missing, id, format!("flow {id} no longer exists"));
    }
    match at.first() {
        Some(f) => decision(
            Verdict::Create,
            "",
            format!("once flow {} is deleted", f.data_flow_id),
        ),
        None => decision(Verdict::Create, "", ""),
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
