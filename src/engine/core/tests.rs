//! The core with fake time: every row of the table in docs/exactly-once.md, the fixes of the
//! second trust round, and the life of a run at concurrency 1.

use std::time::Duration;

use super::*;
use crate::api::error::codes;
use crate::api::{classify::PATH_USED, OutcomeClass};
use crate::store::Synced;

use super::harness::*;

const S: Duration = Duration::from_secs(1);

/// Feeds pending rows into a group whose look-first listing found nothing, so they queue.
fn started_with(h: &mut Harness, lines: &[u64]) -> Vec<u64> {
    let mut cmds = Vec::new();
    for &l in lines {
        cmds.extend(h.feed(l, RowState::Pending, None));
    }
    assert_eq!(lists(&cmds), 1, "one look-first listing for the group");
    let cmds = h.listed(h.now, Vec::new());
    waits(&cmds)
}

/// A row whose call timed out, now `unknown` and waiting for a listing.
fn timed_out(h: &mut Harness, line: u64) {
    started_with(h, &[line]);
    let mark = h.slot(line);
    assert_eq!(mark.state(), Some(RowState::Unknown));
    assert!(
        mark.begin().is_some(),
        "the call is recorded before it is sent"
    );
    let cmds = h.answer(line, Err(error(OutcomeClass::Unknown, codes::TIMEOUT)));
    assert_eq!(records(&cmds, line)[0].state(), Some(RowState::Unknown));
    assert_eq!(lists(&cmds), 0, "no listing before the settle time");
}

#[test]
fn a_listing_that_shows_our_flow_makes_the_row_created_with_its_id() {
    let mut h = Harness::new(settings());
    timed_out(&mut h, 2);
    assert_eq!(h.core.next_wake(), Some(5 * S));
    let cmds = h.at(5 * S);
    assert_eq!(lists(&cmds), 1);
    let cmds = h.listed(5 * S, vec![flow(2, "cfs-dataflow-ours", true)]);
    let r = records(&cmds, 2);
    assert_eq!(r[0].state(), Some(RowState::Created));
    assert_eq!(r[0].id(), Some("cfs-dataflow-ours"));
    assert!(h.core.rows.is_empty());
}

#[test]
fn another_source_in_the_directory_is_a_conflict() {
    let mut h = Harness::new(settings());
    timed_out(&mut h, 2);
    h.at(5 * S);
    let cmds = h.listed(5 * S, vec![flow(2, "cfs-dataflow-theirs", false)]);
    let r = records(&cmds, 2);
    assert_eq!(r[0].state(), Some(RowState::Failed));
    assert_eq!(r[0].error_code(), Some(crate::engine::CONFLICT));
    assert!(r[0]
        .error()
        .is_some_and(|e| e.message.contains("cfs-dataflow-theirs")));
}

#[test]
fn no_flow_after_a_timeout_sends_again_and_counts_the_attempt() {
    let mut h = Harness::new(settings());
    timed_out(&mut h, 2);
    h.at(5 * S);
    let cmds = h.listed(5 * S, Vec::new());
    assert_eq!(records(&cmds, 2)[0].state(), Some(RowState::Retrying));
    assert_eq!(waits(&cmds), vec![2]);
    let mark = h.slot(2);
    assert_eq!(mark.begin().map(|b| b.attempt), Some(2));
}

#[test]
fn a_listing_started_before_the_settle_time_proves_nothing() {
    let mut h = Harness::new(settings());
    timed_out(&mut h, 2);
    // Another row's listing of the same file system, started at 1 s, shows no flow.
    let cmds = h.listed(S, Vec::new());
    assert!(
        records(&cmds, 2).is_empty(),
        "no decision from an early listing"
    );
    assert_eq!(h.core.next_wake(), Some(5 * S));
}

#[test]
fn path_used_looks_again_with_the_documented_backoff_then_stays_unknown() {
    let mut h = Harness::new(settings());
    started_with(&mut h, &[2]);
    h.slot(2);
    h.answer(2, Err(error(OutcomeClass::Unknown, PATH_USED)));
    let mut t = 5 * S;
    let mut looks = Vec::new();
    for n in 1..=MAX_LISTINGS {
        let cmds = h.at(t);
        assert_eq!(lists(&cmds), 1, "listing {n} at {t:?}");
        looks.push(t);
        let cmds = h.listed(t, Vec::new());
        if n < MAX_LISTINGS {
            assert!(records(&cmds, 2).is_empty(), "listing {n}");
            t = h.core.next_wake().expect("another look");
        } else {
            let r = records(&cmds, 2);
            assert_eq!(
                r[0].state(),
                Some(RowState::Unknown),
                "never failed: the flow may be ours"
            );
            assert_eq!(r[0].error_code(), Some(PATH_USED));
        }
    }
    let gaps: Vec<u64> = looks.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
    assert_eq!(gaps, vec![2, 4, 8, 16, 30]);
}

#[test]
fn each_row_counts_only_its_own_listings() {
    let mut h = Harness::new(settings());
    started_with(&mut h, &[2, 3]);
    h.slot(2);
    h.answer(2, Err(error(OutcomeClass::Unknown, PATH_USED)));
    // Row 2 is looked at five times before row 3 hears PathUsed.
    let mut t = 5 * S;
    for _ in 0..5 {
        h.at(t);
        h.listed(t, Vec::new());
        t = h.core.next_wake().unwrap();
    }
    h.slot(3);
    h.answer(3, Err(error(OutcomeClass::Unknown, PATH_USED)));
    h.at(t);
    let cmds = h.listed(t, Vec::new());
    assert_eq!(
        records(&cmds, 2)[0].state(),
        Some(RowState::Unknown),
        "row 2 used its six"
    );
    assert!(
        records(&cmds, 3).is_empty(),
        "row 3 has looked once at most"
    );
    match &h.core.rows[&3].phase {
        rows::Phase::Resolving(r) => assert!(r.listings <= 1, "{r:?}"),
        p => panic!("{p:?}"),
    }
}

#[test]
fn failing_listings_leave_the_row_unknown_after_six() {
    let mut h = Harness::new(settings());
    timed_out(&mut h, 2);
    let mut t = 5 * S;
    for n in 1..=MAX_LISTINGS {
        let cmds = h.at(t);
        assert_eq!(lists(&cmds), 1, "{n}");
        let cmds = h.list_failed(error(OutcomeClass::Transient, "InternalError"));
        if n == MAX_LISTINGS {
            assert_eq!(records(&cmds, 2)[0].state(), Some(RowState::Unknown));
        } else {
            t = h.core.next_wake().unwrap();
        }
    }
    assert!(h.core.rows.is_empty());
}

#[test]
fn a_missing_file_system_fails_its_rows_without_a_call() {
    let mut h = Harness::new(settings());
    h.feed(2, RowState::Pending, None);
    h.feed(3, RowState::Pending, None);
    let cmds = h.list_failed(error(
        OutcomeClass::FileSystem,
        "ResourceNotFound.FileSystemNotFound",
    ));
    assert_eq!(records(&cmds, 2)[0].state(), Some(RowState::Failed));
    assert_eq!(records(&cmds, 3)[0].state(), Some(RowState::Failed));
    assert!(waits(&cmds).is_empty());
}

#[test]
fn at_most_one_listing_per_file_system_in_flight_and_one_scheduled() {
    let mut h = Harness::new(settings());
    let waiting = started_with(&mut h, &[2, 3, 4]);
    assert_eq!(waiting, vec![2, 3, 4]);
    for l in [2, 3, 4] {
        h.slot(l);
        h.answer(l, Err(error(OutcomeClass::Unknown, codes::TIMEOUT)));
    }
    let cmds = h.at(5 * S);
    assert_eq!(lists(&cmds), 1);
    // While it runs, more rows fall due: no second listing.
    let cmds = h.at(20 * S);
    assert_eq!(lists(&cmds), 0);
    let cmds = h.list_failed(error(OutcomeClass::Transient, "InternalError"));
    assert_eq!(lists(&cmds), 0);
    assert_eq!(
        h.core
            .wakes
            .iter()
            .filter(|w| matches!(w.0 .1, Wake::Group(_)))
            .count(),
        1,
        "one scheduled listing for the group"
    );
}

#[test]
fn a_resumed_unknown_row_is_listed_at_once() {
    let mut h = Harness::new(settings());
    // The earlier run's call could end until 30 s from now.
    let since = settings().epoch_ms + 30_000;
    let cmds = h.feed(2, RowState::Unknown, Some(since));
    assert_eq!(lists(&cmds), 1, "listed at once");
    let cmds = h.listed(Duration::ZERO, vec![flow(2, "cfs-dataflow-1", true)]);
    assert_eq!(records(&cmds, 2)[0].state(), Some(RowState::Created));

    // A row whose flow does not show waits out the call's latest end plus settle.
    let cmds = h.feed(3, RowState::Unknown, Some(since));
    assert_eq!(lists(&cmds), 1);
    let cmds = h.listed(S, Vec::new());
    assert!(records(&cmds, 3).is_empty());
    // One more look a settle time later (a call that reached the service just before the kill
    // shows by then), then only once the call's latest end has passed.
    assert_eq!(h.core.next_wake(), Some(6 * S));
    h.at(6 * S);
    let cmds = h.listed(6 * S, Vec::new());
    assert!(records(&cmds, 3).is_empty());
    assert_eq!(h.core.next_wake(), Some(35 * S));
    h.at(35 * S);
    let cmds = h.listed(35 * S, Vec::new());
    assert_eq!(records(&cmds, 3)[0].state(), Some(RowState::Retrying));
}

#[test]
fn a_wall_clock_that_stepped_back_never_leaves_a_row_without_a_wake() {
    let mut h = Harness::new(settings());
    // Stored an hour "ahead": the clock stepped back since.
    let since = settings().epoch_ms + 3_600_000;
    h.feed(2, RowState::Unknown, Some(since));
    h.listed(Duration::ZERO, Vec::new());
    let wake = h.core.next_wake().expect("a wake");
    assert!(
        wake <= 36 * S,
        "{wake:?}: at most a timeout, a second and settle away"
    );
}

#[test]
fn a_stop_while_waiting_for_the_slot_records_nothing() {
    let mut h = Harness::new(settings());
    started_with(&mut h, &[2]);
    h.slot(2);
    h.answer(2, Err(error(OutcomeClass::Transient, "InternalError")));
    let t = h.core.next_wake().unwrap();
    let cmds = h.at(t);
    assert_eq!(waits(&cmds), vec![2]);
    let cmds = h.input(Input::Stop {
        reason: StopReason::Interrupted,
        detail: "x".into(),
    });
    assert!(cmds.iter().any(|c| matches!(c, Command::Halt)));
    let cmds = h.input(Input::SlotAbandoned { line: 2 });
    assert!(
        records(&cmds, 2).is_empty(),
        "its error and attempts stay as recorded"
    );
    assert!(h.core.finished());
}

#[test]
fn a_fatal_answer_stops_the_run_and_puts_the_row_back() {
    let mut h = Harness::new(settings());
    started_with(&mut h, &[2, 3]);
    h.slot(2);
    let cmds = h.answer(
        2,
        Err(error(OutcomeClass::Fatal, "AuthFailure.SecretIdNotFound")),
    );
    assert_eq!(records(&cmds, 2)[0].state(), Some(RowState::Pending));
    assert!(cmds.iter().any(|c| matches!(c, Command::Halt)));
    assert_eq!(h.core.stopped().map(|s| s.0), Some(StopReason::Fatal));
    h.input(Input::SlotAbandoned { line: 3 });
    assert!(h.core.finished());
}

#[test]
fn concurrency_one_runs_every_row_to_the_end() {
    let mut h = Harness::new(CoreSettings {
        pacing: crate::engine::Pacing {
            concurrency: 1,
            ..settings().pacing
        },
        ..settings()
    });
    let lines: Vec<u64> = (2..12).collect();
    let first = started_with(&mut h, &lines);
    assert_eq!(first, vec![2], "one at a time");
    h.input(Input::FeedEnded);
    let mut next = 2;
    for _ in 0..lines.len() {
        h.slot(next);
        let cmds = h.answer(next, ok(&format!("id-{next}")));
        let w = waits(&cmds);
        if next < 11 {
            assert_eq!(w, vec![next + 1]);
            next += 1;
        } else {
            assert!(w.is_empty());
        }
    }
    assert!(h.core.finished());
    assert_eq!(h.core.totals().reached(), 10);
}

#[test]
fn a_created_row_whose_source_changed_drifts_and_is_not_touched() {
    let mut h = Harness::new(settings());
    let mut r = row(2);
    let synced = Synced {
        flow_id: 2,
        state: RowState::Created,
        data_flow_id: Some("cfs-dataflow-1".into()),
        unknown_since_ms: None,
        attempts: 1,
        fingerprint: r.fingerprint(),
        source_key: Some(r.source_key()),
        error_code: None,
        rotation: None,
    };
    r.request.source_path = "/moved".into();
    let cmds = h.input(Input::Fed {
        item: Box::new(FeedItem::new(&*h.core.op, r, synced, None, false)),
        host: 0,
    });
    let rec = records(&cmds, 2);
    assert_eq!(rec[0].state(), Some(RowState::Created));
    assert_eq!(rec[0].error_code(), Some(crate::engine::resume::DRIFT));
    assert_eq!(
        rec[0].answers_to(),
        None,
        "the recorded fingerprint is kept"
    );
    assert!(waits(&cmds).is_empty() && lists(&cmds) == 0);
}

#[test]
fn a_second_row_for_one_directory_stops_the_run_as_a_changed_manifest() {
    let mut h = Harness::new(settings());
    h.feed(2, RowState::Pending, None);
    // The same state-file record again, under another line: the file changed after validation.
    let r = row(2);
    let synced = Synced {
        flow_id: 2,
        state: RowState::Pending,
        data_flow_id: None,
        unknown_since_ms: None,
        attempts: 0,
        fingerprint: r.fingerprint(),
        source_key: Some(r.source_key()),
        error_code: None,
        rotation: None,
    };
    let mut r = r;
    r.line = 9;
    h.input(Input::Fed {
        item: Box::new(FeedItem::new(&*h.core.op, r, synced, None, false)),
        host: 0,
    });
    assert_eq!(h.core.stopped().map(|s| s.0), Some(StopReason::Manifest));
}

#[test]
fn a_flow_a_listing_does_not_show_yet_is_missing_only_after_six_looks() {
    let mut h = Harness::with_op(Arc::new(crate::engine::op::WaitOp), settings());
    h.feed(2, RowState::Created, None);
    let mut t = Duration::ZERO;
    for n in 1..=MAX_LISTINGS {
        let cmds = h.listed(t, Vec::new());
        let r = records(&cmds, 2);
        if n < MAX_LISTINGS {
            assert!(r.is_empty(), "look {n}: {r:?}");
            t = h.core.next_wake().expect("another look");
            assert_eq!(lists(&h.at(t)), 1);
        } else {
            assert_eq!(
                r[0].state(),
                Some(RowState::Pending),
                "missing: created again by the next run"
            );
        }
    }
    // Had it shown on any look, it would have been taken as it is.
    let mut h = Harness::with_op(Arc::new(crate::engine::op::WaitOp), settings());
    h.feed(3, RowState::Created, None);
    h.listed(Duration::ZERO, Vec::new());
    let t = h.core.next_wake().unwrap();
    h.at(t);
    let cmds = h.listed(t, vec![flow(3, "id-3", true)]);
    assert_eq!(records(&cmds, 3)[0].state(), Some(RowState::Created));
}
