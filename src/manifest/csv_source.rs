//! CSV manifests: the header row, then one record per row, each field decoded and checked here so
//! that invalid UTF-8 or an overlong value names its line and field.

use std::io::BufRead;

use super::csv_parse::{CsvParser, RawCsvRecord};
use super::header::{map_header, Columns};
use super::limits::{MAX_FIELD_BYTES, MAX_RECORD_BYTES};
use super::problem::{Place, Problem};
use super::source::{RawRecord, Source};

/// Records from a CSV manifest.
pub(crate) struct CsvSource<R> {
    parser: CsvParser<R>,
    place: Place,
    columns: Columns,
    done: bool,
}

impl<R: BufRead + Send> CsvSource<R> {
    /// Reads the header from `input` (after any byte order mark); its problems go to `problems`.
    pub(crate) fn open(
        input: R,
        offset: u64,
        place: Place,
        has_default_region: bool,
        problems: &mut Vec<Problem>,
    ) -> Self {
        let mut parser = CsvParser::at(input, offset, 1);
        let mut done = false;
        let columns = match parser.next_record() {
            Ok(Some(rec)) => map_header(&rec, &place, has_default_region, problems),
            Ok(None) => {
                problems.push(place.problem(
                    1,
                    "header",
                    "the file is empty; the first line must be a header row naming the fields",
                ));
                done = true;
                Columns::default()
            }
            Err(e) => {
                problems.push(place.problem(parser.line(), "header", format!("read error: {e}")));
                done = true;
                Columns::default()
            }
        };
        CsvSource {
            parser,
            place,
            columns,
            done,
        }
    }

    /// Reads the records of `input`, which starts at a record `offset` bytes into a file whose
    /// header named `columns`, on `line`.
    pub(crate) fn resume(input: R, offset: u64, line: u64, place: Place, columns: Columns) -> Self {
        CsvSource {
            parser: CsvParser::at(input, offset, line),
            place,
            columns,
            done: false,
        }
    }

    /// Turns one parsed record into raw values by field.
    fn decode(&self, rec: RawCsvRecord, problems: &mut Vec<Problem>) -> RawRecord {
        let mut out = RawRecord {
            line: rec.line,
            ..Default::default()
        };
        let mut record_problem = |msg: String| {
            problems.push(self.place.problem(rec.line, "record", msg));
        };
        if rec.unterminated {
            record_problem("quoted field is not closed before the end of the file".into());
        } else if rec.len > MAX_RECORD_BYTES {
            record_problem(format!(
                "longer than {MAX_RECORD_BYTES} bytes ({} bytes)",
                rec.len
            ));
        } else if rec.count != self.columns.count {
            record_problem(format!(
                "{} fields, but the header has {}",
                rec.count, self.columns.count
            ));
        } else {
            for (raw, field) in rec.fields.into_iter().zip(&self.columns.fields) {
                let Some(field) = *field else { continue };
                match field_text(raw.bytes, raw.len) {
                    Ok(v) => out.values[field.index()] = v,
                    Err(msg) => {
                        problems.push(self.place.problem(rec.line, field.name(), msg));
                        out.reported |= field.bit();
                        out.failed = true;
                    }
                }
            }
            return out;
        }
        out.broken = true;
        out
    }
}

/// A field's text: `None` when empty; an error naming only the length or the byte offset, never
/// the value.
fn field_text(bytes: Vec<u8>, len: usize) -> Result<Option<String>, String> {
    if len > MAX_FIELD_BYTES {
        return Err(format!("longer than {MAX_FIELD_BYTES} bytes ({len} bytes)"));
    }
    match String::from_utf8(bytes) {
        Ok(s) if s.is_empty() => Ok(None),
        Ok(s) => Ok(Some(s)),
        Err(e) => Err(format!(
            "not valid UTF-8 (at byte {})",
            e.utf8_error().valid_up_to() + 1
        )),
    }
}

impl<R: BufRead + Send> Source for CsvSource<R> {
    fn next_record(&mut self, problems: &mut Vec<Problem>) -> Option<RawRecord> {
        if self.done {
            return None;
        }
        match self.parser.next_record() {
            Ok(Some(rec)) => Some(self.decode(rec, problems)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                let line = self.parser.line();
                problems.push(
                    self.place
                        .problem(line, "record", format!("read error: {e}")),
                );
                self.done = true;
                None
            }
        }
    }

    fn absent(&self) -> u16 {
        self.columns.absent
    }

    fn next_offset(&self) -> Option<(u64, bool)> {
        Some(self.parser.next_offset())
    }

    fn columns(&self) -> Option<&Columns> {
        Some(&self.columns)
    }
}
