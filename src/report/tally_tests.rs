use std::collections::BTreeMap;

use super::*;

fn planned(total: u64, pass: Pass, before: Totals) -> Event {
    Event::Planned {
        total,
        pass,
        before: Box::new(before),
    }
}

fn counts(t: Totals) -> Event {
    Event::Counts(Box::new(t))
}

#[test]
fn the_tally_shows_the_engines_counts_as_they_are() {
    let now = Instant::now();
    let mut t = Tally::default();
    t.apply(&planned(5, Pass::Create, Totals::default()), now);
    t.apply(
        &counts(Totals {
            calls: 4,
            throttled: 1,
            called: 1,
            adopted: 1,
            failed: 1,
            retrying: 1,
            in_play: 1,
            earlier: BTreeMap::from([(RowState::Created, 1)]),
            ..Totals::default()
        }),
        now,
    );
    assert_eq!((t.reached(), t.done(), t.pending()), (2, 4, 0));
    assert_eq!((t.run().calls, t.run().throttled), (4, 1));
    let line = t.line(now);
    assert!(
        line.starts_with(
            "4/5 done: created 1, adopted 1, earlier 1, failed 1, retrying 1, unknown 0;"
        ),
        "{line}"
    );
    assert!(!line.contains('\x1b'));
    assert_eq!(t.rows(RowState::Created), 3);
    assert_eq!(t.rows(RowState::Retrying), 1);
    assert_eq!(t.rows(RowState::Failed), 1);
    assert_eq!(t.rows(RowState::Pending), 0);
}

/// `--update` with five flows to change and 115 already so says so: it does not call every
/// row updated (issue 20, 3).
#[test]
fn an_update_names_the_rows_it_left_unchanged() {
    let now = Instant::now();
    let mut t = Tally::default();
    t.apply(&planned(120, Pass::Update, Totals::default()), now);
    t.apply(
        &counts(Totals {
            calls: 5,
            called: 5,
            unchanged: 115,
            ..Totals::default()
        }),
        now,
    );
    let line = t.line(now);
    assert!(
        line.starts_with("120/120 done: updated 5, unchanged 115, failed 0,"),
        "{line}"
    );
}

#[test]
fn a_pass_starts_its_counts_afresh_and_keeps_the_run_sum_the_engine_gave() {
    let now = Instant::now();
    let mut t = Tally::default();
    t.apply(&planned(3, Pass::Create, Totals::default()), now);
    let create = Totals {
        calls: 3,
        called: 3,
        ..Totals::default()
    };
    t.apply(&counts(create.clone()), now);
    t.apply(&planned(3, Pass::Wait, create.clone()), now);
    assert_eq!(t.passes, vec![(Pass::Create, create)]);
    assert_eq!((t.done(), t.run().calls), (0, 3));
    t.apply(
        &counts(Totals {
            found: 3,
            ..Totals::default()
        }),
        now,
    );
    assert_eq!((t.done(), t.run().calls, t.run().found), (3, 3, 3));
    assert!(t.line(now).starts_with("3/3 done: available 3,"));
}

#[test]
fn the_rate_is_over_the_last_seconds_and_keeps_little() {
    let start = Instant::now();
    let mut t = Tally::default();
    t.apply(&planned(20_000, Pass::Create, Totals::default()), start);
    for i in 0..10_000u64 {
        let now = start + Duration::from_millis(10 * i);
        let c = Totals {
            called: i + 1,
            earlier: BTreeMap::from([(RowState::Created, 5_000)]),
            ..Totals::default()
        };
        t.apply(&counts(c), now);
    }
    assert!(t.recent.len() <= 102, "{}", t.recent.len());
    let rate = t.rate(start + Duration::from_millis(10 * 9_999));
    assert!((rate - 100.0).abs() < 5.0, "{rate}");
}

#[test]
fn durations_read_well() {
    assert_eq!(human_secs(12.2), "12s");
    assert_eq!(human_secs(185.0), "3m05s");
    assert_eq!(human_secs(3720.0), "1h02m");
}
