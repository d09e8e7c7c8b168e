//! A CSV record splitter with bounded memory, written for hostile input: it keeps at most
//! [`MAX_FIELD_BYTES`] + 1 bytes of a field and [`MAX_COLUMNS`] + 1 fields of a record, counts the
//! rest, and tells a quoted field left open at the end of the file. The csv crate buffers a whole
//! record however long and closes an open quote silently, so it cannot do either. The grammar is
//! the csv crate's default (RFC 4180, `,`, `"` with `""` escapes, CR, LF or CRLF line ends, blank
//! lines skipped); a test checks both agree on well-formed input.

use std::io::{self, BufRead};

use super::source::{MAX_COLUMNS, MAX_FIELD_BYTES};

/// One field as read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RawField {
    /// The first [`MAX_FIELD_BYTES`] + 1 bytes of the field.
    pub bytes: Vec<u8>,
    /// The field's full length in bytes.
    pub len: usize,
}

/// One record as read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RawCsvRecord {
    /// The 1-based line where the record starts.
    pub line: u64,
    /// The first [`MAX_COLUMNS`] + 1 fields.
    pub fields: Vec<RawField>,
    /// How many fields the record has.
    pub count: usize,
    /// The record's length in bytes, without its line end.
    pub len: usize,
    /// A quoted field was still open at the end of the file.
    pub unterminated: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Splits a byte stream into CSV records.
pub(crate) struct CsvParser<R> {
    input: R,
    /// The line the next byte is on.
    line: u64,
    /// The previous record ended with CR: a following LF belongs to it.
    after_cr: bool,
}

impl<R: BufRead> CsvParser<R> {
    /// A parser reading from `input`, whose first byte is on line 1.
    pub(crate) fn new(input: R) -> Self {
        CsvParser {
            input,
            line: 1,
            after_cr: false,
        }
    }

    /// The line the parser has reached (where a read error happened, for instance).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The next non-blank record, or `None` at the end of the input.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<RawCsvRecord>> {
        let mut rec = RawCsvRecord {
            line: self.line,
            ..Default::default()
        };
        let mut field = RawField::default();
        let mut state = State::FieldStart;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                if state == State::FieldStart && rec.count == 0 && rec.len == 0 {
                    return Ok(None);
                }
                rec.unterminated = state == State::Quoted;
                end_field(&mut rec, &mut field);
                return Ok(Some(rec));
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                used += 1;
                if self.after_cr {
                    self.after_cr = false;
                    if b == b'\n' {
                        self.line += 1;
                        rec.line = self.line;
                        continue;
                    }
                }
                let ends_record = match state {
                    State::FieldStart | State::Unquoted | State::QuoteInQuoted => {
                        b == b'\n' || b == b'\r'
                    }
                    State::Quoted => false,
                };
                if b == b'\n' {
                    self.line += 1;
                }
                if ends_record {
                    self.after_cr = b == b'\r';
                    if state == State::FieldStart && rec.count == 0 && rec.len == 0 {
                        // A blank line: the record starts on the next one.
                        rec.line = self.line;
                        continue;
                    }
                    end_field(&mut rec, &mut field);
                    done = true;
                    break;
                }
                rec.len += 1;
                state = match (state, b) {
                    (State::FieldStart, b'"') => State::Quoted,
                    (State::FieldStart | State::Unquoted, b',') => {
                        end_field(&mut rec, &mut field);
                        State::FieldStart
                    }
                    (State::Quoted, b'"') => State::QuoteInQuoted,
                    (State::Quoted, _) => {
                        push(&mut field, b);
                        State::Quoted
                    }
                    (State::QuoteInQuoted, b'"') => {
                        push(&mut field, b);
                        State::Quoted
                    }
                    (State::QuoteInQuoted, b',') => {
                        end_field(&mut rec, &mut field);
                        State::FieldStart
                    }
                    (_, _) => {
                        push(&mut field, b);
                        State::Unquoted
                    }
                };
            }
            self.input.consume(used);
            if done {
                return Ok(Some(rec));
            }
        }
    }
}

/// Adds a byte to a field, keeping only what is needed to tell it is too long.
fn push(field: &mut RawField, b: u8) {
    field.len += 1;
    if field.bytes.len() <= MAX_FIELD_BYTES {
        field.bytes.push(b);
    }
}

/// Closes the current field.
fn end_field(rec: &mut RawCsvRecord, field: &mut RawField) {
    rec.count += 1;
    let f = std::mem::take(field);
    if rec.fields.len() <= MAX_COLUMNS {
        rec.fields.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Vec<(u64, Vec<String>, bool)> {
        let mut p = CsvParser::new(input);
        let mut out = Vec::new();
        while let Some(r) = p.next_record().unwrap() {
            let fields = r
                .fields
                .iter()
                .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
                .collect();
            out.push((r.line, fields, r.unterminated));
        }
        out
    }

    fn with_csv_crate(input: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let line = rec.position().unwrap().line();
            out.push((
                line,
                rec.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ));
        }
        out
    }

    #[test]
    fn agrees_with_the_csv_crate_on_well_formed_input() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n1,2,3\n",
            b"a,b\r\n1,2\r\n",
            b"a,b\n1,2",
            b"a,b\n\n\n1,2\n\r\n3,4\n",
            b"\"x,y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",z\n9,8\n",
            b"a,,\n,,\n",
            b"a\rb\rc\r",
            b"\"\",x\n",
            b"ab\"c,d\n",
            b"\"q\"tail,d\n",
            b"",
            b"\n\n",
        ];
        for case in cases {
            // The csv crate counts a record after CRLF one line short (its position is taken
            // before the LF of the previous line end), so lines are compared only without CR.
            let lines = !case.contains(&b'\r');
            let ours: Vec<(u64, Vec<String>)> = parse(case)
                .into_iter()
                .map(|(l, f, _)| (if lines { l } else { 0 }, f))
                .collect();
            let theirs: Vec<(u64, Vec<String>)> = with_csv_crate(case)
                .into_iter()
                .map(|(l, f)| (if lines { l } else { 0 }, f))
                .collect();
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(case));
        }
    }

    #[test]
    fn counts_lines_after_crlf() {
        let lines: Vec<u64> = parse(b"a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,5")
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(lines, [1, 2, 4, 6]);
    }

    #[test]
    fn tells_an_open_quote_at_the_end() {
        let out = parse(b"a,b\n1,\"open\nstill open\n");
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].0, 2);
        assert!(out[1].2);
        assert!(!out[0].2);
    }

    #[test]
    fn bounds_what_it_keeps() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b",y\n");
        input.extend(std::iter::repeat_n(b",".as_slice(), 200).flatten());
        input.extend_from_slice(b"\nz\n");
        let mut p = CsvParser::new(&input[..]);
        let r = p.next_record().unwrap().unwrap();
        assert_eq!(r.fields[0].len, 100_000);
        assert_eq!(r.fields[0].bytes.len(), MAX_FIELD_BYTES + 1);
        assert_eq!(r.len, 100_002);
        let r = p.next_record().unwrap().unwrap();
        assert_eq!((r.line, r.count, r.fields.len()), (2, 201, MAX_COLUMNS + 1));
        let r = p.next_record().unwrap().unwrap();
        assert_eq!(r.line, 3);
        assert!(p.next_record().unwrap().is_none());
    }
}
