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

/// An API SecretId as messages may show it: its first four characters and `***` (`AKID***`), which
/// tells keys of different kinds apart without naming one. An id shorter than eight characters is
/// all `***`, as four characters would be half of it or more.
pub fn mask_id(id: &str) -> String {
    if id.chars().count() < 8 {
        return "***".to_owned();
    }
    let head: String = id.chars().take(4).collect();
    format!("{head}***")
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

    #[test]
    fn mask_id_keeps_four_characters_of_a_long_id_only() {
        assert_eq!(mask_id("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"), "AKID***");
        assert_eq!(mask_id("AKID1234"), "AKID***");
        assert_eq!(mask_id("AKID123"), "***");
        assert_eq!(mask_id("密钥密钥密钥密钥x"), "密钥密钥***");
    }
}
