//! DescribeLifecycleDataTask: the time window, filters, paging, newest first. What the emulator
//! chose where the documentation leaves a choice:
//! - `StartTime` and `EndTime` are required (`MissingParameter`), `YYYY-MM-DD HH:MM:SS` read
//!   as China Standard Time (else `InvalidParameterValue`); a `StartTime` after `EndTime`, or
//!   more than three calendar months before now, is `InvalidParameterValue`; a task is listed
//!   when its `CreationTime` is in the window, both ends included;
//! - `Filters` names are `TaskName`, `FileSystemId`, `Type`: values OR'ed within a filter,
//!   filters AND'ed; another name, a filter without values or a value that is not a string is
//!   `InvalidParameterValue`;
//! - a `TaskId` no task has lists nothing (no error); `CfsVersion` is accepted and ignored;
//! - `Limit` 1 to 100 (default 20), `Offset` from 0; `TotalCount` counts every match.

use std::time::Instant;

use serde_json::{Map, Value};

use super::task::Task;
use crate::emulator::clock::{months_before, parse_service_time};
use crate::emulator::limits::{DEFAULT_PAGE, MAX_PAGE, TASK_WINDOW_MONTHS};
use crate::emulator::params::{
    only_known, optional_count, optional_str, optional_text, parse_object, required_str, Params,
};
use crate::emulator::response::ApiError;

const PARAMS: &[&str] = &[
    "StartTime",
    "EndTime",
    "TaskId",
    "Offset",
    "Limit",
    "Filters",
    "CfsVersion",
];
const FILTER_NAMES: [&str; 3] = ["TaskName", "FileSystemId", "Type"];

/// One DescribeLifecycleDataTask request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskQuery {
    /// The window, unix seconds, both ends included.
    start: i64,
    end: i64,
    task_id: Option<String>,
    /// Each a filter name and its values.
    filters: Vec<(&'static str, Vec<String>)>,
    offset: usize,
    limit: usize,
}

/// Reads and checks a DescribeLifecycleDataTask body at `now_unix` (the service clock).
pub(crate) fn parse(body: &[u8], now_unix: i64) -> Result<TaskQuery, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let start = time(&p, "StartTime")?;
    let end = time(&p, "EndTime")?;
    let task_id = optional_text(&p, "TaskId")?.map(str::to_owned);
    optional_str(&p, "CfsVersion")?;
    let offset = optional_count(&p, "Offset", 0)?;
    let limit = optional_count(&p, "Limit", DEFAULT_PAGE)?;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::owned(
            "InvalidParameterValue",
            format!("Limit must be an integer from 1 to {MAX_PAGE}."),
        ));
    }
    let filters = filters(p.get("Filters"))?;
    if start > end {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "StartTime must not be after EndTime.",
        ));
    }
    if start < months_before(now_unix, TASK_WINDOW_MONTHS) {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "StartTime must be within the last 3 months.",
        ));
    }
    Ok(TaskQuery {
        start,
        end,
        task_id,
        filters,
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit: limit as usize,
    })
}

/// A required time parameter, as unix seconds.
fn time(p: &Params, name: &str) -> Result<i64, ApiError> {
    parse_service_time(required_str(p, name)?).ok_or_else(|| {
        ApiError::owned(
            "InvalidParameterValue",
            format!("{name} must be YYYY-MM-DD HH:MM:SS (China Standard Time)."),
        )
    })
}

/// `Filters`: a list of `{"Name": ..., "Values": [...]}`.
fn filters(value: Option<&Value>) -> Result<Vec<(&'static str, Vec<String>)>, ApiError> {
    let invalid = |message: &'static str| ApiError::new("InvalidParameterValue", message);
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Array(list) = value else {
        return Err(ApiError::new(
            "InvalidParameter",
            "The parameter `Filters` must be of type Array of Filter.",
        ));
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(filter) = item else {
            return Err(invalid(
                "Each of Filters must be an object with Name and Values.",
            ));
        };
        only_known(filter, &["Name", "Values"])?;
        let name = filter.get("Name").and_then(Value::as_str).unwrap_or("");
        let name = FILTER_NAMES
            .into_iter()
            .find(|known| *known == name)
            .ok_or(invalid(
                "Filters.Name must be TaskName, FileSystemId or Type.",
            ))?;
        let values = match filter.get("Values") {
            Some(Value::Array(values)) if !values.is_empty() => values,
            _ => {
                return Err(invalid(
                    "Filters.Values must be a non-empty list of strings.",
                ))
            }
        };
        let values = values
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(invalid(
                "Filters.Values must be a non-empty list of strings.",
            ))?;
        out.push((name, values));
    }
    Ok(out)
}

impl TaskQuery {
    /// Whether `task` matches, listed or not.
    fn matches(&self, task: &Task) -> bool {
        let created = task.creation_unix();
        if created < self.start || created > self.end {
            return false;
        }
        if self.task_id.as_ref().is_some_and(|id| *id != task.id) {
            return false;
        }
        self.filters.iter().all(|(name, values)| {
            let field = match *name {
                "TaskName" => task.new.task_name.as_str(),
                "FileSystemId" => task.new.file_system_id.as_str(),
                _ => task.new.task_type.as_str(),
            };
            values.iter().any(|v| v == field)
        })
    }
}

/// The answer's fields (`TotalCount`, `LifecycleDataTask`) for the tasks listed at `now`,
/// newest first. Advance the tasks to `now` first.
pub(crate) fn answer(tasks: &[Task], q: &TaskQuery, now: Instant) -> Map<String, Value> {
    let matching = tasks
        .iter()
        .rev()
        .filter(|t| now >= t.listed_at && q.matches(t));
    let mut total = 0u64;
    let mut page = Vec::with_capacity(q.limit.min(DEFAULT_PAGE as usize));
    for (i, task) in matching.enumerate() {
        total += 1;
        if i >= q.offset && page.len() < q.limit {
            page.push(task.listing(now));
        }
    }
    let mut m = Map::new();
    m.insert("TotalCount".to_owned(), Value::from(total));
    m.insert("LifecycleDataTask".to_owned(), Value::Array(page));
    m
}
