//! `--log-format json`: one object per line with stable keys, for log shippers and scripts.
//!
//! Every line has `time` (RFC 3339, UTC, milliseconds), `level` (`ERROR`, `WARN`, `INFO`,
//! `DEBUG`, `TRACE`) and `message`, followed by the event's own fields under their own names
//! (`line`, `file_system_id`, `target_path`, `error_code`, `request_id`, `attempt`,
//! `data_flow_id`, ...). A field the event does not have is absent, never an empty string.

use std::fmt;

use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The keys every line starts with; an event field of the same name is dropped.
const RESERVED: [&str; 3] = ["time", "level", "message"];

/// The event formatter behind `--log-format json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = object(
            crate::store::now_ms(),
            event.metadata().level().as_str(),
            &fields,
        );
        writeln!(writer, "{line}")
    }
}

/// The event's fields in the order they were recorded.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    rest: Vec<(&'static str, Value)>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        match field.name() {
            "message" => {
                if let Value::String(s) = value {
                    self.message = s;
                }
            }
            name if RESERVED.contains(&name) => {}
            name => self.rest.push((name, value)),
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

fn object(now_ms: i64, level: &str, fields: &Fields) -> String {
    line(now_ms, level, &fields.message, &fields.rest)
}

/// One log object, `{"time":..,"level":..,"message":..,FIELDS}`, without its line end: what
/// every JSON diagnostic is, from `tracing` or not. Written by hand to keep the fixed keys first
/// (serde_json's map would sort them); a field named like a fixed key is dropped.
pub fn line(now_ms: i64, level: &str, message: &str, fields: &[(&str, Value)]) -> String {
    let mut out = String::from("{");
    push_pair(&mut out, "time", &Value::from(rfc3339_utc(now_ms)));
    out.push(',');
    push_pair(&mut out, "level", &Value::from(level));
    out.push(',');
    push_pair(&mut out, "message", &Value::from(message));
    for (key, value) in fields {
        if RESERVED.contains(key) {
            continue;
        }
        out.push(',');
        push_pair(&mut out, key, value);
    }
    out.push('}');
    out
}

/// `"key":value`. serde_json escapes every control character; the Unicode line and paragraph
/// separators, valid in JSON, are escaped too, as some readers split lines on them.
fn push_pair(out: &mut String, key: &str, value: &Value) {
    push_json(out, &Value::from(key));
    out.push(':');
    push_json(out, value);
}

fn push_json(out: &mut String, value: &Value) {
    out.push_str(&separators_escaped(value.to_string()));
}

/// JSON text with the Unicode line and paragraph separators (valid in JSON strings, but line
/// ends to some readers) written as escapes: what every JSON line bulkflow writes goes through.
pub fn separators_escaped(text: String) -> String {
    if text.contains(['\u{2028}', '\u{2029}']) {
        text.replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    } else {
        text
    }
}

pub use crate::clock::rfc3339_utc;

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(f: impl FnOnce()) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = out.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn a_row_failure_is_one_object_with_the_stable_keys() {
        let fs = "cfs-1";
        let text = capture(|| {
            tracing::warn!(
                line = 7u64,
                file_system_id = %fs,
                target_path = "/cfs/a",
                error_code = Some("ResourceNotFound.FileSystemNotFound"),
                request_id = None::<&str>,
                attempt = 2u32,
                "row failed: {}",
                "no such file system"
            );
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with(r#"{"time":""#), "{text}");
        let v: Value = serde_json::from_str(&text).expect("JSON");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = vec![
            "attempt",
            "error_code",
            "file_system_id",
            "level",
            "line",
            "message",
            "target_path",
            "time",
        ];
        want.sort_unstable();
        assert_eq!(keys, want, "{text}");
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["message"], "row failed: no such file system");
        assert_eq!(v["line"], 7);
        assert_eq!(v["attempt"], 2);
        assert_eq!(v["file_system_id"], "cfs-1");
        assert_eq!(v["error_code"], "ResourceNotFound.FileSystemNotFound");
        let time = v["time"].as_str().expect("time");
        assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");
    }

    #[test]
    fn a_field_cannot_take_a_reserved_key() {
        let text = capture(|| tracing::info!(level = "mine", time = 3, "hello"));
        let v: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["level"], "INFO");
        assert!(v["time"].is_string());
        assert_eq!(v["message"], "hello");
    }

    #[test]
    fn a_line_break_of_any_kind_stays_inside_its_object() {
        let text = capture(|| {
            tracing::warn!(
                error_code = "A\u{2028}B",
                "row failed: x\r\n{{\"level\":\"ERROR\"}}\u{2029}"
            )
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains(['\u{2028}', '\u{2029}', '\r']), "{text}");
        let v: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            v["message"],
            "row failed: x\r\n{\"level\":\"ERROR\"}\u{2029}"
        );
        assert_eq!(v["error_code"], "A\u{2028}B");
        assert_eq!(v["level"], "WARN");
    }

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(1_714_566_896_789), "2024-05-01T12:34:56.789Z");
    }
}
