//! The commands that read a state file and change nothing: `status` (counts and the last run's
//! rate, as text or JSON) and `report` (every row as CSV or JSON Lines, or one HTML page), on
//! stdout or into `--output FILE`.

use crate::cli::{ReportArgs, StatusArgs};
use crate::report::{export, report_file, status};
use crate::settings;
use crate::store::{self, RowState};

use super::failure::{Failure, Outcome};
use super::state_file::open_state;
use super::stdout;

/// `bulkflow status`.
pub(super) fn status(args: &StatusArgs) -> Outcome {
    let (path, conn) = open_state(&args.location)?;
    let s = status::load(&conn, &path)
        .map_err(|e| Failure::State(format!("{}: {e}", path.display())))?;
    if args.json {
        stdout(&format!("{}\n", s.json()))
    } else {
        stdout(&s.text())
    }
}

/// `bulkflow report`.
pub(super) fn report(args: &ReportArgs) -> Outcome {
    let (path, conn) = open_state(&args.location)?;
    let format = settings::report_format(args.format);
    let req = export::ReportRequest {
        format,
        only: args.only.as_deref().and_then(RowState::parse),
        run: args.run,
        state_file: Some(path.clone()),
    };
    if let Some(id) = args.run {
        report_file::check_run(&conn, &path, format, id)?;
    }
    if let Some(out) = &args.output {
        let manifest = args.location.manifest.as_deref();
        return Ok(report_file::write(&conn, &path, manifest, &req, out)?);
    }
    match export::write_request(&conn, &req, std::io::stdout().lock()) {
        Ok(()) => Ok(()),
        // The reader went away (`| head`): what it read was written.
        Err(store::read::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::State(format!("{}: {e}", path.display()))),
    }
}
