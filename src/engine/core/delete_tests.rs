//! A delete driven with fake time (issue 21): a row whose create is of unknown outcome is
//! `deleted` with nothing found only by a listing late enough for that create to show; a row
//! whose recorded flow has another source than the manifest's is never put in play.

use std::time::Duration;

use super::harness::*;
use super::*;
use crate::api::{OutcomeClass, Request};
use crate::engine::op::delete::NOT_OURS;
use crate::engine::op::DeleteOp;
use crate::store::Synced;

const S: Duration = Duration::from_secs(1);

fn delete_harness() -> Harness {
    Harness::with_op(Arc::new(DeleteOp), settings())
}

/// The flow id of the DeleteDataFlow sent for `line` once its slot is granted.
fn sent_for(h: &mut Harness, line: u64) -> String {
    let cmds = h.input(Input::SlotGranted { line, slot: h.now });
    cmds.into_iter()
        .find_map(|c| match c {
            Command::Send(Call { request, .. }) => match *request {
                Request::DeleteDataFlow(r) => Some(r.data_flow_id),
                _ => None,
            },
            _ => None,
        })
        .expect("a DeleteDataFlow")
}

#[test]
fn an_unknown_create_is_not_taken_for_deleted_before_a_late_enough_listing() {
    let mut h = delete_harness();
    // A create of an earlier run could end until 30 s from now: its flow may show until 35 s.
    let since = settings().epoch_ms + 30_000;
    let cmds = h.feed(3, RowState::Unknown, Some(since));
    assert_eq!(lists(&cmds), 1, "listed at once");
    for t in [S, 6 * S] {
        h.at(t);
        let cmds = h.listed(t, Vec::new());
        assert!(
            records(&cmds, 3).is_empty(),
            "at {t:?}: {:?}",
            records(&cmds, 3)
        );
    }
    assert_eq!(h.core.next_wake(), Some(35 * S));
    // The late create shows: it is deleted, by its id.
    h.at(35 * S);
    let cmds = h.listed(35 * S, vec![flow(3, "cfs-dataflow-late", true)]);
    assert_eq!(waits(&cmds), vec![3]);
    assert_eq!(sent_for(&mut h, 3), "cfs-dataflow-late");
}

#[test]
fn an_unknown_create_is_deleted_when_a_late_enough_listing_shows_nothing() {
    let mut h = delete_harness();
    let since = settings().epoch_ms + 30_000;
    h.feed(3, RowState::Unknown, Some(since));
    h.listed(Duration::ZERO, Vec::new());
    h.at(35 * S);
    let cmds = h.listed(35 * S, Vec::new());
    assert_eq!(records(&cmds, 3)[0].state(), Some(RowState::Deleted));
    assert_eq!(waits(&cmds), Vec::<u64>::new(), "nothing to send");
}

#[test]
fn a_row_never_sent_is_deleted_at_once_when_nothing_shows() {
    let mut h = delete_harness();
    h.feed(3, RowState::Pending, None);
    let cmds = h.listed(Duration::ZERO, Vec::new());
    assert_eq!(records(&cmds, 3)[0].state(), Some(RowState::Deleted));
}

/// A row recorded `created` with `id` and the source `recorded`.
fn feed_created(h: &mut Harness, line: u64, id: &str, recorded: &str) -> Vec<Command> {
    let r = row(line);
    let synced = Synced {
        flow_id: line as i64,
        state: RowState::Created,
        data_flow_id: Some(id.into()),
        unknown_since_ms: None,
        attempts: 1,
        fingerprint: r.fingerprint(),
        source_key: Some(recorded.into()),
        error_code: None,
        rotation: None,
    };
    let item = FeedItem::new(&*h.core.op, r, synced, None, false);
    h.input(Input::Fed {
        item: Box::new(item),
        host: 0,
    })
}

#[test]
fn a_recorded_flow_of_another_source_is_left_alone_without_a_listing() {
    let mut h = delete_harness();
    let cmds = feed_created(&mut h, 4, "cfs-dataflow-a", "S3_COS|https://b.cos|/moved");
    assert_eq!(lists(&cmds), 0, "never listed");
    assert_eq!(waits(&cmds), Vec::<u64>::new(), "never sent");
    assert!(records(&cmds, 4).is_empty(), "nothing recorded");
    assert_eq!(h.core.totals().skipped.get(NOT_OURS), Some(&1));
    let told = cmds
        .iter()
        .find_map(|c| match c {
            Command::Emit(crate::engine::Event::Row(ev)) if ev.line == 4 => Some(ev.clone()),
            _ => None,
        })
        .expect("the row is told");
    let message = told.error_message.unwrap_or_default();
    assert_eq!(told.error_code.as_deref(), Some(NOT_OURS));
    assert!(message.contains("cfs-dataflow-a"), "{message}");
    assert!(!message.contains("  "), "{message}");
    // The same row with its recorded source is deleted by its id, listed or not.
    let source = row(5).source_key();
    feed_created(&mut h, 5, "cfs-dataflow-b", &source);
    let cmds = h.listed(Duration::ZERO, Vec::new());
    assert_eq!(waits(&cmds), vec![5]);
    assert_eq!(sent_for(&mut h, 5), "cfs-dataflow-b");
}

/// A row recorded `created` with its flow, listed, its delete sent: returns the harness.
fn delete_in_flight(line: u64, id: &str) -> Harness {
    let mut h = delete_harness();
    let source = row(line).source_key();
    feed_created(&mut h, line, id, &source);
    let cmds = h.listed(Duration::ZERO, vec![flow(line, id, true)]);
    assert_eq!(waits(&cmds), vec![line]);
    assert_eq!(sent_for(&mut h, line), id);
    h
}

fn last_state(cmds: &[Command], line: u64) -> Option<RowState> {
    records(cmds, line).last().and_then(|t| t.state())
}

/// Issue 22, 2: a delete names its flow by id, so a lost answer is sent again at once (no
/// listing, no settle time): a flow already gone answers `InvalidDataFlowId`, read as deleted.
#[test]
fn a_lost_delete_is_sent_again_at_once_without_a_listing() {
    let mut h = delete_in_flight(5, "cfs-dataflow-b");
    h.now = S;
    let lost = error(
        OutcomeClass::Unknown,
        crate::api::error::codes::CONNECTION_LOST,
    );
    let cmds = h.answer(5, Err(lost));
    assert_eq!(lists(&cmds), 0, "not listed for");
    assert_eq!(waits(&cmds), vec![5], "sent again at once");
    assert_eq!(sent_for(&mut h, 5), "cfs-dataflow-b", "by the same id");
    let gone = error(
        OutcomeClass::Row,
        crate::api::classify::INVALID_DATA_FLOW_ID,
    );
    let cmds = h.answer(5, Err(gone));
    assert_eq!(last_state(&cmds, 5), Some(RowState::Deleted));
}

/// A refusal of the resend may be about the deletion the lost call started: a listing tells
/// (`deleting` is deleted); once a listing shows the flow still there, a refusal is the row's.
#[test]
fn a_refusal_after_a_lost_delete_is_listed_for() {
    let refused = || error(OutcomeClass::Row, "FailedOperation");
    let lost = || error(OutcomeClass::Unknown, crate::api::error::codes::TIMEOUT);
    for going in [true, false] {
        let mut h = delete_in_flight(5, "cfs-dataflow-b");
        h.answer(5, Err(lost()));
        sent_for(&mut h, 5);
        let cmds = h.answer(5, Err(refused()));
        assert_ne!(
            last_state(&cmds, 5),
            Some(RowState::Failed),
            "not failed on a guess"
        );
        let mut listed = 0;
        for t in 1..=10 {
            listed += lists(&h.at(t * S));
        }
        assert_eq!(listed, 1, "listed for");
        let mut f = flow(5, "cfs-dataflow-b", true);
        if going {
            f.status = "deleting".into();
            let cmds = h.listed(10 * S, vec![f]);
            assert_eq!(last_state(&cmds, 5), Some(RowState::Deleted));
            continue;
        }
        let cmds = h.listed(10 * S, vec![f]);
        assert_eq!(waits(&cmds), vec![5], "still there: sent again");
        sent_for(&mut h, 5);
        let cmds = h.answer(5, Err(refused()));
        assert_eq!(last_state(&cmds, 5), Some(RowState::Failed));
    }
}
