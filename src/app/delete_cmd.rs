//! `bulkflow delete`: what will be deleted is shown first; on a terminal the user confirms,
//! without one `--yes` is required; `--dry-run` only shows. Then the engine deletes, paced,
//! resumable and exactly once like `run`.

use std::io::{BufRead, IsTerminal};

use serde_json::{json, Value};

use crate::cli::{DeleteArgs, LogFormat};
use crate::engine::Goal;
use crate::exit::ExitCode;
use crate::manifest;
use crate::report::diag::{self, Diag, Level};
use crate::report::logging;
use crate::settings::{self, Settings};
use crate::store;

use super::offline::{load_region, manifest_options, print_problems};
use super::run_cmd::{execute, prepare};
use super::{env_var, error, home};

/// `bulkflow delete`.
pub(super) fn delete(args: &DeleteArgs, quiet: bool) -> ExitCode {
    let a = &args.api;
    if a.wait || a.wait_timeout.is_some() || a.update || a.rotate_keys || a.retry_failed || a.json {
        error("delete takes none of --wait, --wait-timeout, --update, --rotate-keys, --retry-failed, --json");
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
    if s.input.stdin && !args.yes && !s.dry_run {
        error("delete with the manifest on stdin cannot ask for confirmation there; pass --yes");
        return ExitCode::Usage;
    }
    let region = load_region(&s.region, &s.profile);
    let (s, _spool, mut out) = match prepare(s) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let shown = match preview(&s, region.clone()) {
        Ok(p) => p,
        Err(code) => return out.finish(code),
    };
    shown.print();
    if s.dry_run {
        diag::info("dry run: nothing deleted");
        return ExitCode::Ok;
    }
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

/// What a delete would touch, as a table (text) or one `INFO` object with `per_group` (JSON).
struct Preview {
    head: String,
    table: String,
    groups: Vec<Value>,
    rows: u64,
}

impl Preview {
    /// Prints the preview on stderr.
    fn print(&self) {
        match diag::format() {
            LogFormat::Text => {
                logging::write_stderr(format!("{}\n{}", self.head, self.table).as_bytes());
            }
            LogFormat::Json => diag::emit(
                &Diag::new(Level::Info, self.head.trim_start_matches("bulkflow: "))
                    .field("rows", self.rows)
                    .field("per_group", self.groups.clone()),
            ),
        }
    }
}

/// What a delete would touch: the manifest's rows per region and file system, and how many of
/// them the state file records with a flow.
fn preview(s: &Settings, region: Option<String>) -> Result<Preview, ExitCode> {
    let opts = manifest_options(&s.input, region);
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
    let head = format!(
        "bulkflow: delete the data flows of {} rows of {} (the recorded flow, or the flow at the \
         row's directory with the row's source; never another):",
        plan.rows,
        s.input.shown()
    );
    let mut table = format!(
        "  {:<20} {:<24} {:>8} {:>10}\n",
        "region", "file system", "rows", "recorded"
    );
    let mut groups = Vec::new();
    for ((region, fs), n) in &plan.per_group {
        let r = recorded.get(fs).copied().unwrap_or(0);
        table.push_str(&format!("  {region:<20} {fs:<24} {n:>8} {r:>10}\n"));
        groups.push(json!({"region": region, "file_system_id": fs, "rows": n, "recorded": r}));
    }
    Ok(Preview {
        head,
        table,
        groups,
        rows: plan.rows,
    })
}
