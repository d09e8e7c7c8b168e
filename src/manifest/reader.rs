//! The streaming reader the run uses after validation: rows in file order, per-row rules applied.

use std::collections::VecDeque;
use std::path::Path;

use super::open::{open, Opened};
use super::options::ManifestOptions;
use super::problem::{ManifestError, Problem, Problems};
use super::row::Row;
use super::rules::{check, RowContext};
use super::source::Source;

/// Rows of a manifest in file order. A record with problems yields each of them as an `Err` (in
/// the order found) and no row; reading goes on with the next record. Duplicate identities are
/// not checked here: [`validate`](super::validate) does that. The reader owns everything it needs
/// (`Send + 'static`), so it can be moved to a blocking thread.
pub struct Reader {
    source: Box<dyn Source>,
    ctx: RowContext,
    pending: VecDeque<Problem>,
    scratch: Vec<Problem>,
}

/// Opens `path` for reading rows. A problem in the CSV header (an unknown, repeated or missing
/// column, or no region at all) is an error here, since no row could be read correctly.
pub fn read(path: &Path, opts: &ManifestOptions) -> Result<Reader, ManifestError> {
    let Opened {
        source,
        header_problems,
        ctx,
    } = open(path, opts)?;
    if !header_problems.is_empty() {
        let mut problems = Problems::default();
        header_problems.into_iter().for_each(|p| problems.push(p));
        return Err(problems.into_error());
    }
    Ok(Reader {
        source,
        ctx,
        pending: VecDeque::new(),
        scratch: Vec::new(),
    })
}

impl Iterator for Reader {
    type Item = Result<Row, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(p) = self.pending.pop_front() {
                return Some(Err(p));
            }
            let rec = self.source.next_record(&mut self.scratch);
            self.pending.extend(self.scratch.drain(..));
            let rec = match rec {
                None => return self.pending.pop_front().map(Err),
                Some(rec) if rec.broken => continue,
                Some(rec) => rec,
            };
            let checked = check(rec, &self.ctx, &mut self.scratch, false);
            self.pending.extend(self.scratch.drain(..));
            if let Some(row) = checked.row {
                return Some(Ok(row));
            }
        }
    }
}
