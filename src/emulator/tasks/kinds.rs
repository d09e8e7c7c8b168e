//! The words of a lifecycle data task: its `Type`, its `TaskStatus`, what it works on, and its
//! parameters.

/// A data task's `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Every type, in the order the API documents them.
    pub const ALL: [TaskType; 4] = [
        TaskType::Metaload,
        TaskType::Restore,
        TaskType::Release,
        TaskType::Archive,
    ];

    /// The API's name: `metaload`, `restore`, `release` or `archive`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::Metaload => "metaload",
            TaskType::Restore => "restore",
            TaskType::Release => "release",
            TaskType::Archive => "archive",
        }
    }

    /// The type named exactly `name` (the service's names are lower case).
    pub fn parse(name: &str) -> Option<TaskType> {
        TaskType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether it moves the data itself (restore, archive) rather than metadata or a cached
    /// copy (metaload, release, which are much quicker).
    pub fn moves_data(self) -> bool {
        matches!(self, TaskType::Restore | TaskType::Archive)
    }
}

/// A data task's `TaskStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Queued: waiting for one of its file system's running slots.
    Init,
    /// Running: its progress grows.
    Running,
    /// Ended with every file done or failed (`FileFailedCount` may be above 0).
    Finished,
    /// Ended part-way.
    Failed,
    /// Asked to stop; `stopped` a moment later.
    Stopping,
    /// Stopped; its progress frozen where it was.
    Stopped,
}

impl TaskStatus {
    /// Every status, in the order the API documents them.
    pub const ALL: [TaskStatus; 6] = [
        TaskStatus::Init,
        TaskStatus::Running,
        TaskStatus::Finished,
        TaskStatus::Failed,
        TaskStatus::Stopping,
        TaskStatus::Stopped,
    ];

    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Init => "init",
            TaskStatus::Running => "running",
            TaskStatus::Finished => "finished",
            TaskStatus::Failed => "failed",
            TaskStatus::Stopping => "stopping",
            TaskStatus::Stopped => "stopped",
        }
    }

    /// Queued, running or stopping: the task still holds its flow (DeleteDataFlow refuses).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TaskStatus::Init | TaskStatus::Running | TaskStatus::Stopping
        )
    }
}

/// What a task works on: one path, or a list file of paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskTarget {
    /// `TaskPath`: a directory or a file, starting `/cfs/`.
    Path(String),
    /// `ListPath`: a file inside the file system listing one `/cfs/...` path per line.
    List(String),
}

impl TaskTarget {
    /// The path as given, whichever kind it is.
    pub fn path(&self) -> &str {
        match self {
            TaskTarget::Path(p) | TaskTarget::List(p) => p,
        }
    }

    /// `TaskPath`, or "" for a list task.
    pub fn task_path(&self) -> &str {
        match self {
            TaskTarget::Path(p) => p,
            TaskTarget::List(_) => "",
        }
    }

    /// `ListPath`, or "" for a path task.
    pub fn list_path(&self) -> &str {
        match self {
            TaskTarget::List(p) => p,
            TaskTarget::Path(_) => "",
        }
    }
}

/// A task's parameters: a valid CreateLifecycleDataTask, or a task a test adds with
/// [`crate::emulator::Emulator::add_task`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// `FileSystemId`.
    pub file_system_id: String,
    /// `Type`.
    pub task_type: TaskType,
    /// `TaskName`; not unique: two creates with one name make two tasks.
    pub task_name: String,
    /// `TaskPath` or `ListPath`.
    pub target: TaskTarget,
    /// The flow it goes through; it must exist on the file system and be `available`.
    pub data_flow_id: Option<String>,
    /// `IsOverwrite`.
    pub is_overwrite: bool,
}

impl NewTask {
    /// A `TaskPath` task with no flow and no overwrite.
    pub fn new(file_system_id: &str, task_type: TaskType, task_name: &str, path: &str) -> Self {
        NewTask {
            file_system_id: file_system_id.to_owned(),
            task_type,
            task_name: task_name.to_owned(),
            target: TaskTarget::Path(path.to_owned()),
            data_flow_id: None,
            is_overwrite: false,
        }
    }
}
