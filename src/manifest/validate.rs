//! The full validation pass: every rule on every row, and no two rows claiming one directory.

use std::collections::BTreeMap;
use std::path::Path;

use super::open::{open, Opened};
use super::options::ManifestOptions;
use super::problem::{ManifestError, Place, Problems};
use super::row::Identity;
use super::rules::check;

/// What a valid manifest asks for, for the dry-run plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// How many rows (data flows) the manifest lists.
    pub rows: u64,
    /// Rows per (region, file system).
    pub per_group: BTreeMap<(String, String), u64>,
}

/// Checks every row of `path` against every rule in one pass and reports all problems at once
/// (the earliest 1000 by line, and the total), including rows that share a file system and
/// target path. Rows are not kept: only 24 bytes per row (a 128-bit identity hash and a line), so
/// a million rows validate in a few tens of megabytes.
pub fn validate(path: &Path, opts: &ManifestOptions) -> Result<Plan, ManifestError> {
    let Opened {
        mut source,
        header_problems,
        ctx,
    } = open(path, opts)?;
    let mut problems = Problems::default();
    header_problems.into_iter().for_each(|p| problems.push(p));
    let mut plan = Plan::default();
    let mut ids: Vec<(Identity, u64)> = Vec::new();
    let mut scratch = Vec::new();
    while let Some(rec) = source.next_record(&mut scratch) {
        let line = rec.line;
        let checked = if rec.broken {
            None
        } else {
            Some(check(rec, &ctx, &mut scratch))
        };
        scratch.drain(..).for_each(|p| problems.push(p));
        let Some(checked) = checked else { continue };
        if let Some(row) = checked.row {
            plan.rows += 1;
            if problems.total() == 0 {
                *plan
                    .per_group
                    .entry((row.region, row.request.file_system_id))
                    .or_default() += 1;
            }
        }
        if let Some(id) = checked.identity {
            ids.push((id, line));
        }
    }
    scratch.drain(..).for_each(|p| problems.push(p));
    report_duplicates(ids, &ctx.place, &mut problems);
    if problems.total() > 0 {
        return Err(problems.into_error());
    }
    Ok(plan)
}

/// Reports every row whose identity an earlier row already has, naming the earliest line.
fn report_duplicates(mut ids: Vec<(Identity, u64)>, place: &Place, problems: &mut Problems) {
    ids.sort_unstable();
    let mut first: Option<(Identity, u64)> = None;
    for (id, line) in ids {
        match first {
            Some((f, first_line)) if f == id => problems.push(place.problem(
                line,
                "TargetPath",
                format!(
                    "duplicate of line {first_line}: same FileSystemId and TargetPath \
                     (one data flow per directory; trailing or repeated slashes do not make paths different)"
                ),
            )),
            _ => first = Some((id, line)),
        }
    }
}
