//! Every call bulkflow makes, as plain data: an operation returns a [`Request`], the shell hands
//! it to [`super::Client::send`], and the typed [`Reply`] comes back. Nothing here does I/O.

use serde_json::Value;

use super::error::{codes, err, CallError};
use super::tasks::{
    CreateTaskRequest, DescribeTasksRequest, StopTaskRequest, TaskCreated, TaskInfo, TaskPage,
    TaskStopped,
};
use super::types::{
    CreateDataFlowRequest, Created, DataFlowInfo, DeleteDataFlowRequest, Deleted,
    DescribeDataFlowRequest, DescribePage, Modified, ModifyDataFlowRequest,
};
use super::OutcomeClass;
use crate::secret::Secret;

/// The API actions, each with its own 20 calls/s budget per access region and account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Create,
    Describe,
    Delete,
    Modify,
    CreateTask,
    DescribeTasks,
    StopTask,
}

impl Action {
    /// The API's name of the action.
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "CreateDataFlow",
            Action::Describe => "DescribeDataFlow",
            Action::Delete => "DeleteDataFlow",
            Action::Modify => "ModifyDataFlow",
            Action::CreateTask => "CreateLifecycleDataTask",
            Action::DescribeTasks => "DescribeLifecycleDataTask",
            Action::StopTask => "StopLifecycleDataTask",
        }
    }
}

/// One call of the CFS API. `Debug` never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    CreateDataFlow(CreateDataFlowRequest),
    DeleteDataFlow(DeleteDataFlowRequest),
    ModifyDataFlow(ModifyDataFlowRequest),
    DescribeDataFlow(DescribeDataFlowRequest),
    CreateTask(CreateTaskRequest),
    DescribeTasks(DescribeTasksRequest),
    StopTask(StopTaskRequest),
}

/// A successful answer, typed by the request's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Created(Created),
    Deleted(Deleted),
    Modified(Modified),
    Flows(DescribePage),
    TaskCreated(TaskCreated),
    Tasks(TaskPage),
    TaskStopped(TaskStopped),
}

impl Request {
    /// The request's action.
    pub fn action(&self) -> Action {
        match self {
            Request::CreateDataFlow(_) => Action::Create,
            Request::DeleteDataFlow(_) => Action::Delete,
            Request::ModifyDataFlow(_) => Action::Modify,
            Request::DescribeDataFlow(_) => Action::Describe,
            Request::CreateTask(_) => Action::CreateTask,
            Request::DescribeTasks(_) => Action::DescribeTasks,
            Request::StopTask(_) => Action::StopTask,
        }
    }

    /// The JSON body, with the API's parameter names.
    pub fn body(&self) -> Vec<u8> {
        match self {
            Request::CreateDataFlow(r) => r.to_body(),
            Request::DeleteDataFlow(r) => r.to_body(),
            Request::ModifyDataFlow(r) => r.to_body(),
            Request::DescribeDataFlow(r) => r.to_body(),
            Request::CreateTask(r) => r.to_body(),
            Request::DescribeTasks(r) => r.to_body(),
            Request::StopTask(r) => r.to_body(),
        }
    }

    /// The secrets the request carries, for scrubbing what the server answers.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Request::CreateDataFlow(r) => r.secrets().collect(),
            Request::ModifyDataFlow(r) => r.secrets().collect(),
            _ => Vec::new(),
        }
    }

    /// Reads a successful answer's `Response` object. An answer that lacks what a success must
    /// hold may still have acted: `Unknown`.
    pub fn read(&self, resp: &Value, request_id: String) -> Result<Reply, CallError> {
        let malformed = |what: &str| CallError {
            request_id: Some(request_id.clone()),
            ..err(OutcomeClass::Unknown, codes::MALFORMED, what.to_owned())
        };
        let id = |field: &str| match resp.get(field).and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(malformed(&format!("the answer has no {field}"))),
        };
        Ok(match self {
            Request::CreateDataFlow(_) => Reply::Created(Created {
                data_flow_id: id("DataFlowId")?,
                request_id,
            }),
            Request::ModifyDataFlow(_) => Reply::Modified(Modified {
                data_flow_id: id("DataFlowId")?,
                request_id,
            }),
            Request::DeleteDataFlow(_) => Reply::Deleted(Deleted { request_id }),
            Request::StopTask(_) => Reply::TaskStopped(TaskStopped { request_id }),
            Request::CreateTask(_) => Reply::TaskCreated(TaskCreated {
                task_id: id("TaskId")?,
                request_id,
            }),
            Request::DescribeDataFlow(_) => {
                let (total_count, data_flows) =
                    page::<DataFlowInfo>(resp, "DataFlows").map_err(|what| malformed(&what))?;
                Reply::Flows(DescribePage {
                    total_count,
                    data_flows,
                    request_id,
                })
            }
            Request::DescribeTasks(_) => {
                let (total_count, tasks) =
                    page::<TaskInfo>(resp, "LifecycleDataTask").map_err(|what| malformed(&what))?;
                Reply::Tasks(TaskPage {
                    total_count,
                    tasks,
                    request_id,
                })
            }
        })
    }
}

/// `TotalCount` and the list under `field` of a page; a missing or null list is empty.
fn page<T: serde::de::DeserializeOwned>(
    resp: &Value,
    field: &str,
) -> Result<(u64, Vec<T>), String> {
    let total = resp
        .get("TotalCount")
        .and_then(Value::as_u64)
        .ok_or_else(|| "the answer has no TotalCount".to_owned())?;
    let items = match resp.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value::<Vec<T>>(v.clone())
            .map_err(|_| format!("{field} is not a list of the API's items"))?,
    };
    Ok((total, items))
}

impl Reply {
    /// The answer's request id.
    pub fn request_id(&self) -> &str {
        match self {
            Reply::Created(r) => &r.request_id,
            Reply::Deleted(r) => &r.request_id,
            Reply::Modified(r) => &r.request_id,
            Reply::Flows(r) => &r.request_id,
            Reply::TaskCreated(r) => &r.request_id,
            Reply::Tasks(r) => &r.request_id,
            Reply::TaskStopped(r) => &r.request_id,
        }
    }

    /// The resource the answer names: the flow created or modified, the task created.
    pub fn resource_id(&self) -> Option<&str> {
        match self {
            Reply::Created(r) => Some(&r.data_flow_id),
            Reply::Modified(r) => Some(&r.data_flow_id),
            Reply::TaskCreated(r) => Some(&r.task_id),
            _ => None,
        }
    }
}
