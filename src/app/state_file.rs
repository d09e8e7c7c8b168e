//! What the app reads from a state file without writing to it or taking its lock: before a run,
//! whose manifest it records (a state file of another manifest is refused) and the counts it
//! holds (for the files a run writes when it ends before it has figures of its own); for
//! `status` and `report`, the state file itself, found from the manifest or named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::StateLocation;
use crate::report::diag;
use crate::report::status;
use crate::settings::{default_state, Settings};
use crate::store::{self, RowState};

use super::failure::Failure;

/// What the state file holds for the last run's manifest: rows per state and their total, and
/// its data tasks per type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Recorded {
    pub(super) counts: BTreeMap<RowState, u64>,
    pub(super) total: u64,
    pub(super) tasks: Vec<(
        crate::api::tasks::TaskType,
        crate::store::task_read::TaskCounts,
    )>,
}

/// The counts `status` would show for `state`; `None` when there is no state file, or it
/// cannot be read (the run says why, if it gets that far).
pub(super) fn recorded(state: &Path) -> Option<Recorded> {
    let ro = store::open_read_only(state).ok()?;
    if !ro.has_schema() {
        return Some(Recorded::default());
    }
    let st = status::load(ro.connection(), state).ok()?;
    Some(Recorded {
        total: st.counts.values().sum(),
        counts: st.counts,
        tasks: st.tasks,
    })
}

/// The manifest the state file's last run recorded, as that run named it.
fn recorded_manifest(state: &Path) -> Option<String> {
    let ro = store::open_read_only(state).ok()?;
    if !ro.has_schema() {
        return None;
    }
    store::read::last_run(ro.connection())
        .ok()
        .flatten()
        .map(|r| r.manifest)
}

/// Whether `a` and `b` name the same file (another spelling, a link).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Refuses a state file whose last run was of another manifest, unless `--adopt-state`.
///
/// "Another manifest": the path the last run recorded (as that run named it, relative to where
/// it ran) still names a file here, and it is not this manifest. A recorded manifest that no
/// longer exists is taken for this one, moved or renamed (said on stderr); so is a recorded
/// manifest read from stdin, which has no name to compare. A manifest read from stdin now is
/// not compared either: it has no name.
pub(super) fn check_owner(s: &Settings) -> Result<(), Failure> {
    if s.adopt_state || s.input.stdin || !s.state.exists() {
        return Ok(());
    }
    let Some(recorded) = recorded_manifest(&s.state) else {
        return Ok(());
    };
    let theirs = PathBuf::from(&recorded);
    let ours = &s.input.manifest;
    if theirs == *ours || same_file(&theirs, ours) || is_stdin_copy(&theirs) {
        return Ok(());
    }
    if !theirs.exists() {
        diag::info(format_args!(
            "{}: its last run was of {recorded}, which is not there any more: taken as {} \
             moved or renamed",
            s.state.display(),
            ours.display()
        ));
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "{}: this state file records runs of the manifest {recorded}, which is still there, not \
         of {}: used for it, the rows of {recorded} would become `left the manifest`. Give {} \
         its own state file (--state FILE; without it, {}), or pass --adopt-state to take this \
         one over",
        s.state.display(),
        ours.display(),
        ours.display(),
        default_state(ours).display(),
    )))
}

/// A private copy of a manifest read from stdin (`app::stdin_spool`), removed after its run.
fn is_stdin_copy(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".bulkflow-stdin-"))
}

/// The state file `status` and `report` read: the one named, else the manifest's.
fn state_of(loc: &StateLocation) -> PathBuf {
    match (&loc.state, &loc.manifest) {
        (Some(s), _) => s.clone(),
        (None, Some(m)) => default_state(m),
        (None, None) => PathBuf::from("bulkflow.db"),
    }
}

/// Why there is no state file at `path` for `status` or `report`, with a did-you-mean: a usage
/// error (exit 2), not a state file in use or unreadable (exit 5, which cron jobs alert on).
fn missing_state(loc: &StateLocation, path: &Path) -> String {
    let near = |p: &Path| match crate::manifest::nearby::closest_file(p) {
        Some(n) => format!("; did you mean {}?", n.display()),
        None => String::new(),
    };
    match (&loc.state, &loc.manifest) {
        (None, Some(m)) if !m.exists() => {
            format!("{}: no such file{}", m.display(), near(m))
        }
        (None, Some(m)) => format!(
            "{}: no state file: no run of {} has recorded anything there (or its runs were \
             given --state FILE: pass the same --state here)",
            path.display(),
            m.display()
        ),
        _ => format!("{}: no such state file{}", path.display(), near(path)),
    }
}

/// Opens an existing state file for `status` and `report`.
pub(super) fn open_state(loc: &StateLocation) -> Result<(PathBuf, rusqlite::Connection), Failure> {
    let path = state_of(loc);
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Err(Failure::Usage(missing_state(loc, &path)));
    }
    let conn = store::open(&path, false)?;
    Ok((path, conn))
}
