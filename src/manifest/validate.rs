//! The full validation pass: every rule on every row, and no two rows claiming one directory.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::dupes::Duplicates;
use super::open::{open, Opened};
use super::options::ManifestOptions;
use super::problem::{ManifestError, Problems};
use super::rules::{check, RowContext};
use super::source::Source;
use super::split::{AtCut, Cut, SPLIT_FROM_BYTES};

/// What a valid manifest asks for, for the dry-run plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// How many rows (data flows) the manifest lists.
    pub rows: u64,
    /// Rows per (region, file system).
    pub per_group: BTreeMap<(String, String), u64>,
}

/// What checking some of a manifest's records found.
#[derive(Default)]
struct Part {
    problems: Problems,
    rows: u64,
    /// Rows per region and file system: hashed while counting (a row at a time), ordered once.
    groups: HashMap<String, HashMap<String, u64>>,
    ids: Duplicates,
}

impl Part {
    /// Counts a row of `region` and file system `fs`.
    fn count(&mut self, region: &str, fs: &str) {
        self.rows += 1;
        if let Some(n) = self.groups.get_mut(region).and_then(|g| g.get_mut(fs)) {
            *n += 1;
            return;
        }
        let group = self.groups.entry(region.to_owned()).or_default();
        *group.entry(fs.to_owned()).or_default() += 1;
    }

    /// Takes in what the records after this part's found.
    fn absorb(&mut self, later: Part) -> std::io::Result<()> {
        self.problems.absorb(later.problems);
        self.rows += later.rows;
        for (region, group) in later.groups {
            let ours = self.groups.entry(region).or_default();
            for (fs, n) in group {
                *ours.entry(fs).or_default() += n;
            }
        }
        self.ids.absorb(later.ids)
    }

    /// The plan of what the records ask for.
    fn plan(&mut self) -> Plan {
        let mut per_group = BTreeMap::new();
        for (region, group) in std::mem::take(&mut self.groups) {
            for (fs, n) in group {
                per_group.insert((region.clone(), fs), n);
            }
        }
        Plan {
            rows: self.rows,
            per_group,
        }
    }
}

/// Checks every row of `path` against every rule in one pass and reports all problems at once
/// (the earliest 1000 by line, and the total), including rows that share a file system and
/// target path. Rows are not kept, and the identities for the duplicate check (24 bytes per row)
/// are spilled to a temporary file in sorted chunks: memory does not grow with the manifest. A
/// large CSV file is checked in two halves on two threads (see `split`), with the same result.
pub fn validate(path: &Path, opts: &ManifestOptions) -> Result<Plan, ManifestError> {
    validate_split(path, opts, SPLIT_FROM_BYTES)
}

/// [`validate`], checking CSV files of `split_from` bytes or more in two halves.
pub(crate) fn validate_split(
    path: &Path,
    opts: &ManifestOptions,
    split_from: u64,
) -> Result<Plan, ManifestError> {
    let Opened {
        source,
        header_problems,
        ctx,
    } = open(path, opts)?;
    let spill_error = |source| ManifestError::Io {
        path: format!(
            "{} (the duplicate check's temporary file)",
            ctx.place.file()
        ),
        source,
    };
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    let columns = source.columns().cloned().filter(|_| len >= split_from);
    let cut = match columns {
        Some(_) => Cut::find(path, len).map_err(|source| ManifestError::Io {
            path: ctx.place.file().to_owned(),
            source,
        })?,
        None => None,
    };
    let mut whole = match (cut, columns) {
        (Some(cut), Some(columns)) => std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                let source = cut.open_second_half(path, ctx.place.clone(), columns)?;
                check_records(source, &ctx, |_| cut.abandoned())
            });
            let (mut first, reached) = check_first_half(source, &ctx, &cut)?;
            if !reached {
                cut.abandon();
            }
            #[cfg(test)]
            test_counts::count(reached);
            let second = second.join().map_err(|_| {
                spill_error(std::io::Error::other("the second half's check stopped"))
            })?;
            if reached {
                // The second half is needed: a failure to read it is the manifest's.
                let later = second.map_err(|source| ManifestError::Io {
                    path: ctx.place.file().to_owned(),
                    source,
                })?;
                first.absorb(later).map_err(spill_error)?;
            }
            Ok::<Part, ManifestError>(first)
        })?,
        _ => check_records(source, &ctx, |_| false).map_err(spill_error)?,
    };
    let mut problems = Problems::default();
    header_problems.into_iter().for_each(|p| problems.push(p));
    problems.absorb(std::mem::take(&mut whole.problems));
    let plan = whole.plan();
    whole
        .ids
        .finish(|line, first_line| {
            problems.push(ctx.place.problem(
                line,
                "TargetPath",
                format!(
                    "duplicate of line {first_line}: same FileSystemId and TargetPath \
                     (one data flow per directory; trailing or repeated slashes do not make paths different)"
                ),
            ))
        })
        .map_err(spill_error)?;
    if problems.total() > 0 {
        return Err(problems.into_error());
    }
    Ok(plan)
}

/// Checks the first half up to the cut, or to the end when the cut does not hold; says whether
/// it stopped at the cut.
fn check_first_half(
    source: Box<dyn Source>,
    ctx: &RowContext,
    cut: &Cut,
) -> Result<(Part, bool), ManifestError> {
    let mut reached = false;
    let mut missed = false;
    let part = check_records(source, ctx, |s| {
        if missed {
            return false;
        }
        match cut.check(s) {
            AtCut::Reached => {
                reached = true;
                true
            }
            AtCut::Missed => {
                missed = true;
                cut.abandon();
                false
            }
            AtCut::Before => false,
        }
    })
    .map_err(|source| ManifestError::Io {
        path: format!(
            "{} (the duplicate check's temporary file)",
            ctx.place.file()
        ),
        source,
    })?;
    Ok((part, reached))
}

/// Checks records until the end, or until `stop` says so after a record.
fn check_records(
    mut source: Box<dyn Source>,
    ctx: &RowContext,
    mut stop: impl FnMut(&dyn Source) -> bool,
) -> std::io::Result<Part> {
    let mut part = Part::default();
    let mut scratch = Vec::new();
    while let Some(rec) = source.next_record(&mut scratch) {
        let line = rec.line;
        let checked = if rec.broken {
            None
        } else {
            Some(check(rec, ctx, &mut scratch, true))
        };
        scratch.drain(..).for_each(|p| part.problems.push(p));
        if let Some(checked) = checked {
            if let Some(row) = checked.row {
                part.count(&row.region, &row.request.file_system_id);
            }
            if let Some(id) = checked.identity {
                part.ids.push(id, line)?;
            }
        }
        if stop(&*source) {
            return Ok(part);
        }
    }
    scratch.drain(..).for_each(|p| part.problems.push(p));
    Ok(part)
}

/// How often the cut held and did not, for tests that must exercise both.
#[cfg(test)]
pub(crate) mod test_counts {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static REACHED: AtomicUsize = AtomicUsize::new(0);
    static MISSED: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn count(reached: bool) {
        let c = if reached { &REACHED } else { &MISSED };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// (reached, missed) so far, in this test process.
    pub(crate) fn get() -> (usize, usize) {
        (
            REACHED.load(Ordering::Relaxed),
            MISSED.load(Ordering::Relaxed),
        )
    }
}
