//! `bulkflow task`: start one data task per row's flow, or stop the rows' tasks; with `--wait`,
//! follow them to their end. The same engine as `run`: paced, resumable, exactly once.

use crate::cli::TaskArgs;
use crate::engine::{Goal, TaskAction};
use crate::exit::ExitCode;
use crate::settings::{self, task_type};

use super::offline::load_region;
use super::run_cmd::{execute, prepare};
use super::{env_var, error, home};

/// `bulkflow task`.
pub(super) fn task(args: &TaskArgs, quiet: bool) -> ExitCode {
    let a = &args.api;
    if a.update || a.rotate_keys || a.json || a.dry_run || !a.task.is_empty() {
        error("task takes none of --update, --rotate-keys, --dry-run, --json, --task");
        return ExitCode::Usage;
    }
    let mut s = match settings::resolve(a, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    let action = match (args.stop, args.kind) {
        (true, kind) => TaskAction::Stop {
            kinds: kind.map(task_type).into_iter().collect(),
        },
        (false, Some(kind)) => TaskAction::Start {
            kind: task_type(kind),
            overwrite: args.overwrite,
            again: args.again,
        },
        (false, None) => {
            error("task needs --type TYPE (metaload, restore, release, archive), or --stop");
            return ExitCode::Usage;
        }
    };
    s.goal = Goal::Task {
        action,
        wait: a.wait.then_some(
            a.wait_timeout
                .unwrap_or(settings::bounds::DEFAULT_WAIT_TIMEOUT),
        ),
    };
    let region = load_region(&s.region, &s.profile);
    let (s, _spool, mut out) = match prepare(s) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let code = execute(&s, region, quiet, &mut out);
    out.finish(code)
}
