//! One JSONL line as an ordered list of keys and values. Keeping the list (rather than a map)
//! lets a key given twice be reported; anything that is not an object is told by its kind only,
//! so no error message can carry a value.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// A parsed JSONL line.
#[derive(Debug)]
pub(crate) enum JsonLine {
    /// An object's entries, in order, repeats included.
    Object(Vec<(String, Value)>),
    /// Some other JSON value; holds its kind ("a string", "an array", ...).
    NotObject(&'static str),
}

impl<'de> Deserialize<'de> for JsonLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LineVisitor)
    }
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = JsonLine;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonLine, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            entries.push((k, v));
        }
        Ok(JsonLine::Object(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonLine, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonLine::NotObject("an array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<JsonLine, E> {
        Ok(JsonLine::NotObject("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<JsonLine, E> {
        Ok(JsonLine::NotObject("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<JsonLine, E> {
        Ok(JsonLine::NotObject("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<JsonLine, E> {
        Ok(JsonLine::NotObject("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<JsonLine, E> {
        Ok(JsonLine::NotObject("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsonLine, E> {
        Ok(JsonLine::NotObject("null"))
    }
}

/// The kind of a JSON value, for messages that must not show it.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A message for a JSON syntax error: where, never what.
pub(crate) fn syntax_message(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => "invalid JSON: the line ends inside a value".into(),
        _ => format!("invalid JSON at column {}", e.column()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<JsonLine, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn keeps_repeated_keys_and_tells_kinds() {
        match parse(r#"{"a":1,"a":"x","b":null}"#).unwrap() {
            JsonLine::Object(e) => assert_eq!(e.len(), 3),
            other => panic!("{other:?}"),
        }
        for (s, k) in [
            ("[1,{}]", "an array"),
            ("\"s\"", "a string"),
            ("true", "a boolean"),
            ("1.5", "a number"),
            ("null", "null"),
        ] {
            match parse(s).unwrap() {
                JsonLine::NotObject(kind) => assert_eq!(kind, k),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn syntax_messages_name_no_value() {
        let e = parse(r#"{"SecretKey": "PLANTED-SECRET-xyz" "#).unwrap_err();
        assert_eq!(
            syntax_message(&e),
            "invalid JSON: the line ends inside a value"
        );
        let e = parse(r#"{"SecretKey": PLANTED-SECRET-xyz}"#).unwrap_err();
        let m = syntax_message(&e);
        assert!(
            m.starts_with("invalid JSON at column") && !m.contains("PLANTED"),
            "{m}"
        );
    }
}
