//! `report --output FILE`: refused when FILE is the state file, one of its companions or the
//! manifest; written whole or not at all.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::cli::ReportFormat;
use crate::report::export;
use crate::report::output::{check_output_path, state_files, write_atomically, OutputError};
use crate::store::read::{self, ReadError};
use crate::store::RowState;

/// Why `report --output` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    /// FILE is a file bulkflow needs; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// FILE could not be written; the file that was there is left as it was.
    #[error("{}: {source}", .path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The state file could not be read.
    #[error("{}: {source}", .path.display())]
    State {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl ReportFileError {
    /// SPEC's exit code: 2 for the output file (as when it cannot be created), 5 for the state.
    pub fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode;
        match self {
            ReportFileError::Refused(_) | ReportFileError::Output { .. } => ExitCode::Usage,
            ReportFileError::State { .. } => ExitCode::State,
        }
    }
}

/// Writes the report of the state file `state` into `out`, after checking that `out` is neither
/// one of the state's files nor `manifest` nor the manifest its last run read.
pub fn write(
    conn: &Connection,
    state: &Path,
    manifest: Option<&Path>,
    format: ReportFormat,
    only: Option<RowState>,
    out: &Path,
) -> Result<(), ReportFileError> {
    let mut protected = state_files(state);
    protected.extend(manifest.map(Path::to_owned));
    // Recorded as that run named it: relative to where it ran, so only a best effort.
    if let Ok(Some(run)) = read::last_run(conn) {
        protected.push(PathBuf::from(run.manifest));
    }
    let protected: Vec<&Path> = protected.iter().map(PathBuf::as_path).collect();
    check_output_path(out, &protected).map_err(ReportFileError::Refused)?;
    write_atomically(out, |f| export::write(conn, format, only, f)).map_err(|e| match e {
        OutputError::File { source, .. } | OutputError::Content(ReadError::Io(source)) => {
            ReportFileError::Output {
                path: out.to_owned(),
                source,
            }
        }
        OutputError::Content(ReadError::Sqlite(source)) => ReportFileError::State {
            path: state.to_owned(),
            source,
        },
    })
}
