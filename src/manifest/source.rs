//! What the CSV and JSONL readers hand to the row rules: one record's raw values by field.

use std::io::{self, BufRead};

use super::fields::FIELD_COUNT;
use super::header::Columns;
use super::problem::Problem;

/// One record as read, before `${NAME}` resolution and the row rules.
#[derive(Debug, Default)]
pub(crate) struct RawRecord {
    /// The 1-based line where the record starts.
    pub line: u64,
    /// Each field's text, by [`Field::index`](super::fields::Field::index); `None` when not given.
    pub values: [Option<String>; FIELD_COUNT],
    /// Fields the reader already reported (bad encoding, too long, wrong type, given twice); no
    /// further rule looks at them.
    pub reported: u16,
    /// The reader reported a problem: the record yields no row, though its fields are still checked.
    pub failed: bool,
    /// The record's shape is unusable (ragged, not an object, too long): no field is checked.
    pub broken: bool,
}

/// A reader of records from one manifest format.
pub(crate) trait Source: Send {
    /// The next record, or `None` at the end. Problems found while reading go to `problems`.
    fn next_record(&mut self, problems: &mut Vec<Problem>) -> Option<RawRecord>;

    /// Fields the whole file lacks and that were reported once already (a CSV header without a
    /// required column), as a field mask: rows are not told about them one by one.
    fn absent(&self) -> u16 {
        0
    }

    /// For a CSV source, where its next record starts: the offset in the file, and whether the
    /// LF of a CRLF that ended the last record is still to be read there.
    fn next_offset(&self) -> Option<(u64, bool)> {
        None
    }

    /// For a CSV source, the columns its header named.
    fn columns(&self) -> Option<&Columns> {
        None
    }
}

/// Skips a UTF-8 byte order mark at the start of `input`; returns how many bytes it skipped.
pub(crate) fn skip_bom(input: &mut impl BufRead) -> io::Result<u64> {
    if input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
        return Ok(3);
    }
    Ok(0)
}
