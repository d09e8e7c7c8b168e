//! Diagnostics on stderr with `tracing`, printed through the progress bar when there is one so
//! that a log line never tears it.

use std::io::Write;
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::fmt::MakeWriter;

/// How diagnostics are written on stderr (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// The lines bulkflow has always printed.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Sets (or clears) the bar that log lines are printed around.
pub fn set_bar(bar: Option<ProgressBar>) {
    *BAR.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// One log record, buffered and written in one piece when dropped, always as one line.
pub struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        write_stderr(&one_line(std::mem::take(&mut self.0)));
    }
}

/// Writes `bytes` on stderr in one piece, around the bar when there is one so that it is not
/// torn. An error (stderr closed after a hangup) is ignored: a diagnostic never stops a run.
pub fn write_stderr(bytes: &[u8]) {
    let bar = BAR.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let write = || {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    };
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// The record with every line break inside it written as an escape (`\n`, `\r`, `\x0b`,
/// `\u{2028}`, `\u{2029}`), and only its final line end kept: whatever text reached a message,
/// one record is one line, and no line can pass for a record of its own. Other control
/// characters are left to the formatter (which escapes ESC and the C1 controls in messages, and
/// writes ESC itself for colours on a terminal).
pub(crate) fn one_line(mut bytes: Vec<u8>) -> Vec<u8> {
    let ended = bytes.last() == Some(&b'\n');
    if ended {
        bytes.pop();
    }
    let breaks = |b: &[u8]| {
        b.iter().any(|&c| matches!(c, b'\n' | b'\r' | 0x0b))
            || b.windows(3)
                .any(|w| w == "\u{2028}".as_bytes() || w == "\u{2029}".as_bytes())
    };
    if breaks(&bytes) {
        let text = String::from_utf8_lossy(&bytes);
        let mut out = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\u{0b}' => out.push_str("\\x0b"),
                '\u{2028}' => out.push_str("\\u{2028}"),
                '\u{2029}' => out.push_str("\\u{2029}"),
                c => out.push(c),
            }
        }
        bytes = out.into_bytes();
    }
    if ended {
        bytes.push(b'\n');
    }
    bytes
}

/// Makes a [`Line`] per record.
pub struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line(Vec::new())
    }
}

/// Installs the subscriber: `warn` by default, `info` with -v, `debug` with -vv, `error` with -q;
/// `RUST_LOG` overrides.
pub fn init(verbose: u8, quiet: bool, format: LogFormat, ansi: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("bulkflow={level}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder
            .with_ansi(false)
            .event_format(super::json_log::JsonLines)
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_record_is_always_one_line() {
        let cases = [
            ("WARN plain\n", "WARN plain\n"),
            ("WARN a\r\nERROR forged\n", "WARN a\\r\\nERROR forged\n"),
            (
                "WARN x\u{2028}y\u{2029}z\u{b}\n",
                "WARN x\\u{2028}y\\u{2029}z\\x0b\n",
            ),
            ("no end\nhere", "no end\\nhere"),
            (
                "\u{1b}[33mWARN\u{1b}[0m 数据\n",
                "\u{1b}[33mWARN\u{1b}[0m 数据\n",
            ),
        ];
        for (raw, want) in cases {
            let got = one_line(raw.as_bytes().to_vec());
            assert_eq!(String::from_utf8(got).expect("UTF-8"), want, "{raw:?}");
        }
    }
}
