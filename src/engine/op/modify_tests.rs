//! UpdateOp and RotateOp as tables: what each does with a recorded row, with a listing of the
//! row's directory, with an answer.

use super::modify::{differences, MISSING};
use super::tests::{answer, decision};
use super::*;
use crate::api::classify::INVALID_DATA_FLOW_ID;
use crate::api::error::codes;
use crate::engine::resume::{Known, Resume, DRIFT, UNAVAILABLE};
use crate::secret::Secret;
use crate::store::key_digest::{KeyDigest, KeySalt, RowKeys};
use crate::store::{Change, Rotated};

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
            secret_id: Secret::new("AKIDnew"),
            secret_key: Secret::new("KEYnew"),
            data_flow_name: Some("wanted".into()),
            auto_refresh: Some(1),
            ..Default::default()
        },
    }
}

fn rotate() -> RotateOp {
    RotateOp {
        rotation: 3,
        salt: KeySalt::new([1; 16]),
    }
}

fn known(state: RowState, error_code: Option<&str>, moved: bool) -> Known<'_> {
    Known {
        state,
        error_code,
        fingerprint: ("f", "g"),
        source: (Some("s"), if moved { "t" } else { "s" }),
        data_flow_id: Some("cfs-dataflow-1"),
        rotation: None,
        keys: RowKeys::none(),
        tasks: None,
    }
}

#[test]
fn an_update_and_a_rotation_resume_each_recorded_state_as_their_table_says() {
    use Resume::{Settled, Work};
    use RowState::*;
    // state, error, flow recorded, source moved -> update's decision, rotation's decision
    type Case = (RowState, Option<&'static str>, bool, bool, Resume, Resume);
    let table: &[Case] = &[
        (Created, None, true, false, Work, Work),
        (Created, None, true, true, Settled, Settled),
        (Created, Some(DRIFT), true, false, Settled, Settled),
        (Created, Some(DRIFT), true, true, Settled, Settled),
        (Pending, None, false, false, Settled, Settled),
        (
            Retrying,
            Some("InternalError"),
            true,
            false,
            Settled,
            Settled,
        ),
        (Unknown, None, true, false, Settled, Settled),
        (
            Failed,
            Some("InvalidParameter"),
            true,
            false,
            Settled,
            Settled,
        ),
        // Issue 20, 2: an unavailable flow gets the manifest's keys, which can bring it back.
        (Failed, Some(UNAVAILABLE), true, false, Settled, Work),
        (Failed, Some(UNAVAILABLE), false, false, Settled, Settled),
        (Failed, Some(UNAVAILABLE), true, true, Settled, Settled),
        (Deleted, None, false, false, Settled, Settled),
    ];
    for &(state, error_code, recorded, moved, update, rotation) in table {
        for retry_failed in [false, true] {
            let k = Known {
                data_flow_id: recorded.then_some("cfs-dataflow-1"),
                ..known(state, error_code, moved)
            };
            let why = format!("{state:?} {error_code:?} {recorded} {moved} {retry_failed}");
            assert_eq!(UpdateOp.resume(k, retry_failed), update, "update {why}");
            assert_eq!(rotate().resume(k, retry_failed), rotation, "rotate {why}");
        }
    }
}

/// A rotation is to the manifest's keys as they are now (issue 21, 4): a row this rotation
/// set to other keys is rotated again; a row another rotation set, or one recorded before
/// digests were kept, too.
#[test]
fn a_row_is_rotated_only_to_the_keys_the_manifest_gives_now() {
    let op = rotate();
    let (id, k1, k2) = (Secret::new("AKID"), Secret::new("K1"), Secret::new("K2"));
    let keys = |key| RowKeys {
        secret_id: &id,
        secret_key: key,
        password: None,
    };
    let digest = |key| Some(op.salt.digest(keys(key)));
    let other_salt = Some(KeySalt::new([2; 16]).digest(keys(&k2)));
    // recorded rotation and digest -> decision for a manifest with K2
    type Recorded = Option<(i64, Option<KeyDigest>)>;
    let table: &[(Recorded, Resume)] = &[
        (None, Resume::Work),
        (Some((3, digest(&k2))), Resume::Settled),
        (Some((3, digest(&k1))), Resume::Work),
        (Some((3, None)), Resume::Work),
        (Some((3, other_salt)), Resume::Work),
        (Some((2, digest(&k2))), Resume::Work),
    ];
    for (recorded, want) in table {
        for (state, code) in [
            (RowState::Created, None),
            (RowState::Failed, Some(UNAVAILABLE)),
        ] {
            let known = Known {
                rotation: recorded.map(|(id, keys)| Rotated { id, keys }),
                keys: keys(&k2),
                source: (Some("s"), "s"),
                ..known(state, code, false)
            };
            assert_eq!(op.resume(known, false), *want, "{state:?} {recorded:?}");
        }
    }
}

fn flow(id: &str, source_path: &str, status: &str, name: &str) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        file_system_id: "cfs-1".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos".into(),
        source_path: source_path.into(),
        target_path: "/cfs/a/".into(),
        status: status.into(),
        data_flow_name: name.into(),
        auto_refresh: Some(1),
        ..Default::default()
    }
}

/// A judgement in a word: `call ID`, `unchanged VIA`, `missing`.
fn word(j: &Judgement) -> String {
    match j {
        Judgement::Call {
            data_flow_id: Some(id),
            task_id: None,
        } => format!("call {id}"),
        Judgement::Finish(Final::Unchanged { via }) => format!("unchanged {via}"),
        Judgement::Finish(Final::Missing(e)) if e.code == MISSING => "missing".into(),
        j => format!("{j:?}"),
    }
}

#[test]
fn an_update_and_a_rotation_judge_the_flows_at_the_directory_as_their_table_says() {
    let r = row();
    let same = flow("df-1", "src", "available", "wanted");
    let renamed = flow("df-1", "src/", "available", "old");
    let unavailable = flow("df-1", "src", "unavailable", "old");
    let unavailable_same = flow("df-1", "src", "unavailable", "wanted");
    let going = flow("df-1", "src", "deleting", "wanted");
    let other = flow("df-9", "elsewhere", "available", "old");
    // listed at the directory -> update's judgement, rotation's judgement
    let table: &[(&[&DataFlowInfo], &str, &str)] = &[
        (&[&same], "unchanged unchanged", "call df-1"),
        (&[&renamed], "call df-1", "call df-1"),
        (&[&other, &renamed], "call df-1", "call df-1"),
        // An unavailable flow is modified too: new keys are what can bring it back.
        (&[&unavailable], "call df-1", "call df-1"),
        (&[&unavailable_same], "unchanged unchanged", "call df-1"),
        (&[&going], "missing", "missing"),
        (&[], "missing", "missing"),
        // Another source's flow: the row drifted; reported elsewhere, never changed here.
        (&[&other], "unchanged listing", "unchanged listing"),
    ];
    for (at, update, rotation) in table {
        let view = RowView::new(&r, Some("df-1"));
        assert_eq!(word(&UpdateOp.judge(view, at)), *update, "update {at:?}");
        assert_eq!(word(&rotate().judge(view, at)), *rotation, "rotate {at:?}");
    }
}

#[test]
fn an_update_compares_only_the_fields_the_manifest_sets() {
    let mut r = row();
    let mut f = flow("df-1", "src", "available", "wanted");
    assert!(differences(&r, &f).is_empty());
    f.auto_refresh = Some(0);
    f.user_kafka_topic = "topic".into();
    assert_eq!(differences(&r, &f), vec!["AutoRefresh"]);
    r.request.user_kafka_topic = Some("other".into());
    r.request.data_flow_name = None;
    f.data_flow_name = "anything".into();
    assert_eq!(differences(&r, &f), vec!["AutoRefresh", "UserKafkaTopic"]);
}

/// Issue 22, 2: ModifyDataFlow sets fields to values, so a lost answer is sent again at once.
#[test]
fn an_update_and_a_rotation_decide_each_answer_as_their_table_says() {
    use OutcomeClass::*;
    let ok = Ok(Answer {
        id: Some("df-1".into()),
        request_id: "r".into(),
    });
    // class, code, attempts, after a lost answer -> decision
    let table: &[(OutcomeClass, &str, u32, bool, &str)] = &[
        (Success, "", 1, false, "done"),
        (Success, "", 2, true, "done"),
        (Unknown, codes::CONNECTION_LOST, 1, false, "retry-now"),
        (Unknown, codes::TIMEOUT, 7, true, "retry-now"),
        (Unknown, codes::TIMEOUT, 8, true, "failed RequestTimeout"),
        // The flow is gone: the row is pending again, for a run to create it.
        (
            Row,
            INVALID_DATA_FLOW_ID,
            1,
            false,
            "missing DataFlowMissing",
        ),
        (
            Row,
            INVALID_DATA_FLOW_ID,
            2,
            true,
            "missing DataFlowMissing",
        ),
        // Setting the same values twice is never refused for the first: a refusal is the row's.
        (
            Row,
            "InvalidParameterValue.InvalidDataFlowName",
            2,
            true,
            "failed InvalidParameterValue.InvalidDataFlowName",
        ),
        (Transient, "InternalError", 1, false, "retry"),
        (Transient, "InternalError", 8, false, "failed InternalError"),
        (Throttled, "RequestLimitExceeded", 1, false, "throttled"),
        (Transient, codes::CONNECT_FAILED, 8, false, "fatal"),
        (Fatal, "AuthFailure.SecretIdNotFound", 1, false, "fatal"),
        (
            FileSystem,
            "ResourceNotFound.FileSystemNotFound",
            1,
            false,
            "fs",
        ),
    ];
    for &(class, code, attempts, after_lost, want) in table {
        let result = if class == Success {
            ok.clone()
        } else {
            answer(class, code)
        };
        let mut tries = Tries::new(attempts, 8);
        tries.after_lost = after_lost;
        let why = format!("{class:?} {code} {attempts} {after_lost}");
        assert_eq!(
            decision(&UpdateOp.after_call(&result, tries)),
            want,
            "{why}"
        );
        assert_eq!(
            decision(&rotate().after_call(&result, tries)),
            want,
            "{why}"
        );
    }
}

#[test]
fn an_update_sends_the_managed_fields_and_a_rotation_only_the_keys() {
    let r = row();
    let view = RowView::new(&r, Some("df-1"));
    let modify = |op: &dyn Operation| match op.request(view) {
        crate::api::Request::ModifyDataFlow(m) => m,
        other => panic!("{other:?}"),
    };
    let u = modify(&UpdateOp);
    assert_eq!(
        (u.data_flow_id.as_str(), u.file_system_id.as_str()),
        ("df-1", "cfs-1")
    );
    assert_eq!(u.data_flow_name.as_deref(), Some("wanted"));
    assert_eq!(u.auto_refresh, Some(1));
    assert!(u.secret_id.is_none() && u.secret_key.is_none() && u.password.is_none());
    let k = modify(&rotate());
    assert_eq!(k.data_flow_id, "df-1");
    assert_eq!(k.secret_id.as_ref().map(Secret::expose), Some("AKIDnew"));
    assert_eq!(k.secret_key.as_ref().map(Secret::expose), Some("KEYnew"));
    assert!(k.data_flow_name.is_none() && k.auto_refresh.is_none());
    assert!(!UpdateOp.facts().patient && UpdateOp.facts().looks_first);
    assert!(
        !rotate().facts().looks_first,
        "a rotation sends to the recorded flow"
    );
}

#[test]
fn a_rotation_records_the_keys_it_set_and_not_the_other_fields() {
    let r = row();
    let op = rotate();
    let mut t = crate::store::Transition {
        record: crate::store::Record::Flow(1),
        change: Change::Done {
            state: RowState::Created,
            id: Some("df-1".into()),
            request_id: None,
            end: None,
            answers_to: Some(("f".into(), "s".into())),
            live: None,
            rotation: None,
        },
    };
    op.on_done(&r, &mut t);
    let Change::Done {
        rotation,
        answers_to,
        ..
    } = t.change
    else {
        panic!()
    };
    let want = op.salt.digest(RowKeys::of(&r.request));
    assert_eq!(
        rotation,
        Some(Rotated {
            id: 3,
            keys: Some(want)
        })
    );
    assert_eq!(answers_to, None);
}
