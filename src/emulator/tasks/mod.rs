//! Lifecycle data tasks: CreateLifecycleDataTask, DescribeLifecycleDataTask and
//! StopLifecycleDataTask, a queue and running slots per file system, sizes that follow from
//! the path, and seeded failures.

pub(crate) mod create;
pub(crate) mod describe;
mod kinds;
mod record;
pub(crate) mod size;
pub(crate) mod stop;
pub(crate) mod table;
pub(crate) mod task;

pub use kinds::{NewTask, TaskStatus, TaskTarget, TaskType};
pub use record::TaskRecord;
pub use size::Counts;
pub(crate) use table::{TaskLife, Tasks};
