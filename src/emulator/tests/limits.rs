//! The rate limit, another client's load, the per-file-system limit, known file systems.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::*;
use crate::emulator::EmulatorConfig;

#[test]
fn the_sixth_call_in_a_second_is_throttled() {
    let emu = start(EmulatorConfig {
        rate: 5,
        ..EmulatorConfig::default()
    });
    let mut c = Client::connect(&emu);
    let t0 = Instant::now();
    for i in 0..5 {
        assert_eq!(code(&c.call(&create("cfs-1", &format!("/cfs/{i}")))), "");
    }
    let r = c.call(&create("cfs-1", "/cfs/5"));
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "too slow to test the window"
    );
    assert_eq!(code(&r), "RequestLimitExceeded");
    // The other action has its own budget.
    assert_eq!(code(&c.call(&describe(json!({})))), "");
    std::thread::sleep(Duration::from_millis(1050).saturating_sub(t0.elapsed()));
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/5"))), "");
    let n = emu.counters();
    assert_eq!((n.throttled, n.created, n.create_calls), (1, 6, 7));
}

#[test]
fn background_load_takes_its_share() {
    let emu = start(EmulatorConfig {
        rate: 5,
        background_load: 3,
        ..EmulatorConfig::default()
    });
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/0"))), "");
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/1"))), "");
    assert_eq!(
        code(&c.call(&create("cfs-1", "/cfs/2"))),
        "RequestLimitExceeded"
    );
    assert_eq!(code(&c.call(&describe(json!({})))), "");
    assert_eq!(code(&c.call(&describe(json!({})))), "");
    assert_eq!(code(&c.call(&describe(json!({})))), "RequestLimitExceeded");
    assert_eq!(emu.counters().throttled, 2);
}

#[test]
fn throttled_calls_do_not_enter_the_window_and_auth_failures_are_not_counted() {
    let emu = start(EmulatorConfig {
        rate: 2,
        ..EmulatorConfig::default()
    });
    let mut c = Client::connect(&emu);
    let mut bad = create("cfs-1", "/cfs/x");
    bad.secret_key = "wrong".into();
    for _ in 0..3 {
        assert_eq!(code(&c.call(&bad)), "AuthFailure.SignatureFailure");
    }
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/0"))), "");
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/1"))), "");
    assert_eq!(
        code(&c.call(&create("cfs-1", "/cfs/2"))),
        "RequestLimitExceeded"
    );
}

#[test]
fn flow_limit_per_file_system() {
    let emu = start(EmulatorConfig {
        flow_limit: Some(2),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/0"))), "");
    assert_eq!(code(&c.call(&create("cfs-1", "/cfs/1"))), "");
    let r = c.call(&create("cfs-1", "/cfs/2"));
    assert_eq!(code(&r), "ResourceInsufficient.DataFlowLimitExceeded");
    assert_eq!(code(&c.call(&create("cfs-2", "/cfs/2"))), "");
    // A used directory is named as such even when the file system is full.
    let r = c.call(&create("cfs-1", "/cfs/0"));
    assert_eq!(code(&r), "InvalidParameterValue.PathUsedInDataflow");
}

#[test]
fn only_listed_file_systems_exist() {
    let emu = start(EmulatorConfig {
        file_systems: Some(vec!["cfs-aaa".into()]),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&create("cfs-aaa", "/cfs/0"))), "");
    let r = c.call(&create("cfs-bbb", "/cfs/0"));
    assert_eq!(code(&r), "ResourceNotFound.FileSystemNotFound");
    assert!(r["Error"]["Message"].as_str().unwrap().contains("cfs-bbb"));
}
