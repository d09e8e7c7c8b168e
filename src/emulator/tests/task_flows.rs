//! Where flows meet tasks, in the state itself with made-up instants: a task through a flow
//! needs it on its file system, `available`, and holding its path; DeleteDataFlow is refused
//! while a task on the flow is queued, running or stopping.

use std::time::{Duration, Instant};

use crate::emulator::action::Effect;
use crate::emulator::delete::Deletion;
use crate::emulator::flow::NewFlow;
use crate::emulator::refusal::Refusal;
use crate::emulator::world::World;
use crate::emulator::{EmulatorConfig, NewTask, TaskTarget, TaskType};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Bench {
    world: World,
    config: EmulatorConfig,
    t0: Instant,
}

impl Bench {
    fn new() -> Bench {
        let config = EmulatorConfig {
            available_after_ms: 100,
            task_slots: 1,
            task_stopping_ms: 50,
            ..EmulatorConfig::default()
        };
        let t0 = Instant::now();
        Bench {
            world: World::new(&config, t0, 0).unwrap(),
            config,
            t0,
        }
    }

    fn apply(&mut self, effect: Effect, at: Duration) -> Result<String, Refusal> {
        let (fields, _) =
            self.world
                .apply(effect, &self.config, self.t0 + at, 1_700_000_000_000)?;
        Ok(fields
            .values()
            .next()
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned())
    }

    fn flow(&mut self, fs: &str, path: &str) -> String {
        let new = NewFlow {
            file_system_id: fs.into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b".into(),
            source_path: "/".into(),
            target_path: path.into(),
            ..NewFlow::default()
        };
        self.apply(Effect::Create(new), ms(0)).unwrap()
    }

    fn task(&mut self, flow: &str, path: &str, at: Duration) -> Result<String, Refusal> {
        let mut new = NewTask::new("cfs-1", TaskType::Metaload, "t", path);
        new.data_flow_id = Some(flow.to_owned());
        self.apply(Effect::CreateTask(new), at)
    }

    fn delete(&mut self, flow: &str, at: Duration) -> Result<String, Refusal> {
        let d = Deletion {
            data_flow_id: flow.to_owned(),
            file_system_id: Some("cfs-1".to_owned()),
        };
        self.apply(Effect::Delete(d), at)
    }
}

#[test]
fn a_task_through_a_flow_needs_it_there_available_and_holding_the_path() {
    let mut b = Bench::new();
    let flow = b.flow("cfs-1", "/cfs/data");
    let elsewhere = b.flow("cfs-2", "/cfs/data");
    assert_eq!(
        b.task(&flow, "/cfs/data", ms(0)),
        Err(Refusal::FlowNotAvailable),
        "pending"
    );
    let ready = ms(100);
    assert_eq!(
        b.task("cfs-dataflow-nosuch", "/cfs/data", ready),
        Err(Refusal::NoSuchTaskFlow)
    );
    assert_eq!(
        b.task(&elsewhere, "/cfs/data", ready),
        Err(Refusal::NoSuchTaskFlow),
        "a flow of another file system"
    );
    for outside in ["/cfs/datax", "/cfs/other", "/cfs/"] {
        assert_eq!(
            b.task(&flow, outside, ready),
            Err(Refusal::PathOutsideFlow),
            "{outside}"
        );
    }
    for inside in ["/cfs/data", "/cfs/data/", "/cfs/data/sub/dir"] {
        let id = b.task(&flow, inside, ready).unwrap();
        assert!(id.starts_with("task-"), "{inside}: {id}");
    }
    // A list task's paths are not known: only the flow is checked.
    let mut list = NewTask::new("cfs-1", TaskType::Restore, "l", "/cfs/x");
    list.target = TaskTarget::List("/cfs/lists/today.txt".to_owned());
    list.data_flow_id = Some(flow.clone());
    assert!(b.apply(Effect::CreateTask(list), ready).is_ok());
    // A flow being deleted is not available.
    let other = b.flow("cfs-1", "/cfs/other");
    b.delete(&other, ready).unwrap();
    assert_eq!(
        b.task(&other, "/cfs/other", ready),
        Err(Refusal::FlowNotAvailable)
    );
}

#[test]
fn delete_data_flow_is_refused_while_a_task_on_it_is_queued_running_or_stopping() {
    let mut b = Bench::new();
    let flow = b.flow("cfs-1", "/cfs/a");
    let free = b.flow("cfs-1", "/cfs/b");
    let ready = ms(100);
    let running = b.task(&flow, "/cfs/a", ready).unwrap();
    let queued = b.task(&flow, "/cfs/a/sub", ready).unwrap();
    assert_eq!(b.delete(&flow, ready), Err(Refusal::FlowBusy));
    assert_eq!(
        Refusal::FlowBusy.error().code,
        "UnsupportedOperation.InvalidLifecycleDataTaskStatus"
    );
    // Another flow of the file system is not held by them.
    assert_eq!(b.delete(&free, ready), Ok(String::new()));

    b.apply(Effect::StopTask(running.clone()), ready).unwrap();
    assert_eq!(b.delete(&flow, ready), Err(Refusal::FlowBusy), "stopping");
    b.apply(Effect::StopTask(queued), ready).unwrap();
    assert_eq!(b.delete(&flow, ready + ms(49)), Err(Refusal::FlowBusy));
    assert_eq!(
        b.delete(&flow, ready + ms(50)),
        Ok(String::new()),
        "stopped"
    );
    // An unknown flow is still answered as before.
    assert_eq!(
        b.delete("cfs-dataflow-nosuch", ready),
        Err(Refusal::NoSuchFlow)
    );

    // A task that finished does not hold its flow.
    let mut b = Bench::new();
    let flow = b.flow("cfs-1", "/cfs/a");
    b.task(&flow, "/cfs/a", ms(100)).unwrap();
    assert_eq!(b.delete(&flow, ms(100)), Err(Refusal::FlowBusy));
    assert_eq!(
        b.delete(&flow, Duration::from_secs(3600)),
        Ok(String::new())
    );
}
