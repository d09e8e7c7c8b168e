//! The data-task actions over HTTP: validation and error codes, paging newest first, filters,
//! the time window in China Standard Time.

use serde_json::{json, Value};

use super::client::*;
use crate::emulator::EmulatorConfig;

/// A valid CreateLifecycleDataTask body changed by `extra` (a null removes the field).
pub(super) fn create_task_body(extra: Value) -> Call {
    let mut body = json!({"FileSystemId": "cfs-1", "Type": "metaload", "TaskName": "n",
        "TaskPath": "/cfs/a"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    Call::new("CreateLifecycleDataTask", body)
}

#[test]
fn create_checks_every_parameter_with_its_documented_code() {
    let emu = start(EmulatorConfig {
        file_systems: Some(vec!["cfs-1".into()]),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let cases = [
        (json!({"FileSystemId": null}), "MissingParameter"),
        (json!({"Type": null}), "MissingParameter"),
        (json!({"TaskName": null}), "MissingParameter"),
        (json!({"TaskName": ""}), "InvalidParameterValue"),
        (json!({"TaskName": "x".repeat(65)}), "InvalidParameterValue"),
        (json!({"TaskName": 7}), "InvalidParameter"),
        (
            json!({"Type": "copy"}),
            "InvalidParameterValue.InvalidLifecycleDataTaskType",
        ),
        (
            json!({"Type": "Metaload"}),
            "InvalidParameterValue.InvalidLifecycleDataTaskType",
        ),
        (
            json!({"TaskPath": null}),
            "InvalidParameter.ListPathAndTaskPathConflict",
        ),
        (
            json!({"TaskPath": ""}),
            "InvalidParameter.ListPathAndTaskPathConflict",
        ),
        (
            json!({"ListPath": "/cfs/list.txt"}),
            "InvalidParameter.ListPathAndTaskPathConflict",
        ),
        (
            json!({"TaskPath": "/data/a"}),
            "InvalidParameterValue.InvalidDataFlowTargetPath",
        ),
        (
            json!({"TaskPath": "/cfs"}),
            "InvalidParameterValue.InvalidDataFlowTargetPath",
        ),
        (
            json!({"TaskPath": null, "ListPath": "/data/l.txt"}),
            "InvalidParameter.ListPathInvalidPrefix",
        ),
        (
            json!({"TaskPath": null, "ListPath": "/cfs/lists/"}),
            "InvalidParameterValue.ListPathFileInvalid",
        ),
        (json!({"IsOverwrite": "true"}), "InvalidParameter"),
        (json!({"Foo": 1}), "UnknownParameter"),
        (
            json!({"FileSystemId": "fs-1"}),
            "InvalidParameterValue.InvalidFileSystemId",
        ),
        (
            json!({"FileSystemId": "cfs-9"}),
            "ResourceNotFound.FileSystemNotFound",
        ),
        (
            json!({"DataFlowId": "cfs-dataflow-nosuch"}),
            "InvalidParameterValue.InvalidDataFlowId",
        ),
    ];
    for (extra, want) in cases {
        let r = c.call(&create_task_body(extra.clone()));
        assert_eq!(code(&r), want, "{extra}: {r}");
    }
    assert!(emu.tasks().is_empty(), "no refused create made a task");

    // Names are not unique: one name twice is two tasks.
    let a = task_id(&c.call(&create_task_body(json!({"IsOverwrite": true}))));
    let b = task_id(&c.call(&create_task_body(
        json!({"TaskPath": null, "ListPath": "/cfs/l.txt"}),
    )));
    assert_ne!(a, b);
    for id in [&a, &b] {
        assert!(id.len() == 13 && id.starts_with("task-"), "{id}");
        assert!(id[5..]
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
    }
    let tasks = emu.tasks();
    assert_eq!(tasks.len(), 2);
    assert!(tasks[0].is_overwrite && !tasks[1].is_overwrite);
    assert_eq!(tasks[1].target.list_path(), "/cfs/l.txt");
    let n = emu.task_counters();
    assert_eq!((n.create_calls, n.created), (22, 2));
}

#[test]
fn describe_checks_the_window_paging_and_filters() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let (start, end) = cst_window(60);
    let cst = |secs_from_now: i64| crate::emulator::clock::service_time(now() + secs_from_now);
    let month = 31 * 86_400;
    let cases = [
        (json!({"StartTime": null}), "MissingParameter"),
        (json!({"EndTime": null}), "MissingParameter"),
        (
            json!({"StartTime": "2025-06-10T10:00:00"}),
            "InvalidParameterValue",
        ),
        (
            json!({"EndTime": "2025-06-10 25:00:00"}),
            "InvalidParameterValue",
        ),
        (json!({"StartTime": 1_700_000_000}), "InvalidParameter"),
        (
            json!({"StartTime": end, "EndTime": start}),
            "InvalidParameterValue",
        ),
        (
            json!({"StartTime": cst(-4 * month)}),
            "InvalidParameterValue",
        ),
        (json!({"Limit": 0}), "InvalidParameterValue"),
        (json!({"Limit": 101}), "InvalidParameterValue"),
        (json!({"Offset": -1}), "InvalidParameterValue"),
        (json!({"Filters": {"Name": "Type"}}), "InvalidParameter"),
        (
            json!({"Filters": [{"Name": "Status", "Values": ["init"]}]}),
            "InvalidParameterValue",
        ),
        (
            json!({"Filters": [{"Name": "Type", "Values": []}]}),
            "InvalidParameterValue",
        ),
        (
            json!({"Filters": [{"Name": "Type", "Values": [1]}]}),
            "InvalidParameterValue",
        ),
        (
            json!({"Filters": [{"Name": "Type"}]}),
            "InvalidParameterValue",
        ),
        (
            json!({"Filters": [{"Name": "Type", "Values": ["x"], "Op": "eq"}]}),
            "UnknownParameter",
        ),
        (json!({"Foo": 1}), "UnknownParameter"),
    ];
    for (body, want) in cases {
        let mut full = json!({});
        for (k, v) in body.as_object().unwrap() {
            if !v.is_null() {
                full[k] = v.clone();
            }
        }
        let mut call = describe_tasks(full);
        if body.get("StartTime").is_some_and(Value::is_null) {
            call = Call::new("DescribeLifecycleDataTask", json!({"EndTime": end}));
        }
        if body.get("EndTime").is_some_and(Value::is_null) {
            call = Call::new("DescribeLifecycleDataTask", json!({"StartTime": start}));
        }
        let r = c.call(&call);
        assert_eq!(code(&r), want, "{body}: {r}");
    }
    let fine = json!({"StartTime": cst(-2 * month), "EndTime": cst(7 * 86_400),
        "CfsVersion": "v4.0", "Limit": 100, "Offset": 5, "TaskId": ""});
    let r = c.call(&describe_tasks(fine));
    assert_eq!((code(&r), r["TotalCount"].as_u64()), ("", Some(0)), "{r}");
    assert_eq!(r["LifecycleDataTask"], json!([]));
}

#[test]
fn listings_are_newest_first_with_offset_limit_and_total_count() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let ids: Vec<String> = (0..7)
        .map(|i| task_id(&c.call(&create_task("cfs-1", "restore", "n", &format!("/cfs/{i}")))))
        .collect();
    let page = |c: &mut Client, body: Value| {
        let r = c.call(&describe_tasks(body));
        let got: Vec<String> = r["LifecycleDataTask"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["TaskId"].as_str().unwrap().to_owned())
            .collect();
        (r["TotalCount"].as_u64().unwrap(), got)
    };
    let want = |idx: &[usize]| idx.iter().map(|&i| ids[i].clone()).collect::<Vec<_>>();
    assert_eq!(page(&mut c, json!({"Limit": 3})), (7, want(&[6, 5, 4])));
    assert_eq!(
        page(&mut c, json!({"Limit": 3, "Offset": 3})),
        (7, want(&[3, 2, 1]))
    );
    assert_eq!(
        page(&mut c, json!({"Limit": 3, "Offset": 6})),
        (7, want(&[0]))
    );
    assert_eq!(page(&mut c, json!({"Offset": 9})), (7, vec![]));
    assert_eq!(page(&mut c, json!({})).1, want(&[6, 5, 4, 3, 2, 1, 0]));
    assert_eq!(page(&mut c, json!({"TaskId": ids[2]})), (1, want(&[2])));
    assert_eq!(
        page(&mut c, json!({"TaskId": "task-nosuch00"})),
        (0, vec![])
    );

    // Two run (two slots), five wait: a waiting task shows only four fields.
    let r = c.call(&describe_tasks(json!({"Limit": 100})));
    let list = r["LifecycleDataTask"].as_array().unwrap();
    let keys = |t: &Value| t.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let (running, waiting): (Vec<&Value>, Vec<&Value>) =
        list.iter().partition(|t| t["TaskStatus"] == "running");
    assert_eq!((running.len(), waiting.len()), (2, 5));
    for t in &waiting {
        assert_eq!(t["TaskStatus"], "init");
        let mut k = keys(t);
        k.sort();
        assert_eq!(k, ["CreationTime", "TaskId", "TaskStatus", "Type"]);
    }
    let t = running[0];
    assert_eq!(keys(t).len(), 20, "{t}");
    assert_eq!(
        (t["TaskName"].as_str(), t["Type"].as_str()),
        (Some("n"), Some("restore"))
    );
    assert_eq!(
        (t["ListPath"].as_str(), t["DataFlowId"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(
        (t["FinishTime"].as_str(), t["IsOverwrite"].as_bool()),
        (Some(""), Some(false))
    );
    assert!(t["FileTotalSize"].as_u64().unwrap() >= 8 << 20);
    assert!(t["FileTotalList"].as_str().unwrap().starts_with("cos://"));
    assert_eq!(t["FileFailedList"], "");
}

#[test]
fn filters_or_their_values_and_and_each_other() {
    let emu = start(EmulatorConfig {
        task_slots: 100,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    for (fs, ty, name) in [
        ("cfs-1", "metaload", "a"),
        ("cfs-1", "restore", "b"),
        ("cfs-2", "metaload", "a"),
        ("cfs-2", "metaload", "c"),
    ] {
        c.call(&create_task(fs, ty, name, "/cfs/x"));
    }
    let total = |c: &mut Client, filters: Value| {
        let r = c.call(&describe_tasks(json!({ "Filters": filters })));
        r["TotalCount"].as_u64().unwrap_or_else(|| panic!("{r}"))
    };
    let f = |name: &str, values: &[&str]| json!({"Name": name, "Values": values});
    assert_eq!(total(&mut c, json!([f("TaskName", &["a"])])), 2);
    assert_eq!(total(&mut c, json!([f("TaskName", &["a", "b"])])), 3);
    assert_eq!(
        total(
            &mut c,
            json!([f("TaskName", &["a", "b"]), f("FileSystemId", &["cfs-2"])])
        ),
        1
    );
    assert_eq!(
        total(
            &mut c,
            json!([f("Type", &["metaload"]), f("FileSystemId", &["cfs-2"])])
        ),
        2
    );
    assert_eq!(total(&mut c, json!([f("Type", &["archive"])])), 0);
    assert_eq!(
        total(
            &mut c,
            json!([f("TaskName", &["a"]), f("TaskName", &["c"])])
        ),
        0
    );
    assert_eq!(total(&mut c, json!([])), 4);
}

#[test]
fn a_window_written_in_china_standard_time_finds_a_task_created_now() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let before = now();
    let id = task_id(&c.call(&create_task("cfs-1", "metaload", "n", "/cfs/a")));
    let found = |c: &mut Client, start: String, end: String| {
        let r = c.call(&describe_tasks(json!({"StartTime": start, "EndTime": end})));
        assert_eq!(code(&r), "", "{r}");
        r["TotalCount"].as_u64().unwrap()
    };
    let (start, end) = cst_window(600);
    assert_eq!(found(&mut c, start, end), 1);
    // The same clock reading written in UTC is eight hours earlier in China: no task there.
    let utc = |t: i64| crate::emulator::clock::service_time(t - 8 * 3600);
    assert_eq!(found(&mut c, utc(now() - 600), utc(now() + 600)), 0);
    // Both ends are included, to the second.
    let created = emu.tasks()[0].creation_time.clone();
    assert_eq!(found(&mut c, created.clone(), created.clone()), 1);
    let listed = c.call(&describe_tasks(json!({ "TaskId": id })));
    let shown = listed["LifecycleDataTask"][0]["CreationTime"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(shown, created);
    let cst = crate::emulator::clock::parse_service_time(&shown).unwrap();
    assert!(
        cst >= before && cst <= now(),
        "{shown} is the service's China time"
    );
}
