//! JSON Lines manifests: one object per line, blank lines skipped; values are strings or numbers.

use std::io::BufRead;

use serde_json::Value;

use super::json_object::{kind, syntax_message, JsonLine};
use super::limits::{MAX_COLUMNS, MAX_RECORD_BYTES};
use super::lines::Lines;
use super::names::{lookup, unknown_message};
use super::problem::{Place, Problem};
use super::source::{RawRecord, Source};

/// Records from a JSONL manifest.
pub(crate) struct JsonlSource<R> {
    lines: Lines<R>,
    place: Place,
    done: bool,
}

impl<R: BufRead + Send> JsonlSource<R> {
    /// Records from `input` (after any byte order mark).
    pub(crate) fn new(input: R, place: Place) -> Self {
        JsonlSource {
            lines: Lines::new(input, MAX_RECORD_BYTES + 1),
            place,
            done: false,
        }
    }

    /// Turns one object's entries into raw values by field.
    fn decode(
        &self,
        line: u64,
        entries: Vec<(String, Value)>,
        problems: &mut Vec<Problem>,
    ) -> RawRecord {
        let mut out = RawRecord {
            line,
            ..Default::default()
        };
        if entries.len() > MAX_COLUMNS {
            problems.push(self.place.problem(
                line,
                "record",
                format!("{} fields; at most {MAX_COLUMNS} allowed", entries.len()),
            ));
            out.broken = true;
            return out;
        }
        let mut seen = 0u16;
        for (n, (key, value)) in entries.into_iter().enumerate() {
            let Some(field) = lookup(&key) else {
                let position = format!("key {}", n + 1);
                problems.push(
                    self.place
                        .problem(line, "record", unknown_message(&key, &position)),
                );
                out.failed = true;
                continue;
            };
            let text = match value {
                _ if seen & field.bit() != 0 => Err("given twice".to_owned()),
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s)),
                Value::Number(n) => Ok(Some(n.to_string())),
                other => Err(format!(
                    "expected a string or a number, found {}",
                    kind(&other)
                )),
            };
            seen |= field.bit();
            match text {
                Ok(v) => out.values[field.index()] = v,
                Err(msg) => {
                    problems.push(self.place.problem(line, field.name(), msg));
                    out.values[field.index()] = None;
                    out.reported |= field.bit();
                    out.failed = true;
                }
            }
        }
        out
    }

    /// One line: a record, `None` for a blank line, or a broken record with its problem reported.
    fn parse(
        &self,
        number: u64,
        mut bytes: Vec<u8>,
        len: usize,
        problems: &mut Vec<Problem>,
    ) -> Option<RawRecord> {
        let mut len = len;
        if bytes.ends_with(b"\r") && len == bytes.len() {
            bytes.pop();
            len -= 1;
        }
        let broken = |msg: String, problems: &mut Vec<Problem>| {
            problems.push(self.place.problem(number, "record", msg));
            Some(RawRecord {
                line: number,
                broken: true,
                ..Default::default()
            })
        };
        if len > MAX_RECORD_BYTES {
            return broken(
                format!("longer than {MAX_RECORD_BYTES} bytes ({len} bytes)"),
                problems,
            );
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        if let Err(e) = std::str::from_utf8(&bytes) {
            return broken(
                format!("not valid UTF-8 (at byte {})", e.valid_up_to() + 1),
                problems,
            );
        }
        match serde_json::from_slice::<JsonLine>(&bytes) {
            Err(e) => broken(syntax_message(&e), problems),
            Ok(JsonLine::NotObject(kind)) => {
                broken(format!("expected a JSON object, found {kind}"), problems)
            }
            Ok(JsonLine::Object(entries)) => Some(self.decode(number, entries, problems)),
        }
    }
}

impl<R: BufRead + Send> Source for JsonlSource<R> {
    fn next_record(&mut self, problems: &mut Vec<Problem>) -> Option<RawRecord> {
        while !self.done {
            match self.lines.next_line() {
                Ok(Some(line)) => {
                    if let Some(rec) = self.parse(line.number, line.bytes, line.len, problems) {
                        return Some(rec);
                    }
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    let line = self.lines.line();
                    problems.push(
                        self.place
                            .problem(line, "record", format!("read error: {e}")),
                    );
                    self.done = true;
                }
            }
        }
        None
    }
}
