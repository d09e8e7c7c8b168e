use super::*;
use crate::api::classify::PATH_USED;
use crate::api::error::codes;
use crate::manifest::Row;

fn error(class: OutcomeClass, code: &str) -> CallError {
    CallError {
        class,
        code: code.into(),
        message: "m".into(),
        request_id: None,
    }
}

#[test]
fn each_class_leads_to_its_decision() {
    use Lost::*;
    use OutcomeClass::*;
    let ok = Ok(Answer {
        id: Some("cfs-dataflow-1".into()),
        request_id: "r".into(),
    });
    assert!(matches!(
        default_after_call(&ok, Tries::new(1, 8), Lost::List),
        AfterCall::Finish(Final::Done { .. })
    ));
    // class, code, attempts, what settles a lost answer -> decision
    let cases: &[(OutcomeClass, &str, u32, Lost, &str)] = &[
        (Fatal, "AuthFailure.SignatureFailure", 1, List, "fatal"),
        (
            FileSystem,
            "ResourceNotFound.FileSystemNotFound",
            1,
            List,
            "fs",
        ),
        (
            Row,
            "InvalidParameterValue.InvalidDataFlowName",
            1,
            List,
            "failed",
        ),
        (Throttled, "RequestLimitExceeded", 1, List, "retry"),
        (Throttled, "RequestLimitExceeded", 8, List, "failed"),
        (Transient, "InternalError", 7, List, "retry"),
        (Transient, "InternalError", 8, List, "failed"),
        (Transient, codes::CONNECT_FAILED, 7, List, "retry"),
        (Transient, codes::CONNECT_FAILED, 8, List, "fatal"),
        (Unknown, codes::TIMEOUT, 8, List, "resolve"),
        (Unknown, PATH_USED, 1, List, "resolve-exists"),
        // An idempotent action sends again after a lost answer.
        (Unknown, codes::TIMEOUT, 1, Resend, "retry"),
        (Unknown, codes::TIMEOUT, 8, Resend, "failed"),
    ];
    for (class, code, attempts, lost, want) in cases {
        let got =
            match default_after_call(&Err(error(*class, code)), Tries::new(*attempts, 8), *lost) {
                AfterCall::Fatal(_) => "fatal",
                AfterCall::FailFileSystem(_) => "fs",
                AfterCall::Finish(Final::Failed(_)) => "failed",
                AfterCall::Retry { .. } => "retry",
                AfterCall::Hold(_) => "hold",
                AfterCall::Resolve { exists: false, .. } => "resolve",
                AfterCall::Resolve { exists: true, .. } => "resolve-exists",
                AfterCall::Finish(Final::Done { .. }) => "done",
                AfterCall::Finish(
                    Final::Unchanged { .. } | Final::Missing(_) | Final::Skipped(_),
                ) => "other",
            };
        assert_eq!(got, *want, "{class:?} {code} {attempts} {lost:?}");
    }
}

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

fn listed(id: &str, target: &str, source_path: &str) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        file_system_id: "cfs-1".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos/".into(),
        source_path: source_path.into(),
        target_path: target.into(),
        ..Default::default()
    }
}

#[test]
fn create_judges_ours_conflict_and_free_directories() {
    let op = CreateOp;
    let r = row();
    let other = listed("theirs", "/cfs/a/", "elsewhere");
    let mine = listed("mine", "/cfs/a/", "src/");
    let view = RowView::new(&r, None);
    match op.judge(view, &[&other, &mine]) {
        Judgement::Finish(Final::Done {
            id: data_flow_id, ..
        }) => {
            assert_eq!(data_flow_id.as_deref(), Some("mine"))
        }
        j => panic!("{j:?}"),
    }
    match op.judge(view, &[&other]) {
        Judgement::Finish(Final::Failed(e)) => {
            assert_eq!(e.code, create::CONFLICT);
            assert!(e.message.contains("theirs"), "{}", e.message);
        }
        j => panic!("{j:?}"),
    }
    assert_eq!(op.judge(view, &[]), Judgement::call(None));
}

/// An answer's decision in a word, for the operations' tables: `retry-now` (sent again at once),
/// `retry` (after a backoff), `throttled` (after the throttle's backoff), `resolve` (a listing
/// decides), `done`, `missing`, `unchanged`, `failed CODE`, `fs`, `hold`, `fatal`.
pub(super) fn decision(a: &AfterCall) -> String {
    use crate::engine::backoff::Backoff;
    match a {
        AfterCall::Retry { backoff, .. } if *backoff == Backoff::NONE => "retry-now".into(),
        AfterCall::Retry { backoff, .. } if *backoff == Backoff::THROTTLED => "throttled".into(),
        AfterCall::Retry { .. } => "retry".into(),
        AfterCall::Resolve { exists: false, .. } => "resolve".into(),
        AfterCall::Resolve { exists: true, .. } => "resolve-exists".into(),
        AfterCall::Finish(Final::Done { .. }) => "done".into(),
        AfterCall::Finish(Final::Missing(e)) => format!("missing {}", e.code),
        AfterCall::Finish(Final::Unchanged { .. }) => "unchanged".into(),
        AfterCall::Finish(Final::Skipped(e)) => format!("skipped {}", e.code),
        AfterCall::Finish(Final::Failed(e)) => format!("failed {}", e.code),
        AfterCall::FailFileSystem(_) => "fs".into(),
        AfterCall::Hold(_) => "hold".into(),
        AfterCall::Fatal(_) => "fatal".into(),
    }
}

/// The errors the operations' tables answer with: class and code.
pub(super) fn answer(class: OutcomeClass, code: &str) -> Result<Answer, CallError> {
    Err(error(class, code))
}

/// A wait lists created rows, and rows whose flow ended unavailable (new keys may have brought
/// it back, issue 20, 2); never a drifted row, nor a flow that is not the row's.
#[test]
fn a_wait_resumes_each_recorded_state_as_its_table_says() {
    use crate::engine::resume::{Known, Resume, DRIFT, UNAVAILABLE};
    use RowState::*;
    // state, error, flow recorded, source moved -> decision
    type Case = (RowState, Option<&'static str>, bool, bool, Resume);
    let table: &[Case] = &[
        (Created, None, true, false, Resume::Work),
        (Created, Some(DRIFT), true, true, Resume::Settled),
        (Failed, Some(UNAVAILABLE), true, false, Resume::Work),
        (Failed, Some(UNAVAILABLE), false, false, Resume::Settled),
        (Failed, Some(UNAVAILABLE), true, true, Resume::Settled),
        (
            Failed,
            Some("InvalidParameter"),
            true,
            false,
            Resume::Settled,
        ),
        (Pending, None, false, false, Resume::Settled),
        (Unknown, None, false, false, Resume::Settled),
        (Deleted, None, true, false, Resume::Settled),
    ];
    for &(state, error_code, recorded, moved, want) in table {
        let known = Known {
            state,
            error_code,
            fingerprint: ("f", "f"),
            source: (Some("s"), if moved { "t" } else { "s" }),
            data_flow_id: recorded.then_some("cfs-dataflow-1"),
            rotation: None,
            keys: crate::store::key_digest::RowKeys::none(),
            tasks: None,
        };
        assert_eq!(
            WaitOp.resume(known, false),
            want,
            "{state:?} {error_code:?} {recorded} {moved}"
        );
    }
}

#[test]
fn an_unavailable_flow_is_told_the_command_that_brings_it_back() {
    let r = row();
    let mut f = listed("df-1", "/cfs/a/", "src");
    f.status = "unavailable".into();
    match WaitOp.judge(RowView::new(&r, Some("df-1")), &[&f]) {
        Judgement::Finish(Final::Failed(e)) => {
            assert_eq!(e.code, wait::UNAVAILABLE);
            assert!(e.message.contains("df-1"), "{}", e.message);
            assert!(
                e.message
                    .contains("bulkflow run MANIFEST --rotate-keys --wait"),
                "{}",
                e.message
            );
            assert!(!e.message.contains("--retry-failed"), "{}", e.message);
        }
        j => panic!("{j:?}"),
    }
}
