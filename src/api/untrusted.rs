//! Text a server wrote, made safe to keep and to show. Every string of an answer passes through
//! [`Scrubber::clean`] once, where the answer is read, so that no log line, state file row or
//! report cell downstream can be forged by a line break or leak a key the server echoed.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use super::secret_echo::SecretRuns;
use crate::secret::{mask_id, Secret};

/// What is kept instead of server text that held a secret sent with the call, in any spelling
/// or in part ([`SecretRuns`]): the text is not kept at all.
pub const WITHHELD: &str = "(not kept: it quoted a secret sent with the call)";

/// Hides what a server must not show: text that holds a secret (in any spelling, in any case,
/// or [`RUN`](super::secret_echo::RUN) characters of one in a row) is replaced whole by
/// [`WITHHELD`]; the API SecretId shows its first four characters and `***` (as the logs name
/// it); control characters are escaped.
#[derive(Debug, Clone)]
pub struct Scrubber<'a> {
    runs: SecretRuns,
    secret_id: &'a str,
}

impl<'a> Scrubber<'a> {
    /// A scrubber for one call: the secrets it carried and the API SecretId that signed it.
    pub fn new(secrets: &[&Secret], secret_id: &'a str) -> Self {
        Scrubber {
            runs: SecretRuns::new(secrets.iter().copied()),
            secret_id,
        }
    }

    /// True when `text` holds a secret of the call, in any spelling.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.runs.found_in(text) || self.runs.found_in(&escape(text))
    }

    /// `text` escaped, with the SecretId masked; [`WITHHELD`] when it holds a secret.
    pub fn clean(&self, text: &str) -> String {
        if self.holds_secret(text) {
            return WITHHELD.to_owned();
        }
        let mut out = Cow::Borrowed(text);
        let id = self.secret_id;
        if id.len() >= 4 && out.contains(id) {
            out = Cow::Owned(out.replace(id, &mask_id(id)));
        }
        escape(&out).into_owned()
    }

    /// Cleans every string of `value`, at any depth (object keys are left as they are: they are
    /// looked up, never shown). serde_json bounds the depth of what it parses, so this recursion
    /// is bounded too.
    pub fn clean_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                let cleaned = self.clean(s);
                if cleaned != *s {
                    *s = cleaned;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.clean_value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.clean_value(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// True for a character that can break a line, move the cursor, or reorder what a reader sees:
/// C0 and C1 controls and DEL, the Unicode line and paragraph separators, and the bidirectional
/// marks, embeddings, overrides and isolates.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [unsafe character](is_unsafe_char) written as an escape: `\n`, `\r`, `\t`,
/// `\x1b` for the other ASCII controls, `\u{2028}` for the rest. Backslashes are kept as they
/// are: the point is that one record stays one line and reads as it is, not reversibility.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_controls_and_bidi_are_escaped() {
        let cases = [
            ("plain text, 中文", "plain text, 中文"),
            ("a\r\nERROR forged", "a\\r\\nERROR forged"),
            ("tab\there", "tab\\there"),
            ("\u{1b}[31mred", "\\x1b[31mred"),
            ("nul\0del\u{7f}", "nul\\x00del\\x7f"),
            ("c1\u{85}\u{9b}", "c1\\u{85}\\u{9b}"),
            ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
            ("rlo\u{202E}fdp.exe", "rlo\\u{202e}fdp.exe"),
            ("iso\u{2066}x\u{2069}", "iso\\u{2066}x\\u{2069}"),
            ("back\\slash", "back\\slash"),
        ];
        for (raw, want) in cases {
            assert_eq!(escape(raw), want, "{raw:?}");
        }
        assert!(matches!(escape("ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_with_a_secret_goes_and_the_secret_id_shows_its_first_four_characters() {
        let key = Secret::new("PLANTED-KEY");
        let secrets = [&key];
        let s = Scrubber::new(&secrets, "AKIDplantedSecretId0123");
        assert_eq!(
            s.clean("id AKIDplantedSecretId0123 unknown\nnext"),
            "id AKID*** unknown\\nnext"
        );
        for echo in [
            "key PLANTED-KEY",
            "key planted-key",
            r#"{\"SecretKey\":\"PLANTED-KE"#,
            r"\u0050LANTED-KEY",
        ] {
            assert_eq!(s.clean(echo), WITHHELD, "{echo}");
        }
        // Too short to mask safely: left alone, as `scrub` leaves short secrets.
        let s = Scrubber::new(&[], "AKI");
        assert_eq!(s.clean("AKI"), "AKI");
    }

    #[test]
    fn every_string_of_a_value_is_cleaned_at_any_depth() {
        let key = Secret::new("PLANTED-KEY");
        let secrets = [&key];
        let s = Scrubber::new(&secrets, "AKIDplantedSecretId0123");
        let mut v: Value = serde_json::from_str(
            r#"{"A":"x\ny","B":[1,{"C":"PLANTED-KEY"}],"D\n":"AKIDplantedSecretId0123","E":null}"#,
        )
        .expect("JSON");
        s.clean_value(&mut v);
        assert_eq!(v["A"], "x\\ny");
        assert_eq!(v["B"][1]["C"], WITHHELD);
        assert_eq!(v["D\n"], "AKID***");
        assert_eq!(v["B"][0], 1);
    }
}
