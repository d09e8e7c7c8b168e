//! `bulkflow task`: start one data task per row's flow, or stop the rows' tasks; with `--wait`,
//! follow them to their end. The same engine as `run`: paced, resumable, exactly once.

use crate::cli::TaskArgs;
use crate::exit::ExitCode;
use crate::settings;

use super::offline::load_region;
use super::run_cmd::{execute, prepare};
use super::{env_var, error, home};

/// `bulkflow task`.
pub(super) fn task(args: &TaskArgs, quiet: bool) -> ExitCode {
    let s = match settings::resolve_task(args, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    let region = match load_region(&s.region, &s.profile, s.allow_unknown_region) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let (s, _spool, mut out) = match prepare(s) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let code = execute(&s, region, quiet, &mut out);
    out.finish(code)
}
