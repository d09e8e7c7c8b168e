//! `bulkflow delete`: what will be deleted is shown first (on stderr, beside the prompt); on a
//! terminal the user confirms, without one `--yes` is required. `--dry-run` only shows, and
//! then the preview is the output asked for: on stdout, for a script to keep. Then the engine
//! deletes, paced, resumable and exactly once like `run`.

use std::io::{BufRead, IsTerminal};

use crate::cli::DeleteArgs;
use crate::report::diag;
use crate::report::logging;
use crate::settings::{self, Terminal};

use super::delete_preview::preview;
use super::failure::{Failure, Outcome};
use super::inputs::load_region;
use super::run_cmd::{execute, prepare};
use super::{env_var, home};

/// `bulkflow delete`.
pub(super) fn delete(args: &DeleteArgs, terminal: &Terminal) -> Outcome {
    let s = settings::resolve_delete(args, &env_var, home())?;
    if s.input.stdin && !args.yes && !s.dry_run {
        return Err(Failure::Usage(
            "delete with the manifest on stdin cannot ask for confirmation there; pass --yes"
                .into(),
        ));
    }
    let region = load_region(&s.region, &s.profile, s.allow_unknown_region)?;
    let (s, _spool, mut out) = prepare(s)?;
    let shown = match preview(&s, region.clone()) {
        Ok(p) => p,
        Err(failure) => return out.finish(Err(failure)),
    };
    if s.dry_run {
        let written = super::stdout(&shown.output());
        diag::info("dry run: nothing deleted");
        return written;
    }
    shown.print();
    if !args.yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return out.finish(Err(Failure::Usage(
                "delete asks for confirmation on a terminal; without one, pass --yes".into(),
            )));
        }
        logging::write_stderr(b"Delete these data flows? Type 'yes' to go on: ");
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            diag::info("nothing deleted");
            return Ok(());
        }
    }
    let outcome = execute(&s, region, terminal, &mut out);
    out.finish(outcome)
}
