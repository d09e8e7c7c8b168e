//! Every fault applies to the data-task actions: their own rate budgets, another client's load,
//! internal errors, lost and late answers that act all the same, lost listings, the listing
//! delay, the signature check, and the seed that replays them.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::*;
use crate::emulator::{EmulatorConfig, NewTask, TaskStatus, TaskType};

fn closed(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
    )
}

#[test]
fn each_task_action_has_its_own_budget_and_shares_it_with_the_background() {
    let emu = start(EmulatorConfig {
        rate: 3,
        background_load: 1,
        ..EmulatorConfig::default()
    });
    let mut c = Client::connect(&emu);
    let t0 = Instant::now();
    let a = task_id(&c.call(&create_task("cfs-1", "metaload", "n", "/cfs/a")));
    c.call(&create_task("cfs-1", "metaload", "n", "/cfs/b"));
    let third = c.call(&create_task("cfs-1", "metaload", "n", "/cfs/c"));
    assert_eq!(code(&third), "RequestLimitExceeded");
    for _ in 0..2 {
        assert_eq!(code(&c.call(&describe_tasks(json!({})))), "");
    }
    assert_eq!(
        code(&c.call(&describe_tasks(json!({})))),
        "RequestLimitExceeded"
    );
    for _ in 0..2 {
        assert_eq!(code(&c.call(&stop_task(&a))), "");
    }
    assert_eq!(code(&c.call(&stop_task(&a))), "RequestLimitExceeded");
    // The flows' actions are untouched.
    assert_eq!(code(&c.call(&describe(json!({})))), "");
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "too slow to test the window"
    );
    assert_eq!(emu.counters().throttled, 3);
    assert_eq!(emu.tasks().len(), 2);
}

#[test]
fn internal_errors_and_bad_signatures_do_not_act() {
    let emu = start(EmulatorConfig {
        internal_error: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let r = c.call(&create_task("cfs-1", "metaload", "n", "/cfs/a"));
    assert_eq!(code(&r), "InternalError");
    assert_eq!(code(&c.call(&describe_tasks(json!({})))), "InternalError");
    assert!(emu.tasks().is_empty());

    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let mut call = create_task("cfs-1", "metaload", "n", "/cfs/a");
    call.secret_key = "not-the-key".to_owned();
    assert_eq!(code(&c.call(&call)), "AuthFailure.SignatureFailure");
    let mut stop = stop_task("task-whatever");
    stop.secret_id = "AKIDsomeoneelse".to_owned();
    assert_eq!(code(&c.call(&stop)), "AuthFailure.SecretIdNotFound");
    assert!(emu.tasks().is_empty());
    assert_eq!(emu.counters().auth_failures, 2);
}

#[test]
fn a_lost_create_or_stop_acts_then_drops_the_connection() {
    let emu = start(EmulatorConfig {
        lost_response: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let err = c
        .send(&create_task("cfs-1", "restore", "n", "/cfs/a"))
        .unwrap_err();
    assert!(closed(&err), "{err}");
    let tasks = emu.tasks();
    assert_eq!((tasks.len(), tasks[0].task_name.as_str()), (1, "n"));
    let mut c = Client::connect(&emu);
    assert!(c.send(&stop_task(&tasks[0].task_id)).is_err());
    assert_eq!(emu.tasks()[0].status, TaskStatus::Stopping);
    // Listings are never lost by --lost-response.
    let mut c = Client::connect(&emu);
    assert_eq!(c.call(&describe_tasks(json!({})))["TotalCount"], 1);
    let (n, t) = (emu.counters(), emu.task_counters());
    assert_eq!((n.lost_responses, t.created, t.stopped), (2, 1, 1));
}

#[test]
fn a_late_create_or_stop_acts_after_the_client_gives_up() {
    let emu = start(EmulatorConfig {
        late_create: 1.0,
        late_create_delay_ms: 20,
        ..unlimited()
    });
    let give_up = |call: &Call| {
        let mut c = Client::connect(&emu);
        c.set_read_timeout(Duration::from_millis(200));
        assert!(c.send(call).is_err(), "{}", call.action);
        assert!(emu.tasks().len() <= 1);
    };
    give_up(&create_task("cfs-1", "restore", "late", "/cfs/a"));
    assert!(eventually(|| emu.tasks().len() == 1));
    let id = emu.tasks()[0].task_id.clone();
    assert_eq!(emu.tasks()[0].status, TaskStatus::Running);
    give_up(&stop_task(&id));
    assert!(eventually(|| emu.tasks()[0].status == TaskStatus::Stopping));
    assert_eq!(emu.counters().late_creates, 2);
}

#[test]
fn a_lost_listing_drops_a_describe_of_tasks_and_changes_nothing() {
    let emu = start(EmulatorConfig {
        lost_listing: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    assert_eq!(
        code(&c.call(&create_task("cfs-1", "metaload", "n", "/cfs/a"))),
        ""
    );
    let err = c.send(&describe_tasks(json!({}))).unwrap_err();
    assert!(closed(&err), "{err}");
    assert_eq!(emu.counters().lost_listings, 1);
    assert_eq!(emu.task_counters().describe_calls, 1);
}

#[test]
fn a_new_task_is_listed_only_after_the_listing_delay() {
    let emu = start(EmulatorConfig {
        listing_delay_ms: 60_000,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let id = task_id(&c.call(&create_task("cfs-1", "metaload", "n", "/cfs/a")));
    let total = |c: &mut Client| c.call(&describe_tasks(json!({})))["TotalCount"].as_u64();
    assert_eq!(total(&mut c), Some(0));
    assert!(!emu.tasks()[0].listed);
    // It exists all the same: it can be stopped by its id.
    assert_eq!(code(&c.call(&stop_task(&id))), "");
    emu.fast_forward(Duration::from_secs(60));
    assert_eq!(total(&mut c), Some(1));
    assert!(emu.tasks()[0].listed);
    // A task added as another client's is listed at once.
    let other = emu
        .add_task(NewTask::new("cfs-1", TaskType::Restore, "theirs", "/cfs/b"))
        .unwrap();
    let r = c.call(&describe_tasks(json!({"Limit": 1})));
    assert_eq!(r["LifecycleDataTask"][0]["TaskId"], other.as_str());
    let rec = emu.tasks().pop().unwrap();
    assert!(rec.added_by_test && rec.listed && rec.stop_calls == 0);
    assert_eq!(
        emu.task_counters().created,
        1,
        "added tasks are not counted as created"
    );
}

#[test]
fn added_tasks_follow_the_rules_a_create_would() {
    let emu = start(EmulatorConfig {
        task_slots: 1,
        task_queue: 0,
        ..unlimited()
    });
    let new = |path: &str| NewTask::new("cfs-1", TaskType::Archive, "theirs", path);
    emu.add_task(new("/cfs/a")).unwrap();
    let full = emu.add_task(new("/cfs/b")).unwrap_err();
    assert!(
        full.starts_with("InvalidParameterValue.WaitingTaskLimitExceeded: "),
        "{full}"
    );
    let mut on_flow = new("/cfs/c");
    on_flow.data_flow_id = Some("cfs-dataflow-nosuch".into());
    let err = emu.add_task(on_flow).unwrap_err();
    assert!(
        err.starts_with("InvalidParameterValue.InvalidDataFlowId"),
        "{err}"
    );
}

#[test]
fn faults_on_task_calls_replay_by_seed() {
    let run = |seed: u64| {
        let emu = start(EmulatorConfig {
            internal_error: 0.3,
            lost_response: 0.3,
            task_fail: 0.5,
            seed,
            ..unlimited()
        });
        let outcomes: Vec<String> = (0..12)
            .map(|i| {
                let mut c = Client::connect(&emu);
                match c.send(&create_task("cfs-1", "metaload", "n", &format!("/cfs/{i}"))) {
                    Ok((_, v)) => {
                        let r = &v["Response"];
                        format!("{} {} {}", code(r), r["TaskId"], r["RequestId"])
                    }
                    Err(_) => "lost".to_owned(),
                }
            })
            .collect();
        emu.fast_forward(Duration::from_secs(3600));
        let ends: Vec<(String, TaskStatus)> = emu
            .tasks()
            .into_iter()
            .map(|t| (t.task_id, t.status))
            .collect();
        (outcomes, ends)
    };
    let once = run(11);
    assert_eq!(once, run(11));
    assert_ne!(once, run(12));
    assert!(once.0.iter().any(|o| o == "lost"), "{:?}", once.0);
    assert!(once.0.iter().any(|o| o.starts_with("InternalError")));
    assert!(once.1.iter().any(|(_, s)| *s == TaskStatus::Failed));
}
