//! `bulkflow delete`: what will be deleted is shown first; on a terminal the user confirms,
//! without one `--yes` is required; `--dry-run` only shows. Then the engine deletes, paced,
//! resumable and exactly once like `run`.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::DeleteArgs;
use crate::engine::Goal;
use crate::exit::ExitCode;
use crate::manifest::{self, ManifestOptions};
use crate::settings::{self, Settings};
use crate::store;

use super::offline::{load_region, print_problems};
use super::run_cmd::execute;
use super::{env_var, error, home};

/// `bulkflow delete`.
pub(super) fn delete(args: &DeleteArgs, quiet: bool) -> ExitCode {
    let a = &args.api;
    if a.wait || a.update || a.rotate_keys || a.retry_failed {
        error("delete takes none of --wait, --update, --rotate-keys, --retry-failed");
        return ExitCode::Usage;
    }
    let mut s = match settings::resolve(a, &env_var, home()) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return ExitCode::Usage;
        }
    };
    s.goal = Goal::Delete;
    let region = load_region(&s.region, &s.profile);
    let preview = match preview(&s, region.clone()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    eprint!("{preview}");
    if s.dry_run {
        eprintln!("bulkflow: dry run: nothing deleted");
        return ExitCode::Ok;
    }
    if !args.yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            error("delete asks for confirmation on a terminal; without one, pass --yes");
            return ExitCode::Usage;
        }
        eprint!("Delete these data flows? Type 'yes' to go on: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            eprintln!("bulkflow: nothing deleted");
            return ExitCode::Ok;
        }
    }
    execute(&s, region, quiet)
}

/// What a delete would touch: the manifest's rows per region and file system, and how many of
/// them the state file records with a flow.
fn preview(s: &Settings, region: Option<String>) -> Result<String, ExitCode> {
    let opts = ManifestOptions::from_env(region);
    let plan = match manifest::validate(&s.manifest, &opts) {
        Ok(p) => p,
        Err(e) => {
            print_problems(&e);
            return Err(ExitCode::Usage);
        }
    };
    let recorded = if s.state.exists() {
        match store::open(&s.state, false) {
            Ok(conn) => store::read::flows_per_file_system(&conn).unwrap_or_default(),
            Err(e) => {
                error(e);
                return Err(ExitCode::State);
            }
        }
    } else {
        Default::default()
    };
    let mut out = format!(
        "bulkflow: delete the data flows of {} rows of {} (the recorded flow, or the flow at the \
         row's directory with the row's source; never another):\n",
        plan.rows,
        s.manifest.display()
    );
    out.push_str(&format!(
        "  {:<20} {:<24} {:>8} {:>10}\n",
        "region", "file system", "rows", "recorded"
    ));
    for ((region, fs), n) in &plan.per_group {
        let r = recorded.get(fs).copied().unwrap_or(0);
        out.push_str(&format!("  {region:<20} {fs:<24} {n:>8} {r:>10}\n"));
    }
    Ok(out)
}
