//! What the core holds, whatever the manifest's order and whatever already exists: rows in play
//! are bounded; what a first listing leaves for rows fed later leaves the core (to be stored,
//! `kept.rs`) and comes back row by row; listings held in memory are bounded per host; and a
//! kept listing that is lost makes rows list again, never find their directory free.

use std::time::Duration;

use super::groups::LISTINGS_HELD;
use super::harness::*;
use super::kept::Kept;
use super::*;
use crate::api::tasks::{TaskInfo, TaskType};
use crate::api::DataFlowInfo;
use crate::engine::op::{Scope, TaskStopOp};
use crate::store::tasks::{RowTasks, TaskSynced};
use crate::store::Synced;

/// The directories (or task keys) a keep hands over, if the commands hold one.
fn kept_keys(cmds: &[Command]) -> Option<usize> {
    cmds.iter().find_map(|c| match c {
        Command::Keep { snapshot, .. } => Some(match snapshot {
            Snapshot::Flows(s) => s.len(),
            Snapshot::Tasks(s) => s.len(),
        }),
        _ => None,
    })
}

fn looks(cmds: &[Command]) -> Vec<(u64, Vec<String>)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Look { line, keys, .. } => Some((*line, keys.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn rows_waiting_for_a_first_listing_are_bounded_and_what_is_left_of_it_leaves_the_core() {
    let mut h = Harness::new(settings());
    // Look first: every row waits for its file system's first listing, which does not come.
    let mut fed = 0u64;
    while h.core.wants_rows() {
        fed += 1;
        h.feed(fed, RowState::Pending, None);
        assert!(
            fed < 10_000,
            "the core takes the whole manifest while nothing is listed"
        );
    }
    assert!(fed > 64, "{fed}");
    // The listing shows a flow for every row, and 1,000 more for rows not fed yet.
    let flows: Vec<_> = (1..=fed + 1000)
        .map(|l| flow(l, &format!("df-{l}"), true))
        .collect();
    let cmds = h.listed(Duration::ZERO, flows);
    assert!(h.core.wants_rows(), "the rows settled: room again");
    assert_eq!(
        kept_keys(&cmds),
        Some(1000),
        "what is left for rows still to come is handed over to be stored, not held"
    );
    assert_eq!(h.core.groups[0].kept, Kept::Stored);
    // A row fed later looks up its directory and is judged from what was kept.
    let cmds = h.feed(fed + 1, RowState::Pending, None);
    assert_eq!(
        looks(&cmds),
        vec![(fed + 1, vec![format!("/cfs/d{}", fed + 1)])]
    );
    let done = records(&cmds, fed + 1);
    assert_eq!(done[0].state(), Some(RowState::Created));
    assert_eq!(done[0].id(), Some(format!("df-{}", fed + 1).as_str()));
    assert_eq!(lists(&cmds), 0, "no listing of its own");
}

#[test]
fn rows_fed_later_are_judged_from_the_kept_listing_as_from_the_listing_itself() {
    let mut h = Harness::new(settings());
    h.feed(1, RowState::Pending, None);
    // Another source's flow at /cfs/d2, nothing at /cfs/d3, our flow at /cfs/d4.
    h.listed(
        Duration::ZERO,
        vec![flow(2, "df-2", false), flow(4, "df-4", true)],
    );
    let cmds = h.feed(2, RowState::Pending, None);
    let conflict = records(&cmds, 2);
    assert_eq!(conflict[0].state(), Some(RowState::Failed));
    assert_eq!(conflict[0].error_code(), Some(crate::engine::CONFLICT));
    let cmds = h.feed(3, RowState::Pending, None);
    assert_eq!(waits(&cmds), vec![3], "a free directory: its create goes");
    let cmds = h.feed(4, RowState::Pending, None);
    assert_eq!(records(&cmds, 4)[0].id(), Some("df-4"));
}

#[test]
fn a_first_listing_that_leaves_nothing_is_not_stored() {
    let mut h = Harness::new(settings());
    h.feed(1, RowState::Pending, None);
    let cmds = h.listed(Duration::ZERO, vec![flow(1, "df-1", true)]);
    assert_eq!(kept_keys(&cmds), None);
    assert_eq!(h.core.groups[0].kept, Kept::Nothing);
    let cmds = h.feed(2, RowState::Pending, None);
    assert!(looks(&cmds).is_empty());
    assert_eq!(waits(&cmds), vec![2]);
}

#[test]
fn a_kept_listing_that_is_lost_makes_rows_list_again_never_find_their_directory_free() {
    let mut h = Harness::new(settings());
    h.serve_kept = false;
    h.feed(1, RowState::Pending, None);
    h.listed(
        Duration::ZERO,
        vec![flow(2, "df-2", true), flow(3, "df-3", true)],
    );
    // A look given before the store failed is answered with the failure.
    let cmds = h.feed(2, RowState::Pending, None);
    assert_eq!(looks(&cmds).len(), 1);
    let cmds = h.input(Input::Found {
        line: 2,
        result: Err("disk full".into()),
    });
    assert_eq!(lists(&cmds), 1, "the row waits for a listing of its own");
    assert!(waits(&cmds).is_empty());
    h.input(Input::Kept {
        group: 0,
        result: Err("disk full".into()),
    });
    assert_eq!(h.core.groups[0].kept, Kept::Lost);
    // A row fed after it joins the group's listing, with no look.
    let cmds = h.feed(3, RowState::Pending, None);
    assert!(looks(&cmds).is_empty());
    let cmds = h.listed(h.now, vec![flow(2, "df-2", true), flow(3, "df-3", true)]);
    assert_eq!(records(&cmds, 2)[0].id(), Some("df-2"));
    assert_eq!(records(&cmds, 3)[0].id(), Some("df-3"));
}

/// Feeds row `line` on a file system of its own (`cfs-x{n}`).
fn feed_on(h: &mut Harness, line: u64, n: u64) -> Vec<Command> {
    let mut r = row(line);
    r.request.file_system_id = format!("cfs-x{n}");
    let synced = Synced {
        flow_id: line as i64,
        state: RowState::Pending,
        data_flow_id: None,
        unknown_since_ms: None,
        attempts: 0,
        fingerprint: r.fingerprint(),
        source_key: Some(r.source_key()),
        error_code: None,
        rotation: None,
    };
    let item = FeedItem::new(&*h.core.op, r, synced, None, false);
    h.input(Input::Fed {
        item: Box::new(item),
        host: 0,
    })
}

fn group_of(n: u64) -> GroupKey {
    GroupKey {
        region: "ap-x".into(),
        file_system_id: format!("cfs-x{n}"),
        scope: Scope::Flows,
    }
}

fn flow_on(n: u64, line: u64) -> DataFlowInfo {
    DataFlowInfo {
        file_system_id: format!("cfs-x{n}"),
        ..flow(line, &format!("df-{line}"), true)
    }
}

#[test]
fn listings_held_in_memory_are_bounded_per_host_until_stored() {
    let mut h = Harness::new(settings());
    h.serve_kept = false;
    let n = LISTINGS_HELD as u64 + 10;
    let mut listed = 0;
    for fs in 0..n {
        listed += lists(&feed_on(&mut h, fs + 1, fs));
    }
    assert_eq!(listed, LISTINGS_HELD, "the others wait their turn");
    // A listing that ends with something to keep still holds its memory until it is stored.
    let cmds = h.input(Input::Listed {
        group: group_of(0),
        started: h.now,
        result: Ok(Listed::Flows(vec![flow_on(0, 1), flow_on(0, 999)])),
    });
    assert_eq!(kept_keys(&cmds), Some(1));
    assert_eq!(lists(&cmds), 0);
    let cmds = h.input(Input::Kept {
        group: 0,
        result: Ok(()),
    });
    assert_eq!(lists(&cmds), 1, "stored: the next listing starts");
    // A listing that leaves nothing frees its room at once.
    let cmds = h.input(Input::Listed {
        group: group_of(1),
        started: h.now,
        result: Ok(Listed::Flows(vec![])),
    });
    assert_eq!(lists(&cmds), 1);
}

#[test]
fn a_wait_takes_every_row_in_at_once() {
    // Rows waiting for their flows to become available are waited for together, within one
    // --wait-timeout: the in-play bound of the calling operations does not hold them back.
    let mut h = Harness::with_op(Arc::new(crate::engine::op::WaitOp), settings());
    for line in 1..=5_000 {
        assert!(h.core.wants_rows(), "held back at row {line}");
        h.feed(line, RowState::Created, None);
    }
    assert_eq!(h.core.rows.len(), 5_000, "every row is in play, waiting");
}

/// Feeds row `line` with a running metaload task `t-{line}` on flow `df-{line}`.
fn feed_task(h: &mut Harness, line: u64) -> Vec<Command> {
    let r = row(line);
    let synced = Synced {
        flow_id: line as i64,
        state: RowState::Created,
        data_flow_id: Some(format!("df-{line}")),
        unknown_since_ms: None,
        attempts: 1,
        fingerprint: r.fingerprint(),
        source_key: Some(r.source_key()),
        error_code: None,
        rotation: None,
    };
    let tasks = RowTasks {
        flow_status: Some("available".into()),
        task: Some(TaskSynced {
            generation: 1,
            name: format!("bf-{line}"),
            state: RowState::Created,
            task_id: Some(format!("t-{line}")),
            status: Some("running".into()),
            first_sent_ms: Some(1),
            unknown_since_ms: None,
            attempts: 1,
            error_code: None,
            files_failed: None,
        }),
    };
    let item = FeedItem::new(&*h.core.op, r, synced, Some(tasks), false);
    h.input(Input::Fed {
        item: Box::new(item),
        host: 0,
    })
}

fn task(line: u64, status: &str) -> TaskInfo {
    TaskInfo {
        task_id: format!("t-{line}"),
        task_status: status.into(),
        file_system_id: FS.into(),
        data_flow_id: format!("df-{line}"),
        ..TaskInfo::default()
    }
}

#[test]
fn a_data_task_listing_is_kept_out_of_the_core_too() {
    let op = TaskStopOp {
        kind: TaskType::Metaload,
        wait: false,
    };
    let mut h = Harness::with_op(Arc::new(op), settings());
    feed_task(&mut h, 1);
    let listed = (1..=50).map(|l| task(l, "running")).collect();
    let cmds = h.input(Input::Listed {
        group: GroupKey {
            scope: Scope::Tasks {
                kind: Some(TaskType::Metaload),
                name: None,
            },
            ..group_key()
        },
        started: h.now,
        result: Ok(Listed::Tasks(listed)),
    });
    // 49 tasks left, each under its id and its flow.
    assert_eq!(kept_keys(&cmds), Some(98));
    let cmds = feed_task(&mut h, 7);
    assert_eq!(looks(&cmds).len(), 1);
    assert_eq!(waits(&cmds), vec![7], "its running task is stopped");
}
