//! The actions the emulator serves, and what a valid call that changes something does.

use super::counters::Counter;
use super::delete::Deletion;
use super::flow::NewFlow;
use super::modify::Change;
use super::tasks::NewTask;

/// The service name in the credential scope of a CFS call.
pub(crate) const SERVICE: &str = "cfs";
/// The CFS API version.
pub(crate) const VERSION: &str = "2019-07-19";

/// The CFS actions the emulator serves; the value indexes the rate windows.
///
/// Every name, for messages: [`ACTION_NAMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create = 0,
    Describe = 1,
    Delete = 2,
    Modify = 3,
    CreateTask = 4,
    DescribeTasks = 5,
    StopTask = 6,
}

impl Action {
    /// How many actions there are: one rate window each.
    pub(crate) const COUNT: usize = 7;

    /// The action `X-TC-Action` names.
    pub(crate) fn from_name(name: &str) -> Option<Action> {
        match name {
            "CreateDataFlow" => Some(Action::Create),
            "DescribeDataFlow" => Some(Action::Describe),
            "DeleteDataFlow" => Some(Action::Delete),
            "ModifyDataFlow" => Some(Action::Modify),
            "CreateLifecycleDataTask" => Some(Action::CreateTask),
            "DescribeLifecycleDataTask" => Some(Action::DescribeTasks),
            "StopLifecycleDataTask" => Some(Action::StopTask),
            _ => None,
        }
    }

    /// The counter of its calls.
    pub(crate) fn counter(self) -> Counter {
        match self {
            Action::Create => Counter::CreateCalls,
            Action::Describe => Counter::DescribeCalls,
            Action::Delete => Counter::DeleteCalls,
            Action::Modify => Counter::ModifyCalls,
            Action::CreateTask => Counter::CreateTaskCalls,
            Action::DescribeTasks => Counter::DescribeTaskCalls,
            Action::StopTask => Counter::StopTaskCalls,
        }
    }
}

/// What a valid call that changes something does, once it acts.
#[derive(Debug)]
pub(crate) enum Effect {
    Create(NewFlow),
    Delete(Deletion),
    Modify(Change),
    CreateTask(NewTask),
    /// Stop the task with this id.
    StopTask(String),
}

/// The names of the actions served, for the answer to an unknown one.
pub(crate) const ACTION_NAMES: &str = "CreateDataFlow, DescribeDataFlow, DeleteDataFlow, \
    ModifyDataFlow, CreateLifecycleDataTask, DescribeLifecycleDataTask, StopLifecycleDataTask";
