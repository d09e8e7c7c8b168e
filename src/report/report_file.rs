//! `report --output FILE`: refused when FILE is the state file, one of its companions or the
//! manifest; written whole or not at all.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::report::export::{self, ReportFormat, ReportRequest};
use crate::report::output::{check_output_path, state_files, write_atomically, OutputError};
use crate::store::read::{self, ReadError};

/// Why `report --output` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    /// Refused before anything was written: FILE is a file bulkflow needs, or `--run` does not
    /// apply.
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

/// Writes the report of the state file `state` into `out`, after checking that `out` is neither
/// one of the state's files nor `manifest` nor the manifest its last run read.
pub fn write(
    conn: &Connection,
    state: &Path,
    manifest: Option<&Path>,
    req: &ReportRequest,
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
    write_atomically(out, |f| export::write_request(conn, req, f)).map_err(|e| match e {
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

/// Checks `report --run ID`: it charts a run in the HTML page, so it needs `--format html` and a
/// run the state file `state` records; refused (exit 2) with a message that says which.
pub fn check_run(
    conn: &Connection,
    state: &Path,
    format: ReportFormat,
    id: i64,
) -> Result<(), ReportFileError> {
    if format != ReportFormat::Html {
        return Err(ReportFileError::Refused(
            "--run applies to --format html only".into(),
        ));
    }
    let state_err = |source| ReportFileError::State {
        path: state.to_owned(),
        source,
    };
    let known: i64 = conn
        .query_row("SELECT count(*) FROM runs WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .map_err(state_err)?;
    if known > 0 {
        return Ok(());
    }
    let last = read::last_run(conn).map_err(state_err)?;
    Err(ReportFileError::Refused(match last {
        Some(r) => format!(
            "{}: there is no run #{id}: runs go up to #{}",
            state.display(),
            r.id
        ),
        None => format!(
            "{}: there is no run #{id}: no run is recorded",
            state.display()
        ),
    }))
}
