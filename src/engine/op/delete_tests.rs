//! DeleteOp as tables: what it does with a recorded row, with a listing of the row's directory,
//! with an answer.

use super::delete::{BUSY, NOT_OURS};
use super::tests::{answer, decision};
use super::*;
use crate::api::classify::{INVALID_DATA_FLOW_ID, INVALID_TASK_STATUS};
use crate::api::error::codes;
use crate::engine::resume::{Known, Resume, DRIFT};
use crate::store::key_digest::RowKeys;

fn row() -> Row {
    Row {
        line: 2,
        region: "ap-x".into(),
        request: crate::api::CreateDataFlowRequest {
            file_system_id: "cfs-1".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos".into(),
            source_path: "/src".into(),
            target_path: "/cfs/a".into(),
            ..Default::default()
        },
    }
}

#[test]
fn a_delete_resumes_each_recorded_state_as_its_table_says() {
    use RowState::*;
    // state, error, flow recorded, source moved since -> decision
    type Case = (RowState, Option<&'static str>, bool, bool, Resume);
    let table: &[Case] = &[
        (Created, None, true, false, Resume::Work),
        // Another source's flow now: never sent, reported.
        (Created, None, true, true, Resume::Skip(NOT_OURS)),
        (Created, Some(DRIFT), true, true, Resume::Skip(NOT_OURS)),
        (Created, Some(DRIFT), true, false, Resume::Work),
        // A create of unknown outcome: listed, whatever the manifest says now.
        (Unknown, None, false, false, Resume::Work),
        (Unknown, None, false, true, Resume::Work),
        (Unknown, None, true, true, Resume::Skip(NOT_OURS)),
        (Pending, None, false, false, Resume::Work),
        (Retrying, Some("InternalError"), false, false, Resume::Work),
        (Retrying, Some("InternalError"), true, false, Resume::Work),
        (
            Failed,
            Some("DataFlowUnavailable"),
            true,
            false,
            Resume::Work,
        ),
        (Failed, Some(BUSY), true, false, Resume::Work),
        (Failed, Some(BUSY), true, true, Resume::Skip(NOT_OURS)),
        (Failed, Some("InvalidParameter"), false, true, Resume::Work),
        (Deleted, None, false, false, Resume::Settled),
        (Deleted, None, true, true, Resume::Settled),
    ];
    for &(state, error_code, recorded, moved, want) in table {
        let known = Known {
            state,
            error_code,
            fingerprint: ("f", "f"),
            source: (Some("s"), if moved { "t" } else { "s" }),
            data_flow_id: recorded.then_some("cfs-dataflow-1"),
            rotation: None,
            keys: RowKeys::none(),
            tasks: None,
        };
        for retry_failed in [false, true] {
            assert_eq!(
                DeleteOp.resume(known, retry_failed),
                want,
                "{state:?} {error_code:?} recorded {recorded} moved {moved} {retry_failed}"
            );
        }
    }
}

fn flow(id: &str, source_path: &str, status: &str) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        file_system_id: "cfs-1".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos/".into(),
        source_path: source_path.into(),
        target_path: "/cfs/a/".into(),
        status: status.into(),
        ..Default::default()
    }
}

/// A judgement in a word: `call ID`, `done ID` (by a listing, seen `deleting`), `absent`,
/// `failed CODE`.
fn word(j: &Judgement) -> String {
    match j {
        Judgement::Call {
            data_flow_id: Some(id),
            task_id: None,
        } => format!("call {id}"),
        Judgement::Finish(Final::Done {
            id: Some(id),
            via: "listing",
            seen: Some(Seen::Flow(s)),
            ..
        }) if s == "deleting" => format!("done {id}"),
        Judgement::Absent(Final::Done { id: None, .. }) => "absent".into(),
        Judgement::Finish(Final::Failed(e)) => format!("failed {}", e.code),
        j => format!("{j:?}"),
    }
}

#[test]
fn a_delete_judges_the_flows_at_its_directory_as_its_table_says() {
    let r = row();
    let mine = flow("mine", "src/", "available");
    let other = flow("theirs", "elsewhere", "available");
    let going = flow("mine", "src", "deleting");
    let pending = flow("mine", "src", "pending");
    let second = flow("also-mine", "/src", "available");
    // recorded flow, listed at the directory -> judgement
    let table: &[(Option<&str>, &[&DataFlowInfo], &str)] = &[
        // Nothing there: a recorded flow is deleted by its id all the same (it may have slipped
        // between two pages); nothing recorded is nothing of ours, once no create can land.
        (Some("mine"), &[], "call mine"),
        (None, &[], "absent"),
        (None, &[&mine], "call mine"),
        (Some("mine"), &[&mine], "call mine"),
        (None, &[&pending], "call mine"),
        (None, &[&going], "done mine"),
        (Some("mine"), &[&going], "done mine"),
        (None, &[&other], "failed DataFlowNotOurs"),
        (Some("mine"), &[&other], "failed DataFlowNotOurs"),
        (None, &[&other, &mine], "call mine"),
        // The recorded flow first, when two of the row's source show.
        (Some("also-mine"), &[&mine, &second], "call also-mine"),
        (None, &[&mine, &second], "call mine"),
        // A recorded id that lists with another source is not the row's.
        (Some("theirs"), &[&other], "failed DataFlowNotOurs"),
        (Some("theirs"), &[&other, &mine], "call mine"),
    ];
    for (recorded, at, want) in table {
        let got = word(&DeleteOp.judge(RowView::new(&r, *recorded), at));
        assert_eq!(got, *want, "{recorded:?} {at:?}");
    }
    match DeleteOp.judge(RowView::new(&r, None), &[&other]) {
        Judgement::Finish(Final::Failed(e)) => {
            assert!(e.message.contains("theirs"), "{}", e.message);
            assert_eq!(e.class, OutcomeClass::Row);
        }
        j => panic!("{j:?}"),
    }
}

/// Issue 22, 2: a delete names its flow by id, so a lost answer is sent again at once (a flow
/// already gone answers `InvalidDataFlowId`); only what a resend cannot settle is listed for.
#[test]
fn a_delete_decides_each_answer_as_its_table_says() {
    use OutcomeClass::*;
    let ok = Ok(Answer {
        id: None,
        request_id: "r".into(),
    });
    assert_eq!(
        decision(&DeleteOp.after_call(&ok, Tries::new(1, 8))),
        "done"
    );
    assert_eq!(
        decision(&DeleteOp.after_call(&ok, Tries::new(2, 8).after_lost())),
        "done"
    );
    // class, code, attempts, after a lost answer -> decision
    let table: &[(OutcomeClass, &str, u32, bool, &str)] = &[
        // Gone: deleted, whoever deleted it.
        (Row, INVALID_DATA_FLOW_ID, 1, false, "done"),
        (Row, INVALID_DATA_FLOW_ID, 2, true, "done"),
        (Row, "ResourceNotFound", 1, false, "done"),
        (Row, "ResourceNotFound", 8, true, "done"),
        // Lost: sent again at once; at the end of the attempts a listing tells.
        (Unknown, codes::CONNECTION_LOST, 1, false, "retry-now"),
        (Unknown, codes::TIMEOUT, 1, false, "retry-now"),
        (Unknown, codes::TIMEOUT, 7, true, "retry-now"),
        (Unknown, codes::MALFORMED, 3, true, "retry-now"),
        (Unknown, codes::TIMEOUT, 8, true, "resolve"),
        (Unknown, codes::CONNECTION_LOST, 8, false, "resolve"),
        // Another task runs on the flow: left alone, unless an earlier call may have deleted it.
        (Row, INVALID_TASK_STATUS, 1, false, "failed DataFlowBusy"),
        (Row, INVALID_TASK_STATUS, 2, true, "resolve"),
        // Any other refusal is the row's, unless it may be about a deletion already under way.
        (Row, "FailedOperation", 1, false, "failed FailedOperation"),
        (Row, "FailedOperation", 2, true, "resolve"),
        (Row, "ResourceInUse", 8, true, "resolve"),
        (
            Row,
            "UnsupportedOperation",
            1,
            false,
            "failed UnsupportedOperation",
        ),
        // Refused without acting: backoffs as for every action.
        (Transient, "InternalError", 1, false, "retry"),
        (Transient, "InternalError", 2, true, "retry"),
        (Transient, "InternalError", 8, false, "failed InternalError"),
        (Throttled, "RequestLimitExceeded", 1, true, "throttled"),
        (
            Throttled,
            "RequestLimitExceeded",
            8,
            false,
            "failed RequestLimitExceeded",
        ),
        (Transient, codes::CONNECT_FAILED, 8, false, "fatal"),
        (Fatal, "AuthFailure.SignatureFailure", 1, true, "fatal"),
        (
            FileSystem,
            "ResourceNotFound.FileSystemNotFound",
            1,
            false,
            "fs",
        ),
    ];
    for &(class, code, attempts, after_lost, want) in table {
        let mut tries = Tries::new(attempts, 8);
        tries.after_lost = after_lost;
        let got = decision(&DeleteOp.after_call(&answer(class, code), tries));
        assert_eq!(got, want, "{class:?} {code} {attempts} {after_lost}");
    }
}

#[test]
fn a_delete_names_the_flow_by_its_id_and_records_its_calls() {
    let r = row();
    match DeleteOp.request(RowView::new(&r, Some("cfs-dataflow-9"))) {
        crate::api::Request::DeleteDataFlow(d) => {
            assert_eq!(d.data_flow_id, "cfs-dataflow-9");
            assert_eq!(d.file_system_id.as_deref(), Some("cfs-1"));
        }
        other => panic!("{other:?}"),
    }
    let f = DeleteOp.facts();
    assert_eq!(f.action, Action::Delete);
    assert_eq!(f.done_state, RowState::Deleted);
    assert!(f.looks_first && f.records_calls && f.bounded);
    assert!(!f.patient && !f.wait_timeout && f.task.is_none());
}
