//! `bulkflow delete`: what will be deleted is shown first (on stderr, beside the prompt); on a
//! terminal the user confirms, without one `--yes` is required. `--dry-run` only shows, and
//! then the preview is the output asked for: on stdout, for a script to keep. Then the engine
//! deletes, paced, resumable and exactly once like `run`.

use std::io::{BufRead, IsTerminal};

use crate::cli::DeleteArgs;
use crate::exit::ExitCode;
use crate::report::diag;
use crate::report::logging;
use crate::settings;

use super::delete_preview::preview;
use super::offline::load_region;
use super::run_cmd::{execute, prepare};
use super::{env_var, error, home};

/// `bulkflow delete`.
pub(super) fn delete(args: &DeleteArgs, quiet: bool) -> ExitCode {
    let s = match settings::resolve_delete(args, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    if s.input.stdin && !args.yes && !s.dry_run {
        error("delete with the manifest on stdin cannot ask for confirmation there; pass --yes");
        return ExitCode::Usage;
    }
    let region = match load_region(&s.region, &s.profile, s.allow_unknown_region) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let (s, _spool, mut out) = match prepare(s) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let shown = match preview(&s, region.clone()) {
        Ok(p) => p,
        Err(code) => return out.finish(code),
    };
    if s.dry_run {
        let code = super::stdout(&shown.output());
        diag::info("dry run: nothing deleted");
        return code;
    }
    shown.print();
    if !args.yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            error("delete asks for confirmation on a terminal; without one, pass --yes");
            return out.finish(ExitCode::Usage);
        }
        logging::write_stderr(b"Delete these data flows? Type 'yes' to go on: ");
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            diag::info("nothing deleted");
            return ExitCode::Ok;
        }
    }
    let code = execute(&s, region, quiet, &mut out);
    out.finish(code)
}
