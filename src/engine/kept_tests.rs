//! The store of kept listings: what goes in comes back, in listing order, with the fields the
//! operations judge; a group that was never stored is an error, never "nothing there"; and the
//! thread answers a look after the keep given before it, and answers every job.

use std::collections::HashMap;

use tokio::sync::mpsc::unbounded_channel;

use super::*;
use crate::api::tasks::TaskInfo;
use crate::api::DataFlowInfo;

fn flow(dir: &str, id: &str, source: &str) -> DataFlowInfo {
    DataFlowInfo {
        data_flow_id: id.into(),
        data_flow_name: format!("name of {id}"),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b.cos/".into(),
        source_path: source.into(),
        target_path: format!("{dir}/"),
        status: "available".into(),
        creation_time: "2026-01-01 00:00:00".into(),
        file_system_id: "cfs-1".into(),
        auto_refresh: Some(1),
        user_kafka_topic: "topic".into(),
        server_addr: "k:9092".into(),
        user_name: "u".into(),
    }
}

fn flows(at: &[(&str, Vec<DataFlowInfo>)]) -> Snapshot {
    Snapshot::Flows(at.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

#[test]
fn flows_come_back_at_their_directory_in_listing_order_without_what_no_operation_judges() {
    let mut store = Store::open().unwrap();
    let two = vec![flow("/d1", "df-b", "/x"), flow("/d1", "df-a", "/y")];
    let kept = flows(&[
        ("/d1", two.clone()),
        ("/d2", vec![flow("/d2", "df-c", "/z")]),
    ]);
    store.keep(3, &kept).unwrap();
    let Snapshot::Flows(found) = store.look(3, &["/d1".into()]).unwrap() else {
        panic!("flows kept, flows found");
    };
    let want: Vec<DataFlowInfo> = two
        .into_iter()
        .map(|f| DataFlowInfo {
            creation_time: String::new(),
            ..f
        })
        .collect();
    assert_eq!(found, HashMap::from([("/d1".to_owned(), want)]));
    // Another directory, or another group's: nothing there.
    assert!(store.look(3, &["/d3".into()]).unwrap().is_empty());
    store.keep(4, &flows(&[("/d9", vec![])])).unwrap();
    assert!(store.look(4, &["/d1".into()]).unwrap().is_empty());
}

#[test]
fn a_group_never_stored_is_an_error_not_a_free_directory() {
    let store = Store::open().unwrap();
    assert!(store.look(0, &["/d1".into()]).is_err());
}

#[test]
fn tasks_come_back_under_each_key_asked() {
    let mut store = Store::open().unwrap();
    let t = TaskInfo {
        task_id: "t-1".into(),
        task_status: "running".into(),
        file_system_id: "cfs-1".into(),
        task_name: "n".into(),
        data_flow_id: "df-1".into(),
        file_total_count: Some(10),
        file_successed_count: Some(4),
        file_failed_count: None,
        file_total_size: Some(1 << 40),
        file_successed_size: Some(7),
        file_failed_size: Some(0),
        file_failed_list: "cos://list".into(),
        ..TaskInfo::default()
    };
    let at = HashMap::from([
        ("t-1".to_owned(), vec![t.clone()]),
        ("flow:df-1".to_owned(), vec![t.clone()]),
    ]);
    store.keep(0, &Snapshot::Tasks(at)).unwrap();
    let Snapshot::Tasks(found) = store.look(0, &["flow:df-1".into(), "t-9".into()]).unwrap() else {
        panic!("tasks kept, tasks found");
    };
    assert_eq!(found, HashMap::from([("flow:df-1".to_owned(), vec![t])]));
}

#[tokio::test]
async fn the_thread_answers_a_look_after_the_keep_given_before_it() {
    let (tx, mut rx) = unbounded_channel();
    let kept = Kept::start(tx);
    kept.keep(1, flows(&[("/d1", vec![flow("/d1", "df-1", "/x")])]));
    kept.look(7, 1, vec!["/d1".into()]);
    kept.look(8, 2, vec!["/d1".into()]);
    match rx.recv().await {
        Some(Input::Kept { group: 1, result }) => assert_eq!(result, Ok(())),
        other => panic!("{other:?}"),
    }
    match rx.recv().await {
        Some(Input::Found { line: 7, result }) => {
            assert_eq!(result.map(|s| s.is_empty()), Ok(false))
        }
        other => panic!("{other:?}"),
    }
    match rx.recv().await {
        Some(Input::Found { line: 8, result }) => assert!(result.is_err()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_job_dropped_unanswered_answers_an_error() {
    let (tx, mut rx) = unbounded_channel();
    drop(Job {
        work: Some(Work::Look {
            line: 5,
            group: 0,
            keys: vec![],
        }),
        answers: tx,
    });
    match rx.try_recv() {
        Ok(Input::Found { line: 5, result }) => assert!(result.is_err()),
        other => panic!("{other:?}"),
    }
}
