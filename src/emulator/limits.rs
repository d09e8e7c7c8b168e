//! The service's documented limits and the emulator's defaults, in one place.

/// Longest `DataFlowName`, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// The most items a Describe call answers in one page (`Limit`).
pub(crate) const MAX_PAGE: u64 = 100;
/// The page size of a Describe call without `Limit`.
pub(crate) const DEFAULT_PAGE: u64 = 20;
/// How far back DescribeLifecycleDataTask's `StartTime` may go, in calendar months.
pub(crate) const TASK_WINDOW_MONTHS: u32 = 3;
/// Data tasks that run at once per file system unless told otherwise (`--task-slots`).
pub const DEFAULT_TASK_SLOTS: u32 = 2;
/// Data tasks that may wait `init` per file system unless told otherwise (`--task-queue`).
pub const DEFAULT_TASK_QUEUE: u32 = 100;
/// MB per second of restore and archive unless told otherwise (`--task-mbps`): a task of the
/// middle size lasts about a second, the largest about twenty.
pub const DEFAULT_TASK_MBPS: f64 = 100.0;
/// How long a stopped task is `stopping` unless told otherwise (`--task-stopping-ms`).
pub const DEFAULT_TASK_STOPPING_MS: u64 = 1000;
