//! The diagnostics that do not come from `tracing` (fatal errors, manifest problems, signals,
//! plain progress lines, notes), written through one function that knows `--log-format`: as
//! text, the line bulkflow has always printed; as JSON, one object per line with the keys of
//! every JSON log line (`time`, `level`, `message`) and the diagnostic's own fields. Either way a
//! diagnostic is one line on stderr, printed around the progress bar.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde_json::Value;

pub use super::logging::LogFormat;
use super::{json_log, logging};
use crate::manifest::{ManifestError, Problem};

static JSON: AtomicBool = AtomicBool::new(false);
static COLOR: AtomicBool = AtomicBool::new(false);
static LAST_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// Chooses the format of every later diagnostic (`--log-format`); text until called.
pub fn set_format(format: LogFormat) {
    JSON.store(format == LogFormat::Json, Ordering::Relaxed);
}

/// The format chosen by [`set_format`].
pub fn format() -> LogFormat {
    if JSON.load(Ordering::Relaxed) {
        LogFormat::Json
    } else {
        LogFormat::Text
    }
}

/// Chooses whether logs and the bar use ANSI colours (`--color`, `NO_COLOR`); none until called.
pub fn set_color(on: bool) {
    COLOR.store(on, Ordering::Relaxed);
}

/// The choice made by [`set_color`].
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// The message of the last `ERROR` diagnostic emitted: why a command ended, for the summary
/// file of a run that ended before it had a summary.
pub fn last_error() -> Option<String> {
    LAST_ERROR.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// How much a diagnostic matters: the `level` of its JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
}

impl Level {
    /// The name as `tracing` writes it, so that every JSON line uses the same levels.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
        }
    }
}

/// One diagnostic: `text` is the whole line in text format; `message` and `fields` make the JSON
/// object.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    pub level: Level,
    pub text: String,
    pub message: String,
    pub fields: Vec<(&'static str, Value)>,
}

impl Diag {
    /// A diagnostic whose text line is `bulkflow: {message}` (or `bulkflow: error: {message}`).
    pub fn new(level: Level, message: impl Display) -> Diag {
        let message = message.to_string();
        let text = match level {
            Level::Error => format!("bulkflow: error: {message}"),
            _ => format!("bulkflow: {message}"),
        };
        Diag {
            level,
            text,
            message,
            fields: Vec::new(),
        }
    }

    /// The same diagnostic with one more JSON field.
    pub fn field(mut self, key: &'static str, value: impl Into<Value>) -> Diag {
        self.fields.push((key, value.into()));
        self
    }

    /// The line to write, its line end included: always exactly one line.
    pub fn render(&self, format: LogFormat, now_ms: i64) -> Vec<u8> {
        let mut line = match format {
            LogFormat::Text => self.text.clone(),
            LogFormat::Json => {
                json_log::line(now_ms, self.level.as_str(), &self.message, &self.fields)
            }
        }
        .into_bytes();
        line.push(b'\n');
        logging::one_line(line)
    }
}

/// Writes `d` on stderr in the chosen format.
pub fn emit(d: &Diag) {
    if d.level == Level::Error {
        *LAST_ERROR.lock().unwrap_or_else(|p| p.into_inner()) = Some(d.message.clone());
    }
    logging::write_stderr(&d.render(format(), crate::store::now_ms()));
}

/// `bulkflow: error: {msg}`: what stops a command.
pub fn error(msg: impl Display) {
    emit(&Diag::new(Level::Error, msg));
}

/// `bulkflow: {msg}` at `WARN`.
pub fn warn(msg: impl Display) {
    emit(&Diag::new(Level::Warn, msg));
}

/// `bulkflow: {msg}` at `INFO`.
pub fn info(msg: impl Display) {
    emit(&Diag::new(Level::Info, msg));
}

/// A manifest problem: `FILE:LINE: field: message` as text, an `ERROR` object with the keys
/// `file`, `line`, `field` and `message` as JSON.
pub fn problem(p: &Problem) -> Diag {
    Diag {
        level: Level::Error,
        text: p.to_string(),
        message: p.message.clone(),
        fields: vec![
            ("file", Value::from(p.file.as_str())),
            ("line", Value::from(p.line)),
            ("field", Value::from(p.field.as_str())),
        ],
    }
}

/// The diagnostics of a manifest that cannot be used: each problem, how many more were not
/// shown, and the closing line; or the one error that stopped reading it.
pub fn manifest_error(e: &ManifestError) -> Vec<Diag> {
    let ManifestError::Invalid { problems, total } = e else {
        return vec![Diag::new(Level::Error, e)];
    };
    let mut out: Vec<Diag> = problems.iter().map(problem).collect();
    let shown = problems.len() as u64;
    if *total > shown {
        let more = *total - shown;
        let mut d = Diag::new(Level::Error, format!("... and {more} more")).field("more", more);
        d.text = format!("... and {more} more");
        out.push(d);
    }
    let mut last = Diag::new(
        Level::Error,
        format!("{total} problem(s) in the manifest; nothing was sent"),
    )
    .field("problems", *total);
    last.text = format!("bulkflow: {}", last.message);
    out.push(last);
    out
}

/// Prints [`manifest_error`]'s diagnostics.
pub fn print_manifest_error(e: &ManifestError) {
    for d in manifest_error(e) {
        emit(&d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: &Diag) -> String {
        String::from_utf8(d.render(LogFormat::Text, 0)).expect("UTF-8")
    }

    fn json(d: &Diag) -> Value {
        let bytes = d.render(LogFormat::Json, 1_714_566_896_789);
        let line = String::from_utf8(bytes).expect("UTF-8");
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        serde_json::from_str(&line).expect("one JSON object")
    }

    #[test]
    fn an_error_is_the_old_text_or_one_object() {
        let d = Diag::new(Level::Error, "x.db: locked\r\nERROR forged");
        assert_eq!(
            text(&d),
            "bulkflow: error: x.db: locked\\r\\nERROR forged\n"
        );
        let v = json(&d);
        assert_eq!(v["level"], "ERROR");
        assert_eq!(v["time"], "2024-05-01T12:34:56.789Z");
        assert_eq!(v["message"], "x.db: locked\r\nERROR forged");
        assert_eq!(v.as_object().map(|o| o.len()), Some(3));
    }

    #[test]
    fn a_problem_has_file_line_and_field() {
        let p = Problem {
            file: "m.csv".into(),
            line: 7,
            field: "TargetPath".into(),
            message: "must start with /cfs/".into(),
        };
        let d = problem(&p);
        assert_eq!(text(&d), "m.csv:7: TargetPath: must start with /cfs/\n");
        let v = json(&d);
        assert_eq!(
            (
                &v["level"],
                &v["file"],
                &v["line"],
                &v["field"],
                &v["message"]
            ),
            (
                &Value::from("ERROR"),
                &Value::from("m.csv"),
                &Value::from(7),
                &Value::from("TargetPath"),
                &Value::from("must start with /cfs/")
            )
        );
    }

    #[test]
    fn an_invalid_manifest_says_how_many_problems() {
        let p = Problem {
            file: "m.csv".into(),
            line: 2,
            field: "record".into(),
            message: "x".into(),
        };
        let e = ManifestError::Invalid {
            problems: vec![p],
            total: 3,
        };
        let lines: Vec<String> = manifest_error(&e).iter().map(text).collect();
        assert_eq!(
            lines,
            [
                "m.csv:2: record: x\n",
                "... and 2 more\n",
                "bulkflow: 3 problem(s) in the manifest; nothing was sent\n"
            ]
        );
        let last = manifest_error(&e).last().map(json).expect("a last line");
        assert_eq!(last["problems"], 3);
    }
}
