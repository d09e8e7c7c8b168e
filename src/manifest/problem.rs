//! Problems at a place in the manifest, the error the module returns, and the capped collection
//! that keeps the earliest problems of a large file.

use std::collections::BinaryHeap;
use std::fmt;

/// Most problems kept in [`ManifestError::Invalid`]; the rest are only counted.
pub const MAX_PROBLEMS: usize = 1000;

/// Longest quoted value in a message, in characters; longer values are cut with `...`.
const QUOTE_CHARS: usize = 60;

/// A problem at a place. Display is exactly `FILE:LINE: field: message`, where `field` is a field
/// name, `header` (CSV header row) or `record` (the record as a whole). Messages never hold a
/// secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The manifest path as given.
    pub file: String,
    /// The 1-based line where the record starts (1 for the header).
    pub line: u64,
    /// The field's API name, `header` or `record`.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// A problem is an error, so a caller can pass one on with `?`.
impl std::error::Error for Problem {}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The manifest path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// There is no such file.
    #[error("{path}: no such file{}", .near.as_ref().map(|n| format!("; did you mean {n}?")).unwrap_or_default())]
    Missing {
        /// The manifest path as given.
        path: String,
        /// A file of the same directory with a close name.
        near: Option<String>,
    },
    /// The extension is none of `.csv`, `.jsonl`, `.ndjson`, and no format was given.
    #[error("{path}: unsupported manifest type (expected .csv, .jsonl or .ndjson, or --format csv|jsonl)")]
    UnknownFormat {
        /// The manifest path as given.
        path: String,
    },
    /// Validation found problems: the earliest [`MAX_PROBLEMS`] by line, and how many in all.
    #[error("{} problem(s) in the manifest", .total)]
    Invalid {
        /// The earliest problems, in line order.
        problems: Vec<Problem>,
        /// How many problems were found in all.
        total: u64,
    },
}

/// A value for a message: in double quotes, escaped, and cut to about 60 characters. Never call
/// this with a secret.
pub(crate) fn quote(value: &str) -> String {
    let mut chars = value.char_indices();
    match chars.nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{:?}...", &value[..cut]),
        None => format!("{value:?}"),
    }
}

/// A value for a message when it `looks` like what its field holds (and holds nothing like a
/// key); otherwise only its length. A value in the wrong column (a CSV row with a comma too
/// many or too few) may be a secret, and a message must never show one.
pub(crate) fn quote_if(value: &str, looks: bool, like: &str) -> String {
    if looks && !key_like(value) {
        quote(value)
    } else {
        format!(
            "the value ({} characters, not shown: it does not look like {like})",
            value.chars().count()
        )
    }
}

/// True when `value` holds what a key or token looks like: 16 or more letters, digits, `+`, `/`
/// or `=` in a row, with upper- and lower-case letters and digits among them.
pub(crate) fn key_like(value: &str) -> bool {
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
        .any(|run| {
            run.len() >= 16
                && run.bytes().any(|b| b.is_ascii_uppercase())
                && run.bytes().any(|b| b.is_ascii_lowercase())
                && run.bytes().any(|b| b.is_ascii_digit())
        })
}

/// Makes problems for one file.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    file: String,
}

impl Place {
    /// Problems in `file` (the path as given).
    pub(crate) fn new(file: String) -> Self {
        Place { file }
    }

    /// The file, as given.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// A problem at `line` in `field`.
    pub(crate) fn problem(&self, line: u64, field: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Keeps the earliest [`MAX_PROBLEMS`] problems by line (ties in the order found) and counts all.
#[derive(Default)]
pub(crate) struct Problems {
    kept: BinaryHeap<Ranked>,
    seq: u64,
    total: u64,
}

impl Problems {
    /// Records one problem.
    pub(crate) fn push(&mut self, p: Problem) {
        self.total += 1;
        self.seq += 1;
        self.kept.push(Ranked(p.line, self.seq, p));
        if self.kept.len() > MAX_PROBLEMS {
            self.kept.pop();
        }
    }

    /// Takes in the problems another collector found (later lines of the same file).
    pub(crate) fn absorb(&mut self, other: Problems) {
        let total = self.total + other.total;
        for r in other.kept.into_sorted_vec() {
            self.push(r.2);
        }
        self.total = total;
    }

    /// How many problems were recorded.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// The kept problems in line order, and the total.
    pub(crate) fn into_error(self) -> ManifestError {
        let problems = self
            .kept
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.2)
            .collect();
        ManifestError::Invalid {
            problems,
            total: self.total,
        }
    }
}

/// A problem ranked by (line, order found).
struct Ranked(u64, u64, Problem);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_line_field_message() {
        let p = Place::new("m.csv".into()).problem(7, "TargetPath", "must start with /cfs/");
        assert_eq!(p.to_string(), "m.csv:7: TargetPath: must start with /cfs/");
    }

    #[test]
    fn quote_escapes_and_cuts() {
        assert_eq!(quote("a\"b"), r#""a\"b""#);
        assert_eq!(quote("数据"), "\"数据\"");
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("{:?}...", "x".repeat(60)));
    }

    #[test]
    fn keeps_the_earliest_thousand_and_counts_all() {
        let place = Place::new("f".into());
        let mut ps = Problems::default();
        for line in (1..=1500u64).rev() {
            ps.push(place.problem(line, "record", "x"));
        }
        ps.push(place.problem(1, "record", "second at line 1"));
        match ps.into_error() {
            ManifestError::Invalid { problems, total } => {
                assert_eq!(total, 1501);
                assert_eq!(problems.len(), MAX_PROBLEMS);
                assert_eq!(problems[0].message, "x");
                assert_eq!(problems[1].message, "second at line 1");
                assert_eq!(problems[999].line, 999);
            }
            other => panic!("{other:?}"),
        }
    }
}
