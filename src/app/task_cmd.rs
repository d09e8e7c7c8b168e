//! `bulkflow task`: start one data task per row's flow, or stop the rows' tasks; with `--wait`,
//! follow them to their end. The same engine as `run`: paced, resumable, exactly once.

use crate::cli::TaskArgs;
use crate::settings::{self, Terminal};

use super::failure::Outcome;
use super::inputs::load_region;
use super::run_cmd::{execute, prepare};
use super::{env_var, home};

/// `bulkflow task`.
pub(super) fn task(args: &TaskArgs, terminal: &Terminal) -> Outcome {
    let s = settings::resolve_task(args, &env_var, home())?;
    let region = load_region(&s.region, &s.profile, s.allow_unknown_region)?;
    let (s, _spool, mut out) = prepare(s)?;
    let outcome = execute(&s, region, terminal, &mut out);
    out.finish(outcome)
}
