//! Every verdict, and each way to reach it, as a table.

use super::*;
use crate::api::CreateDataFlowRequest;
use crate::engine::op::create::is_ours;
use crate::secret::Secret;

fn row() -> Row {
    Row {
        line: 2,
        region: "ap-guangzhou".into(),
        request: CreateDataFlowRequest {
            file_system_id: "cfs-1".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos".into(),
            source_path: "data/1".into(),
            target_path: "/cfs/d1".into(),
            secret_id: Secret::new("AKIDplanted"),
            secret_key: Secret::new("KEYplanted"),
            data_flow_name: Some("flow_1".into()),
            ..Default::default()
        },
    }
}

/// A listed flow at the row's directory, with the row's source or another.
fn info(id: &str, ours: bool, status: &str) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        data_flow_name: "flow_1".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos/".into(),
        source_path: if ours { "/data/1/" } else { "other" }.into(),
        target_path: "/cfs/d1/".into(),
        status: status.into(),
        file_system_id: "cfs-1".into(),
        ..Default::default()
    }
}

fn flow(id: &str, ours: bool, status: &str) -> Flow {
    Flow::from_info(&info(id, ours, status))
}

fn renamed(mut f: Flow) -> Flow {
    f.data_flow_name = "old_name".into();
    f
}

fn kafka(mut f: Flow) -> Flow {
    f.kafka = Some(Box::new(Kafka {
        user_kafka_topic: "t".into(),
        server_addr: "k:9095".into(),
        user_name: "u".into(),
    }));
    f
}

fn rec(state: RowState, id: Option<&str>, source: Option<SourceHash>) -> Recorded {
    Recorded {
        task: None,
        state,
        data_flow_id: id.map(Into::into),
        source,
    }
}

#[test]
fn every_verdict_from_its_inputs() {
    let m = Some(row().source_hash());
    let created = |id| Some(rec(RowState::Created, Some(id), m));
    type Case = (
        &'static str,
        Option<Recorded>,
        Vec<Flow>,
        Verdict,
        &'static str,
        &'static str,
    );
    let table: Vec<Case> = vec![
        ("free, never recorded", None, vec![], Verdict::Create, "", ""),
        ("free, recorded pending", Some(rec(RowState::Pending, None, m)), vec![], Verdict::Create, "", ""),
        ("free, recorded failed", Some(rec(RowState::Failed, None, m)), vec![], Verdict::Create, "", ""),
        ("free, recorded deleted", Some(rec(RowState::Deleted, Some("f1"), m)), vec![], Verdict::Create, "", ""),
        (
            "own deleted flow still deleting",
            Some(rec(RowState::Deleted, Some("f1"), m)),
            vec![flow("f1", true, "deleting")],
            Verdict::Create,
            "",
            "once flow f1 is deleted",
        ),
        ("ours, never recorded", None, vec![flow("f1", true, "available")], Verdict::Adopt, "f1", ""),
        ("ours pending, never recorded", None, vec![flow("f1", true, "pending")], Verdict::Adopt, "f1", ""),
        (
            "ours, recorded unknown",
            Some(rec(RowState::Unknown, None, m)),
            vec![flow("f1", true, "available")],
            Verdict::Adopt,
            "f1",
            "",
        ),
        (
            "ours after a delete",
            Some(rec(RowState::Deleted, Some("f0"), m)),
            vec![flow("f1", true, "available")],
            Verdict::Adopt,
            "f1",
            "",
        ),
        (
            "ours, another name, never recorded",
            None,
            vec![renamed(flow("f1", true, "available"))],
            Verdict::Adopt,
            "f1",
            "then update: differs: DataFlowName",
        ),
        (
            "recorded flow gone, another of ours there",
            created("f0"),
            vec![flow("f1", true, "available")],
            Verdict::Adopt,
            "f1",
            "recorded flow f0 no longer exists",
        ),
        ("recorded and matching", created("f1"), vec![flow("f1", true, "available")], Verdict::Ok, "f1", ""),
        ("recorded, still pending", created("f1"), vec![flow("f1", true, "pending")], Verdict::Ok, "f1", ""),
        (
            "recorded before sources were kept",
            Some(rec(RowState::Created, Some("f1"), None)),
            vec![flow("f1", true, "available")],
            Verdict::Ok,
            "f1",
            "",
        ),
        (
            "recorded, renamed since",
            created("f1"),
            vec![renamed(flow("f1", true, "available"))],
            Verdict::Update,
            "f1",
            "differs: DataFlowName",
        ),
        (
            "recorded, Kafka fields the manifest leaves empty",
            created("f1"),
            vec![kafka(flow("f1", true, "available"))],
            Verdict::Ok,
            "f1",
            "",
        ),
        (
            "another source holds it",
            None,
            vec![flow("x1", false, "available")],
            Verdict::Conflict,
            "x1",
            "held by a flow with another source",
        ),
        (
            "recorded flow gone, another source holds it",
            created("f1"),
            vec![flow("x1", false, "available")],
            Verdict::Conflict,
            "x1",
            "held by a flow with another source",
        ),
        (
            "drift: the manifest changed a created row's source",
            Some(rec(RowState::Created, Some("f1"), Some(*b"elsewher"))),
            vec![flow("f1", true, "available")],
            Verdict::Conflict,
            "f1",
            "drift: the manifest changed the source of created flow f1; a flow's source cannot change",
        ),
        (
            "drift seen in the listing only",
            Some(rec(RowState::Created, Some("f1"), None)),
            vec![flow("f1", false, "available")],
            Verdict::Conflict,
            "f1",
            "drift: the recorded flow has another source than the manifest's",
        ),
        ("another's flow being deleted", None, vec![flow("x1", false, "deleting")], Verdict::Conflict, "x1", "being deleted"),
        ("an unrecorded flow of ours being deleted", None, vec![flow("f1", true, "deleting")], Verdict::Conflict, "f1", "being deleted"),
        ("the recorded flow being deleted", created("f1"), vec![flow("f1", true, "deleting")], Verdict::Conflict, "f1", "being deleted"),
        (
            "deleted row, another flow being deleted",
            Some(rec(RowState::Deleted, Some("f1"), m)),
            vec![flow("x1", false, "deleting")],
            Verdict::Conflict,
            "x1",
            "being deleted",
        ),
        ("recorded, gone", created("f1"), vec![], Verdict::Missing, "f1", "flow f1 no longer exists"),
        (
            "recorded, unavailable",
            created("f1"),
            vec![renamed(flow("f1", true, "unavailable"))],
            Verdict::Unavailable,
            "f1",
            "Status unavailable",
        ),
        (
            "ours unavailable, never recorded",
            None,
            vec![flow("f1", true, "unavailable")],
            Verdict::Unavailable,
            "f1",
            "Status unavailable; not recorded as the row's",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (name, recorded, flows, verdict, id, detail) in table {
        let at: Vec<&Flow> = flows.iter().collect();
        let d = decide(&row(), recorded.as_ref(), &at);
        assert_eq!(
            (d.verdict, d.data_flow_id.as_str(), d.detail.as_str()),
            (verdict, id, detail),
            "{name}"
        );
        seen.insert(verdict);
    }
    assert_eq!(seen.len(), Verdict::ALL.len(), "every verdict has a case");
}

#[test]
fn kafka_fields_the_manifest_sets_are_compared() {
    let mut r = row();
    r.request.user_kafka_topic = Some("t".into());
    r.request.server_addr = Some("k:9095".into());
    r.request.user_name = Some("v".into());
    r.request.auto_refresh = Some(1);
    let recorded = rec(RowState::Created, Some("f1"), Some(r.source_hash()));
    let f = kafka(flow("f1", true, "available"));
    let d = decide(&r, Some(&recorded), &[&f]);
    assert_eq!(d.verdict, Verdict::Update);
    assert_eq!(d.detail, "differs: AutoRefresh, UserName");
}

/// The compact source hash finds a flow ours exactly when the engine's `is_ours` does.
#[test]
fn source_hash_agrees_with_is_ours() {
    let r = row();
    let variants = [
        ("S3_COS", "https://b.cos", "data/1"),
        ("S3_COS", "https://b.cos//", "//data/1/"),
        ("S3_L5", "https://b.cos", "data/1"),
        ("S3_COS", "https://c.cos", "data/1"),
        ("S3_COS", "https://b.cos", "data/10"),
        ("S3_COS", "https://b.cos", "data"),
        ("S3_COS", "https://b.cosdata", "1"),
    ];
    for (t, a, p) in variants {
        let mut i = info("f", true, "available");
        i.source_storage_type = t.into();
        i.source_storage_address = a.into();
        i.source_path = p.into();
        assert_eq!(
            Flow::from_info(&i).source == r.source_hash(),
            is_ours(&r, &i),
            "{t} {a} {p}"
        );
    }
}

#[test]
fn problems_and_attention() {
    let problems: Vec<_> = Verdict::ALL.iter().filter(|v| v.is_problem()).collect();
    assert_eq!(
        problems,
        [&Verdict::Conflict, &Verdict::Missing, &Verdict::Unavailable]
    );
    assert!(Verdict::Update.needs_attention() && !Verdict::Adopt.needs_attention());
}
