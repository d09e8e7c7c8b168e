//! Validating a large CSV manifest on two cores. The file is cut just after the first line end
//! past its middle; a thread checks the records from there while the caller checks the first
//! half. The cut is only a guess (a quoted value may hold a line end): it stands only if the
//! first half's parser finishes a record exactly there. Otherwise the second thread's work is
//! dropped and the first goes on to the end, exactly as one pass would.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::csv_source::CsvSource;
use super::header::Columns;
use super::open::BUFFER;
use super::problem::Place;
use super::source::Source;

/// From this size on, a CSV manifest is checked in two halves.
pub(crate) const SPLIT_FROM_BYTES: u64 = 8 << 20;

/// What the two halves share while they run.
#[derive(Debug)]
pub(crate) struct Cut {
    /// The offset where the second half starts.
    at: u64,
    /// The line the parser counts there.
    line: u64,
    /// The first half did not end at the cut: the second half's work is of no use.
    abandoned: AtomicBool,
}

/// What the first half's parser says of the cut after a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AtCut {
    /// Not there yet.
    Before,
    /// The record just read ended at the cut: the first half is done.
    Reached,
    /// The record just read went past the cut: read on to the end.
    Missed,
}

impl Cut {
    /// The cut of `path` (`len` bytes): just after the first LF at or past its middle; `None`
    /// when there is no line end there before the end of the file.
    pub(crate) fn find(path: &Path, len: u64) -> io::Result<Option<Cut>> {
        Ok(find_cut(path, len)?.map(|(at, line)| Cut {
            at,
            line,
            abandoned: AtomicBool::new(false),
        }))
    }

    /// Where the first half's source stands against the cut.
    pub(crate) fn check(&self, first: &dyn Source) -> AtCut {
        let Some((offset, after_cr)) = first.next_offset() else {
            return AtCut::Before;
        };
        // A record that ended with a CR just before the cut's LF ends at the cut too.
        if offset == self.at || (after_cr && offset + 1 == self.at) {
            AtCut::Reached
        } else if offset > self.at {
            AtCut::Missed
        } else {
            AtCut::Before
        }
    }

    /// The first half went past the cut: the second half may stop.
    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
    }

    /// Whether the second half may stop.
    pub(crate) fn abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Acquire)
    }

    /// Opens the second half's source at the cut.
    pub(crate) fn open_second_half(
        &self,
        path: &Path,
        place: Place,
        columns: Columns,
    ) -> io::Result<Box<dyn Source>> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(self.at))?;
        let input = BufReader::with_capacity(BUFFER, file);
        Ok(Box::new(CsvSource::resume(
            input, self.at, self.line, place, columns,
        )))
    }
}

/// The offset just after the first LF at or past the middle of the file, and the line the CSV
/// parser counts there (one more than the LFs before it, quoted or not).
fn find_cut(path: &Path, len: u64) -> io::Result<Option<(u64, u64)>> {
    let mut file = BufReader::with_capacity(BUFFER, File::open(path)?);
    let middle = len / 2;
    let mut buf = vec![0u8; BUFFER];
    let mut pos = 0u64;
    let mut lines = 1u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        let chunk = &buf[..n];
        // LFs wholly before the middle are only counted.
        let before = (middle.saturating_sub(pos)).min(n as u64) as usize;
        lines += memchr::memchr_iter(b'\n', &chunk[..before]).count() as u64;
        if let Some(i) = memchr::memchr(b'\n', &chunk[before..]) {
            let cut = pos + (before + i) as u64 + 1;
            return Ok((cut < len).then_some((cut, lines + 1)));
        }
        pos += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_is_after_the_first_lf_past_the_middle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        // 10 lines of 10 bytes: the middle (50) starts line 6; its LF ends at 59.
        let text: String = (0..10).map(|i| format!("line{i:04}x\n")).collect();
        std::fs::write(&path, &text).unwrap();
        assert_eq!(find_cut(&path, 100).unwrap(), Some((60, 7)));
        // A line end at the very end is no cut.
        std::fs::write(&path, "aaaa\n").unwrap();
        assert_eq!(find_cut(&path, 5).unwrap(), None);
        std::fs::write(&path, "a\nbcdefgh").unwrap();
        assert_eq!(find_cut(&path, 9).unwrap(), None);
    }
}
