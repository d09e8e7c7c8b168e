//! What an emulator has seen and done, for tests to check.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of an emulator's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// CreateDataFlow calls received (any outcome).
    pub create_calls: u64,
    /// DescribeDataFlow calls received (any outcome).
    pub describe_calls: u64,
    /// DeleteDataFlow calls received (any outcome).
    pub delete_calls: u64,
    /// ModifyDataFlow calls received (any outcome).
    pub modify_calls: u64,
    /// Calls answered `RequestLimitExceeded`.
    pub throttled: u64,
    /// Flows created, by any path (answered, lost response, late create).
    pub created: u64,
    /// Flows whose deletion started, by any path.
    pub deleted: u64,
    /// ModifyDataFlow calls that acted, by any path.
    pub modified: u64,
    /// Calls that change something (flows or tasks) that acted, then closed the connection
    /// with no response.
    pub lost_responses: u64,
    /// Listings (DescribeDataFlow, DescribeLifecycleDataTask) that closed the connection with
    /// no response.
    pub lost_listings: u64,
    /// Calls that change something (flows or tasks) held unanswered until the client gave up.
    pub late_creates: u64,
    /// Calls answered `InternalError`.
    pub internal_errors: u64,
    /// Calls answered `AuthFailure.*`.
    pub auth_failures: u64,
    /// Other error answers (validation, unknown action, oversized body, ...).
    pub rejected: u64,
}

/// What an emulator has seen and done with data tasks, for tests to check (the fault counters
/// of [`Counters`] count the task actions too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskCounters {
    /// CreateLifecycleDataTask calls received (any outcome).
    pub create_calls: u64,
    /// DescribeLifecycleDataTask calls received (any outcome).
    pub describe_calls: u64,
    /// StopLifecycleDataTask calls received (any outcome).
    pub stop_calls: u64,
    /// Tasks created by calls, by any path (answered, lost response, late create).
    pub created: u64,
    /// Stop calls that stopped a queued or running task, by any path.
    pub stopped: u64,
    /// Creates answered `InvalidParameterValue.WaitingTaskLimitExceeded`.
    pub queue_full: u64,
}

/// Which counter to bump.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    CreateCalls,
    DescribeCalls,
    DeleteCalls,
    ModifyCalls,
    Throttled,
    Created,
    Deleted,
    Modified,
    LostResponses,
    LateCreates,
    LostListings,
    InternalErrors,
    AuthFailures,
    Rejected,
    CreateTaskCalls,
    DescribeTaskCalls,
    StopTaskCalls,
    TasksCreated,
    TasksStopped,
    QueueFull,
}

/// The live counters, updated without a lock.
#[derive(Debug, Default)]
pub(crate) struct LiveCounters([AtomicU64; 20]);

impl LiveCounters {
    /// Adds one to `counter`.
    pub(crate) fn bump(&self, counter: Counter) {
        self.0[counter as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The current values.
    pub(crate) fn snapshot(&self) -> Counters {
        let get = |c: Counter| self.0[c as usize].load(Ordering::Relaxed);
        Counters {
            create_calls: get(Counter::CreateCalls),
            describe_calls: get(Counter::DescribeCalls),
            delete_calls: get(Counter::DeleteCalls),
            modify_calls: get(Counter::ModifyCalls),
            throttled: get(Counter::Throttled),
            created: get(Counter::Created),
            deleted: get(Counter::Deleted),
            modified: get(Counter::Modified),
            lost_responses: get(Counter::LostResponses),
            late_creates: get(Counter::LateCreates),
            lost_listings: get(Counter::LostListings),
            internal_errors: get(Counter::InternalErrors),
            auth_failures: get(Counter::AuthFailures),
            rejected: get(Counter::Rejected),
        }
    }

    /// The current values of the task counters.
    pub(crate) fn tasks(&self) -> TaskCounters {
        let get = |c: Counter| self.0[c as usize].load(Ordering::Relaxed);
        TaskCounters {
            create_calls: get(Counter::CreateTaskCalls),
            describe_calls: get(Counter::DescribeTaskCalls),
            stop_calls: get(Counter::StopTaskCalls),
            created: get(Counter::TasksCreated),
            stopped: get(Counter::TasksStopped),
            queue_full: get(Counter::QueueFull),
        }
    }
}
