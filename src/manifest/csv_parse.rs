//! A CSV record splitter with bounded memory, written for hostile input: it keeps at most
//! [`MAX_FIELD_BYTES`] + 1 bytes of a field and [`MAX_COLUMNS`] + 1 fields of a record, counts the
//! rest, and tells a quoted field left open at the end of the file. The csv crate buffers a whole
//! record however long and closes an open quote silently, so it cannot do either. The grammar is
//! the csv crate's default (RFC 4180, `,`, `"` with `""` escapes, CR, LF or CRLF line ends, blank
//! lines skipped); a test checks both agree on well-formed input.

use std::io::{self, BufRead};

use super::limits::{MAX_COLUMNS, MAX_FIELD_BYTES};

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
    /// Bytes of the file before the next byte of the input.
    offset: u64,
    /// Fields of the last record (bounded): the next one's list is made that long at once.
    width: usize,
}

impl<R: BufRead> CsvParser<R> {
    /// A parser reading from `input`, whose first byte is on line 1.
    #[cfg(test)]
    pub(crate) fn new(input: R) -> Self {
        CsvParser::at(input, 0, 1)
    }

    /// A parser reading from `input`, which starts `offset` bytes into the file, at the start of
    /// a record on `line`.
    pub(crate) fn at(input: R, offset: u64, line: u64) -> Self {
        CsvParser {
            input,
            line,
            after_cr: false,
            offset,
            width: 0,
        }
    }

    /// Where the next record starts: its offset in the file, once a line end the last record
    /// left pending is counted (a CR read as its end, then the LF of a CRLF).
    pub(crate) fn next_offset(&self) -> (u64, bool) {
        (self.offset, self.after_cr)
    }

    /// The line the parser has reached (where a read error happened, for instance).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The next non-blank record, or `None` at the end of the input. Runs of ordinary bytes are
    /// found with `memchr` and copied at once; only the bytes that change the state are looked at
    /// one by one.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<RawCsvRecord>> {
        let mut rec = RawCsvRecord {
            line: self.line,
            fields: Vec::with_capacity(self.width),
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
            let mut cursor = Cursor {
                line: &mut self.line,
                after_cr: &mut self.after_cr,
            };
            let (used, done) = cursor.scan(buf, &mut rec, &mut field, &mut state);
            self.input.consume(used);
            self.offset += used as u64;
            if done {
                self.width = rec.fields.len();
                return Ok(Some(rec));
            }
        }
    }
}

/// Where the parser is, borrowed apart from its input.
struct Cursor<'a> {
    line: &'a mut u64,
    after_cr: &'a mut bool,
}

impl Cursor<'_> {
    /// Consumes bytes of `buf` into the record; returns how many, and whether the record ended.
    fn scan(
        &mut self,
        buf: &[u8],
        rec: &mut RawCsvRecord,
        field: &mut RawField,
        state: &mut State,
    ) -> (usize, bool) {
        let mut i = 0;
        while i < buf.len() {
            if *self.after_cr {
                *self.after_cr = false;
                if buf[i] == b'\n' {
                    *self.line += 1;
                    rec.line = *self.line;
                    i += 1;
                    continue;
                }
            }
            let n = self.copy_run(&buf[i..], rec, field, state);
            if n > 0 {
                i += n;
                continue;
            }
            let b = buf[i];
            i += 1;
            let ends_record = match *state {
                State::FieldStart | State::Unquoted | State::QuoteInQuoted => {
                    b == b'\n' || b == b'\r'
                }
                State::Quoted => false,
            };
            if b == b'\n' {
                *self.line += 1;
            }
            if ends_record {
                *self.after_cr = b == b'\r';
                if *state == State::FieldStart && rec.count == 0 && rec.len == 0 {
                    // A blank line: the record starts on the next one.
                    rec.line = *self.line;
                    continue;
                }
                end_field(rec, field);
                return (i, true);
            }
            rec.len += 1;
            *state = step(*state, b, rec, field);
        }
        (i, false)
    }

    /// Copies the run of bytes at the start of `buf` that cannot change the state into the
    /// field at once (a field it starts is unquoted); returns its length, 0 when there is none.
    fn copy_run(
        &mut self,
        buf: &[u8],
        rec: &mut RawCsvRecord,
        field: &mut RawField,
        state: &mut State,
    ) -> usize {
        let run = match *state {
            State::Unquoted => memchr::memchr3(b',', b'\n', b'\r', buf),
            State::FieldStart if buf[0] != b'"' => memchr::memchr3(b',', b'\n', b'\r', buf),
            State::Quoted => memchr::memchr(b'"', buf),
            _ => Some(0),
        };
        let n = run.unwrap_or(buf.len());
        if n > 0 {
            let bytes = &buf[..n];
            if *state == State::Quoted {
                *self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
            } else {
                *state = State::Unquoted;
            }
            extend(field, bytes);
            rec.len += n;
        }
        n
    }
}

/// The state after byte `b` of a record that does not end it; a separator ends the field.
fn step(state: State, b: u8, rec: &mut RawCsvRecord, field: &mut RawField) -> State {
    match (state, b) {
        (State::FieldStart, b'"') => State::Quoted,
        (State::FieldStart | State::Unquoted, b',') => {
            end_field(rec, field);
            State::FieldStart
        }
        (State::Quoted, b'"') => State::QuoteInQuoted,
        (State::Quoted, _) => {
            push(field, b);
            State::Quoted
        }
        (State::QuoteInQuoted, b'"') => {
            push(field, b);
            State::Quoted
        }
        (State::QuoteInQuoted, b',') => {
            end_field(rec, field);
            State::FieldStart
        }
        (_, _) => {
            push(field, b);
            State::Unquoted
        }
    }
}

/// Adds bytes to a field, keeping only what is needed to tell it is too long.
fn extend(field: &mut RawField, bytes: &[u8]) {
    field.len += bytes.len();
    let room = (MAX_FIELD_BYTES + 1).saturating_sub(field.bytes.len());
    field
        .bytes
        .extend_from_slice(&bytes[..bytes.len().min(room)]);
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
