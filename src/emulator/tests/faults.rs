//! Seeded faults: lost responses, late creates, lost listings, listing delay, internal errors,
//! latency.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::*;
use crate::emulator::EmulatorConfig;

#[test]
fn lost_response_creates_then_closes() {
    let emu = start(EmulatorConfig {
        lost_response: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let err = c.send(&create("cfs-1", "/cfs/a")).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    assert_eq!(emu.flows().len(), 1);
    assert_eq!(emu.flows()[0].target_path, "/cfs/a/");
    let n = emu.counters();
    assert_eq!((n.lost_responses, n.created), (1, 1));
    // Describe is never lost.
    let mut c = Client::connect(&emu);
    assert_eq!(c.call(&describe(json!({})))["TotalCount"], 1);
}

#[test]
fn lost_listing_closes_a_describe_and_nothing_else() {
    let emu = start(EmulatorConfig {
        lost_listing: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    // A create is answered as usual.
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/a"))), "");
    let mut c = Client::connect(&emu);
    let err = c.send(&describe(json!({}))).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    let n = emu.counters();
    assert_eq!((n.lost_listings, n.lost_responses, n.created), (1, 0, 1));
    assert_eq!(emu.flows().len(), 1);
}

#[test]
fn lost_listings_are_seeded_and_leave_older_seeds_as_they_were() {
    let run = |seed, lost_listing| {
        let emu = start(EmulatorConfig {
            internal_error: 0.3,
            lost_listing,
            seed,
            ..unlimited()
        });
        (0..16)
            .map(|i| {
                let mut c = Client::connect(&emu);
                let call = if i % 2 == 0 {
                    create("cfs-1", &format!("/cfs/{i}"))
                } else {
                    describe(json!({}))
                };
                match c.send(&call) {
                    Ok((_, r)) => {
                        format!("{} {}", code(&r["Response"]), r["Response"]["RequestId"])
                    }
                    Err(_) => "lost".to_owned(),
                }
            })
            .collect::<Vec<_>>()
    };
    let a = run(5, 0.5);
    assert_eq!(a, run(5, 0.5));
    assert!(a.iter().any(|l| l == "lost"), "{a:?}");
    // The flag's draw comes after a call's other draws: the first call is the same with or
    // without it, and without it no call is lost.
    let plain = run(5, 0.0);
    assert!(plain.iter().all(|l| l != "lost"), "{plain:?}");
    assert_eq!(a[0], plain[0]);
}

#[test]
fn late_create_appears_after_the_client_gives_up() {
    let emu = start(EmulatorConfig {
        late_create: 1.0,
        late_create_delay_ms: 50,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    c.set_read_timeout(Duration::from_millis(300));
    let err = c.send(&create("cfs-1", "/cfs/a")).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    // Nothing exists while the client still waits.
    assert!(emu.flows().is_empty());
    assert_eq!(emu.counters().late_creates, 1);
    let gave_up = Instant::now();
    drop(c);
    assert!(eventually(|| emu.flows().len() == 1));
    assert!(gave_up.elapsed() >= Duration::from_millis(50));
    assert_eq!(emu.counters().created, 1);
}

#[test]
fn late_create_into_a_taken_directory_makes_nothing() {
    let emu = start(EmulatorConfig {
        late_create: 1.0,
        late_create_delay_ms: 0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    c.set_read_timeout(Duration::from_millis(100));
    assert!(c.send(&create("cfs-1", "/cfs/a")).is_err());
    drop(c);
    assert!(eventually(|| emu.flows().len() == 1));
    let mut c = Client::connect(&emu);
    c.set_read_timeout(Duration::from_millis(100));
    assert!(c.send(&create("cfs-1", "/cfs/a/")).is_err());
    drop(c);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(emu.flows().len(), 1);
    assert_eq!(emu.counters().late_creates, 2);
    assert_eq!(emu.counters().created, 1);
}

#[test]
fn listing_delay_and_status() {
    let emu = start(EmulatorConfig {
        listing_delay_ms: 300,
        available_after_ms: 600,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let t0 = Instant::now();
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/a"))), "");
    assert_eq!(c.call(&describe(json!({})))["TotalCount"], 0);
    // It exists: the directory is taken even before it is listed.
    let r = c.call(&create("cfs-1", "/cfs/a"));
    assert_eq!(code(&r), "InvalidParameterValue.PathUsedInDataflow");
    assert_eq!(emu.flows().len(), 1);
    let mut status = String::new();
    assert!(eventually(|| {
        let page = c.call(&describe(json!({"FileSystemId": "cfs-1"})));
        status = page["DataFlows"][0]["Status"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        page["TotalCount"] == 1
    }));
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, "pending");
    assert!(eventually(|| emu.flows()[0].status == "available"));
    assert!(t0.elapsed() >= Duration::from_millis(600));
}

#[test]
fn internal_error_does_not_act() {
    let emu = start(EmulatorConfig {
        internal_error: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/a"))), "InternalError");
    assert_eq!(code(&c.call(&describe(json!({})))), "InternalError");
    assert!(emu.flows().is_empty());
    let n = emu.counters();
    assert_eq!((n.internal_errors, n.created, n.rejected), (2, 0, 0));
}

#[test]
fn latency_is_added() {
    let emu = start(EmulatorConfig {
        latency_ms: (60, 80),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let t0 = Instant::now();
    assert_eq!(code(&c.call(&describe(json!({})))), "");
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(60), "{took:?}");
}

#[test]
fn a_seed_replays_the_same_faults_and_ids() {
    let run = |seed| {
        let emu = start(EmulatorConfig {
            internal_error: 0.5,
            seed,
            ..unlimited()
        });
        let mut c = Client::connect(&emu);
        (0..12)
            .map(|i| {
                let r = c.call(&create("cfs-1", &format!("/cfs/{i}")));
                format!("{} {} {}", code(&r), r["DataFlowId"], r["RequestId"])
            })
            .collect::<Vec<_>>()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    assert!(a.iter().any(|l| l.starts_with("InternalError")));
    assert!(a.iter().any(|l| l.starts_with(" ")));
}
