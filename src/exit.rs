//! SPEC's exit codes, in one type: every command ends in one of these, and scripts and cron jobs
//! branch on the number, so the numbers never change.

/// How a command ended (SPEC "Exit codes"). The discriminants are the process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// Every row of the manifest has its data flow; or a command other than `run` succeeded.
    Ok = 0,
    /// The run finished, and some rows failed permanently.
    FailedRows = 1,
    /// A usage error or an invalid manifest: nothing was sent.
    Usage = 2,
    /// Stopped early on a fatal API error (credentials, permissions, endpoint); resumable.
    Fatal = 3,
    /// Interrupted (signal or `--max-runtime`) with rows left, or the manifest changed during
    /// the run; resumable.
    Interrupted = 4,
    /// The state file is in use by another run, or unreadable.
    State = 5,
}

impl ExitCode {
    /// The process exit code.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> std::process::ExitCode {
        // Every code is 0 to 5.
        std::process::ExitCode::from(code as u8)
    }
}

impl From<ExitCode> for i32 {
    fn from(code: ExitCode) -> i32 {
        code.code()
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode::*;

    #[test]
    fn the_numbers_are_specs() {
        let table = [
            (Ok, 0),
            (FailedRows, 1),
            (Usage, 2),
            (Fatal, 3),
            (Interrupted, 4),
            (State, 5),
        ];
        for (code, n) in table {
            assert_eq!(code.code(), n, "{code:?}");
            assert_eq!(i32::from(code), n, "{code:?}");
        }
    }
}
