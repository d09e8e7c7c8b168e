//! A string that must never be shown: API keys, tokens, source bucket keys, Kafka passwords.

use std::fmt;

/// A secret value. `Debug` and `Display` print `***`; the only way to the value is [`Secret::expose`],
/// so every place that uses it is easy to find.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for signing and for the request body only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Replaces every occurrence of each secret (of four characters or more) in `text` with `***`.
/// Used on server messages and error texts before they are stored or printed.
pub fn scrub<'a>(text: &str, secrets: impl IntoIterator<Item = &'a Secret>) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        let v = s.expose();
        if v.len() >= 4 && out.contains(v) {
            out = out.replace(v, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("AKIDsupersecret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "AKIDsupersecret");
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        let a = Secret::new("key-123456");
        let b = Secret::new("ab");
        let out = scrub("bad key key-123456 (key-123456) ab", [&a, &b]);
        assert_eq!(out, "bad key *** (***) ab");
    }
}
