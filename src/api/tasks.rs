//! The CFS lifecycle data-task actions' parameters and answers, as the API names them
//! (CreateLifecycleDataTask, DescribeLifecycleDataTask, StopLifecycleDataTask; see
//! `shared/api/data-tasks.md`).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::types::{lenient_integer, lenient_string};

/// Most tasks one DescribeLifecycleDataTask page can hold.
pub const TASK_PAGE_LIMIT: u32 = 100;

/// What a data task does to a flow's directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskType {
    /// Load the bucket's metadata: its files appear on the file system.
    Metaload,
    /// Preload the bucket's data onto the file system.
    Restore,
    /// Free the cached copy.
    Release,
    /// Move data down to the bucket.
    Archive,
}

impl TaskType {
    /// Every type, in the order a migration usually runs them.
    pub const ALL: [TaskType; 4] = [
        TaskType::Metaload,
        TaskType::Restore,
        TaskType::Release,
        TaskType::Archive,
    ];

    /// The API's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::Metaload => "metaload",
            TaskType::Restore => "restore",
            TaskType::Release => "release",
            TaskType::Archive => "archive",
        }
    }

    /// The type the API names so.
    pub fn parse(s: &str) -> Option<TaskType> {
        TaskType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The parameters of one CreateLifecycleDataTask call: one task over one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTaskRequest {
    pub file_system_id: String,
    pub kind: TaskType,
    pub task_name: String,
    pub task_path: String,
    pub data_flow_id: Option<String>,
    pub is_overwrite: bool,
}

impl CreateTaskRequest {
    /// The JSON body, with the API's parameter names; `IsOverwrite` is sent only when true.
    pub fn to_body(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert(
            "FileSystemId".into(),
            Value::from(self.file_system_id.as_str()),
        );
        m.insert("Type".into(), Value::from(self.kind.as_str()));
        m.insert("TaskName".into(), Value::from(self.task_name.as_str()));
        m.insert("TaskPath".into(), Value::from(self.task_path.as_str()));
        if let Some(id) = &self.data_flow_id {
            m.insert("DataFlowId".into(), Value::from(id.as_str()));
        }
        if self.is_overwrite {
            m.insert("IsOverwrite".into(), Value::Bool(true));
        }
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }
}

/// One filter of a DescribeLifecycleDataTask call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFilter {
    /// `TaskName`, `FileSystemId` or `Type`.
    pub name: &'static str,
    pub values: Vec<String>,
}

/// The parameters of one DescribeLifecycleDataTask page. The times carry no zone: see
/// [`format_cst`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeTasksRequest {
    pub start_time: String,
    pub end_time: String,
    pub task_id: Option<String>,
    pub filters: Vec<TaskFilter>,
    pub offset: u32,
    pub limit: u32,
}

impl DescribeTasksRequest {
    /// The JSON body; `Offset` and `Limit` are numbers.
    pub fn to_body(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("StartTime".into(), Value::from(self.start_time.as_str()));
        m.insert("EndTime".into(), Value::from(self.end_time.as_str()));
        if let Some(id) = &self.task_id {
            m.insert("TaskId".into(), Value::from(id.as_str()));
        }
        if !self.filters.is_empty() {
            let filters = self
                .filters
                .iter()
                .map(|f| serde_json::json!({"Name": f.name, "Values": f.values}))
                .collect();
            m.insert("Filters".into(), Value::Array(filters));
        }
        m.insert("Offset".into(), Value::from(self.offset));
        m.insert("Limit".into(), Value::from(self.limit));
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }
}

/// The parameters of one StopLifecycleDataTask call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopTaskRequest {
    pub task_id: String,
}

impl StopTaskRequest {
    /// The JSON body.
    pub fn to_body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"TaskId": self.task_id})).unwrap_or_default()
    }
}

/// One task as DescribeLifecycleDataTask lists it. A queued task may be listed with only its
/// id, status, creation time and type: every other field defaults to empty or zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskInfo {
    #[serde(deserialize_with = "lenient_string")]
    pub task_id: String,
    /// `init`, `running`, `finished`, `failed`, `stopping`, `stopped`.
    #[serde(deserialize_with = "lenient_string")]
    pub task_status: String,
    #[serde(deserialize_with = "lenient_string")]
    pub creation_time: String,
    #[serde(deserialize_with = "lenient_string")]
    pub finish_time: String,
    #[serde(deserialize_with = "lenient_string")]
    pub file_system_id: String,
    #[serde(deserialize_with = "lenient_string")]
    pub task_name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub task_path: String,
    #[serde(deserialize_with = "lenient_string", rename = "Type")]
    pub kind: String,
    #[serde(deserialize_with = "lenient_string")]
    pub data_flow_id: String,
    #[serde(deserialize_with = "lenient_integer")]
    pub file_total_count: Option<i64>,
    #[serde(deserialize_with = "lenient_integer")]
    pub file_successed_count: Option<i64>,
    #[serde(deserialize_with = "lenient_integer")]
    pub file_failed_count: Option<i64>,
    #[serde(deserialize_with = "lenient_integer")]
    pub file_total_size: Option<i64>,
    #[serde(deserialize_with = "lenient_integer")]
    pub file_successed_size: Option<i64>,
    #[serde(deserialize_with = "lenient_integer")]
    pub file_failed_size: Option<i64>,
    #[serde(deserialize_with = "lenient_string")]
    pub file_failed_list: String,
}

/// One page of DescribeLifecycleDataTask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskPage {
    pub total_count: u64,
    pub tasks: Vec<TaskInfo>,
    pub request_id: String,
}

/// A successful CreateLifecycleDataTask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCreated {
    pub task_id: String,
    pub request_id: String,
}

/// A successful StopLifecycleDataTask: the task goes `stopping`, then `stopped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStopped {
    pub request_id: String,
}

/// China Standard Time, UTC+8, in which Tencent Cloud writes times that carry no zone.
pub const CST_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// `YYYY-MM-DD HH:MM:SS` of a moment (ms since the epoch) read on China Standard Time. Times
/// before the epoch are the epoch.
pub fn format_cst(ms: i64) -> String {
    crate::clock::datetime(ms.max(0), CST_OFFSET_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cst_times_are_eight_hours_ahead_of_utc() {
        assert_eq!(format_cst(0), "1970-01-01 08:00:00");
        // 2026-12-07 00:55:58 UTC
        assert_eq!(format_cst(1_796_604_958_000), "2026-12-07 08:55:58");
        // Across a leap day and a year's end.
        assert_eq!(format_cst(1_709_164_800_000), "2024-02-29 08:00:00");
        assert_eq!(format_cst(1_767_196_800_000), "2026-01-01 00:00:00");
        assert_eq!(format_cst(-5), "1970-01-01 08:00:00");
    }

    #[test]
    fn bodies_use_api_names() {
        let create = CreateTaskRequest {
            file_system_id: "cfs-1".into(),
            kind: TaskType::Restore,
            task_name: "bf_x".into(),
            task_path: "/cfs/a".into(),
            data_flow_id: Some("df-1".into()),
            is_overwrite: false,
        };
        let v: Value = serde_json::from_slice(&create.to_body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"FileSystemId": "cfs-1", "Type": "restore", "TaskName": "bf_x",
                "TaskPath": "/cfs/a", "DataFlowId": "df-1"})
        );
        let describe = DescribeTasksRequest {
            start_time: "2026-12-06 00:00:00".into(),
            end_time: "2026-12-08 00:00:00".into(),
            task_id: None,
            filters: vec![TaskFilter {
                name: "TaskName",
                values: vec!["bf_x".into()],
            }],
            offset: 100,
            limit: 100,
        };
        let v: Value = serde_json::from_slice(&describe.to_body()).unwrap();
        assert_eq!(v["Filters"][0]["Values"][0], "bf_x");
        assert_eq!(v["Offset"], 100);
    }

    #[test]
    fn a_queued_task_may_list_with_four_fields() {
        let t: TaskInfo = serde_json::from_value(serde_json::json!({
            "TaskId": "task-1", "TaskStatus": "init", "CreationTime": "2026-12-07 08:00:00",
            "Type": "metaload"
        }))
        .unwrap();
        assert_eq!((t.kind.as_str(), t.file_total_size), ("metaload", None));
        let odd: TaskInfo = serde_json::from_value(serde_json::json!({
            "TaskId": 5, "FileTotalSize": "12", "FileFailedList": null
        }))
        .unwrap();
        assert_eq!((odd.task_id.as_str(), odd.file_total_size), ("", Some(12)));
    }
}
