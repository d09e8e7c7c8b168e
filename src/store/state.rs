//! The states a manifest row can be in (SPEC "Row states").

use std::fmt;

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowState {
    /// Not yet attempted.
    Pending,
    /// A transient failure; will be tried again.
    Retrying,
    /// A call whose outcome is not known; resolved against DescribeDataFlow before any resend.
    Unknown,
    /// Has its `DataFlowId`.
    Created,
    /// Permanent failure, with its error code and message.
    Failed,
    /// Its flow was deleted by `bulkflow delete`; a later run creates it again.
    Deleted,
}

impl RowState {
    /// Every state, in the order reports list them.
    pub const ALL: [RowState; 6] = [
        RowState::Created,
        RowState::Failed,
        RowState::Deleted,
        RowState::Unknown,
        RowState::Retrying,
        RowState::Pending,
    ];

    /// The name used in the state file, `status` and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Pending => "pending",
            RowState::Retrying => "retrying",
            RowState::Unknown => "unknown",
            RowState::Created => "created",
            RowState::Failed => "failed",
            RowState::Deleted => "deleted",
        }
    }

    /// The state of a name; `None` for anything else.
    pub fn parse(s: &str) -> Option<RowState> {
        RowState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for RowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
