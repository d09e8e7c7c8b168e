//! A flow's Status life in the state itself, with made-up instants: no clock, no sleeping.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::emulator::flow::{FlowStatus, NewFlow};
use crate::emulator::flows::{Flows, Life};
use crate::emulator::refusal::Refusal;

fn new(fs: &str, path: &str) -> NewFlow {
    NewFlow {
        file_system_id: fs.into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b".into(),
        source_path: "/".into(),
        target_path: path.into(),
        ..NewFlow::default()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn life() -> Life {
    Life {
        listing_delay: ms(0),
        available_after: ms(100),
        unavailable: 0.0,
        deleting: ms(300),
    }
}

/// The status of the flow `id` at `now`, or `None` once it is gone.
fn status(flows: &mut Flows, id: &str, now: Instant) -> Option<FlowStatus> {
    flows
        .existing(now)
        .find(|f| f.id == id)
        .map(|f| f.status(now))
}

fn make(flows: &mut Flows, rng: &mut StdRng, fs: &str, path: &str, now: Instant) -> String {
    flows
        .create(new(fs, path), None, rng, now, 0)
        .unwrap()
        .id
        .clone()
}

#[test]
fn one_flow_per_directory_and_limit() {
    let mut flows = Flows::new(life());
    let mut rng = StdRng::seed_from_u64(1);
    let now = Instant::now();
    let mut create = |fs, path| {
        flows
            .create(new(fs, path), Some(2), &mut rng, now, 0)
            .map(|f| f.listed_target_path())
    };
    assert_eq!(create("cfs-1", "/cfs/a"), Ok("/cfs/a/".to_owned()));
    assert_eq!(create("cfs-1", "/cfs/a/"), Err(Refusal::PathUsed));
    assert_eq!(create("cfs-2", "/cfs/a//"), Ok("/cfs/a/".to_owned()));
    assert_eq!(create("cfs-1", "/cfs/b"), Ok("/cfs/b/".to_owned()));
    assert_eq!(create("cfs-1", "/cfs/c"), Err(Refusal::LimitReached));
    assert_eq!(flows.of(Some("cfs-1")).count(), 2);
    assert_eq!(flows.of(None).count(), 3);
    assert_eq!(flows.of(Some("cfs-9")).count(), 0);
}

#[test]
fn pending_until_available_after_then_available() {
    let mut flows = Flows::new(life());
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let id = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0);
    assert_eq!(status(&mut flows, &id, t0), Some(FlowStatus::Pending));
    assert_eq!(
        status(&mut flows, &id, t0 + ms(99)),
        Some(FlowStatus::Pending)
    );
    assert_eq!(
        status(&mut flows, &id, t0 + ms(100)),
        Some(FlowStatus::Available)
    );
    let info = flows
        .existing(t0 + ms(100))
        .next()
        .unwrap()
        .info(t0 + ms(100));
    assert_eq!(info.status, "available");
}

#[test]
fn unavailable_by_a_seeded_chance_that_draws_nothing_at_zero() {
    let settled = |p: f64, seed: u64| {
        let mut flows = Flows::new(Life {
            unavailable: p,
            ..life()
        });
        let mut rng = StdRng::seed_from_u64(seed);
        let t0 = Instant::now();
        let later = t0 + ms(100);
        (0..64)
            .map(|i| {
                let id = make(&mut flows, &mut rng, "cfs-1", &format!("/cfs/{i}"), t0);
                let s = status(&mut flows, &id, later).unwrap();
                (id, s)
            })
            .collect::<Vec<_>>()
    };
    let half = settled(0.5, 9);
    assert_eq!(half, settled(0.5, 9), "a seed replays");
    let unavailable = half
        .iter()
        .filter(|(_, s)| *s == FlowStatus::Unavailable)
        .count();
    assert!((8..=56).contains(&unavailable), "{unavailable} of 64");
    assert!(half
        .iter()
        .all(|(_, s)| matches!(s, FlowStatus::Available | FlowStatus::Unavailable)));
    assert!(settled(1.0, 9)
        .iter()
        .all(|(_, s)| *s == FlowStatus::Unavailable));
    // At 0 no chance is drawn: the ids are those of the generator alone, as before the option.
    let none = settled(0.0, 9);
    assert!(none.iter().all(|(_, s)| *s == FlowStatus::Available));
    let mut rng = StdRng::seed_from_u64(9);
    let ids_alone: Vec<String> = (0..64)
        .map(|_| format!("cfs-dataflow-{:08x}", rand::RngExt::random::<u32>(&mut rng)))
        .collect();
    let ids: Vec<String> = none.into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ids_alone);
}

#[test]
fn deleting_keeps_the_directory_then_the_flow_is_gone() {
    let mut flows = Flows::new(life());
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let id = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0);
    assert_eq!(flows.delete(&id, Some("cfs-1"), t0 + ms(10)), Ok(()));
    assert_eq!(
        status(&mut flows, &id, t0 + ms(10)),
        Some(FlowStatus::Deleting)
    );
    // Still there, directory still used.
    let again = flows.create(new("cfs-1", "/cfs/a/"), None, &mut rng, t0 + ms(200), 0);
    assert_eq!(again.map(|f| f.id.clone()), Err(Refusal::PathUsed));
    // A second delete succeeds and does not restart the time.
    assert_eq!(flows.delete(&id, None, t0 + ms(200)), Ok(()));
    assert_eq!(
        status(&mut flows, &id, t0 + ms(309)),
        Some(FlowStatus::Deleting)
    );
    assert_eq!(status(&mut flows, &id, t0 + ms(310)), None);
    assert_eq!(flows.of(None).count(), 0);
    assert_eq!(
        flows.delete(&id, None, t0 + ms(310)),
        Err(Refusal::NoSuchFlow)
    );
    // The directory is free again, and the new flow has a new id.
    let second = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0 + ms(311));
    assert_ne!(second, id);
}

#[test]
fn a_deleting_flow_counts_against_the_limit_until_gone() {
    let mut flows = Flows::new(life());
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let id = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0);
    flows.delete(&id, None, t0).unwrap();
    let full = flows.create(new("cfs-1", "/cfs/b"), Some(1), &mut rng, t0 + ms(299), 0);
    assert_eq!(full.map(|_| ()), Err(Refusal::LimitReached));
    let room = flows.create(new("cfs-1", "/cfs/b"), Some(1), &mut rng, t0 + ms(300), 0);
    assert!(room.is_ok());
}

#[test]
fn delete_and_modify_check_the_id_and_file_system() {
    let mut flows = Flows::new(life());
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let id = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0);
    assert_eq!(
        flows.delete("cfs-dataflow-nope", None, t0),
        Err(Refusal::NoSuchFlow)
    );
    assert_eq!(
        flows.delete(&id, Some("cfs-2"), t0),
        Err(Refusal::WrongFileSystem)
    );
    assert_eq!(
        flows.modifiable(&id, "cfs-2", t0).map(|_| ()),
        Err(Refusal::WrongFileSystem)
    );
    assert!(flows.modifiable(&id, "cfs-1", t0).is_ok());
    flows.delete(&id, None, t0).unwrap();
    assert_eq!(
        flows.modifiable(&id, "cfs-1", t0).map(|_| ()),
        Err(Refusal::BeingDeleted)
    );
    assert_eq!(
        flows.modifiable(&id, "cfs-1", t0 + ms(300)).map(|_| ()),
        Err(Refusal::NoSuchFlow)
    );
}

#[test]
fn preexisting_flows_list_at_once_with_their_status() {
    let mut flows = Flows::new(Life {
        listing_delay: ms(500),
        ..life()
    });
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let mut seed = |path: &str, id: Option<&str>, s: Option<FlowStatus>| {
        flows
            .preexisting(
                new("cfs-1", path),
                id.map(str::to_owned),
                s,
                &mut rng,
                t0,
                0,
            )
            .map(|f| f.id.clone())
    };
    let given = seed("/cfs/a", Some("cfs-dataflow-given"), None).unwrap();
    assert_eq!(given, "cfs-dataflow-given");
    let pending = seed("/cfs/p", None, Some(FlowStatus::Pending)).unwrap();
    let unavailable = seed("/cfs/u", None, Some(FlowStatus::Unavailable)).unwrap();
    let deleting = seed("/cfs/d", None, Some(FlowStatus::Deleting)).unwrap();
    let available = seed("/cfs/v", None, Some(FlowStatus::Available)).unwrap();
    assert!(pending.starts_with("cfs-dataflow-"));
    assert_eq!(seed("/cfs/a/", None, None), Err(Refusal::PathUsed));
    assert_eq!(
        seed("/cfs/z", Some("cfs-dataflow-given"), None),
        Err(Refusal::DuplicateId)
    );
    for (id, want) in [
        (&given, FlowStatus::Available),
        (&pending, FlowStatus::Pending),
        (&unavailable, FlowStatus::Unavailable),
        (&deleting, FlowStatus::Deleting),
        (&available, FlowStatus::Available),
    ] {
        assert_eq!(status(&mut flows, id, t0), Some(want), "{id}");
        // Listed at once, whatever the listing delay of new flows.
        let listed = flows.existing(t0).find(|f| &f.id == id).unwrap();
        assert!(listed.listed_at <= t0);
    }
    assert_eq!(
        status(&mut flows, &pending, t0 + ms(100)),
        Some(FlowStatus::Available)
    );
    assert_eq!(status(&mut flows, &deleting, t0 + ms(300)), None);
}

#[test]
fn a_flag_of_u64_max_milliseconds_does_not_panic() {
    let huge = Duration::from_millis(u64::MAX);
    let mut flows = Flows::new(Life {
        listing_delay: huge,
        available_after: huge,
        unavailable: 0.0,
        deleting: huge,
    });
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let id = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0);
    assert_eq!(status(&mut flows, &id, t0), Some(FlowStatus::Pending));
    flows.delete(&id, None, t0).unwrap();
    assert_eq!(status(&mut flows, &id, t0), Some(FlowStatus::Deleting));
}

/// Issue 20, 2: the emulator's flows end `unavailable` only for their source keys, so new keys
/// set with ModifyDataFlow bring one back: `pending` for `available_after`, then `available`.
/// Other changes leave it unavailable.
#[test]
fn new_keys_bring_an_unavailable_flow_back() {
    let mut flows = Flows::new(Life {
        unavailable: 1.0,
        ..life()
    });
    let mut rng = StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    let id = make(&mut flows, &mut rng, "cfs-1", "/cfs/a", t0);
    let t1 = t0 + ms(500);
    assert_eq!(status(&mut flows, &id, t1), Some(FlowStatus::Unavailable));
    let config = crate::emulator::EmulatorConfig::default();
    let change = |body: String| crate::emulator::modify::parse(body.as_bytes(), &config).unwrap();
    let renamed = change(format!(
        r#"{{"DataFlowId":"{id}","FileSystemId":"cfs-1","DataFlowName":"n"}}"#
    ));
    flows.modify(&renamed, t1).unwrap();
    assert_eq!(
        status(&mut flows, &id, t1 + ms(500)),
        Some(FlowStatus::Unavailable)
    );
    let keys = change(format!(
        r#"{{"DataFlowId":"{id}","FileSystemId":"cfs-1","SecretId":"AKIDnew","SecretKey":"k"}}"#
    ));
    flows.modify(&keys, t1).unwrap();
    assert_eq!(status(&mut flows, &id, t1), Some(FlowStatus::Pending));
    assert_eq!(
        status(&mut flows, &id, t1 + ms(99)),
        Some(FlowStatus::Pending)
    );
    assert_eq!(
        status(&mut flows, &id, t1 + ms(100)),
        Some(FlowStatus::Available)
    );
    // New keys before it settled: it settles available, when it was to.
    let other = make(&mut flows, &mut rng, "cfs-1", "/cfs/b", t1);
    let keys = change(format!(
        r#"{{"DataFlowId":"{other}","FileSystemId":"cfs-1","SecretId":"AKIDnew","SecretKey":"k"}}"#
    ));
    flows.modify(&keys, t1 + ms(50)).unwrap();
    assert_eq!(
        status(&mut flows, &other, t1 + ms(149)),
        Some(FlowStatus::Pending)
    );
    assert_eq!(
        status(&mut flows, &other, t1 + ms(150)),
        Some(FlowStatus::Available)
    );
}
