//! Finding a secret in server text whatever its spelling. A server that echoes the request body
//! in an error message writes the secret JSON-escaped (`\"`, `\\`, perhaps `\/` and `\uXXXX`),
//! sometimes escaped twice, upper- or lower-cased, or only in part; an exact match misses all of
//! those. So text is compared, case-insensitively and in each of its decodings, with every run of
//! [`RUN`] consecutive characters of each secret (the whole secret when it is shorter): text that
//! holds one is not kept at all.

use std::collections::HashSet;

use crate::secret::Secret;

/// Consecutive characters of a secret that mark text as holding it.
pub const RUN: usize = 8;
/// Shorter secrets are not looked for: any text would match a few characters by chance.
pub const MIN_SECRET: usize = 4;
/// Decodings of text tried after the text itself: a secret escaped up to this many times is
/// found.
const DECODINGS: usize = 3;

/// The runs of a set of secrets, lower-cased, by their length in characters.
#[derive(Debug, Clone, Default)]
pub struct SecretRuns {
    by_len: Vec<(usize, HashSet<String>)>,
}

impl SecretRuns {
    /// The runs of `secrets`: every window of [`RUN`] characters of each, or the whole of one
    /// shorter than that; secrets under [`MIN_SECRET`] characters are left out.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> SecretRuns {
        let mut runs = SecretRuns::default();
        for s in secrets {
            let lower: Vec<char> = s.expose().to_lowercase().chars().collect();
            if lower.len() < MIN_SECRET {
                continue;
            }
            let n = lower.len().min(RUN);
            let set = match runs.by_len.iter().position(|(len, _)| *len == n) {
                Some(i) => &mut runs.by_len[i].1,
                None => {
                    runs.by_len.push((n, HashSet::new()));
                    let last = runs.by_len.len() - 1;
                    &mut runs.by_len[last].1
                }
            };
            set.extend(lower.windows(n).map(|w| w.iter().collect::<String>()));
        }
        runs
    }

    /// True when there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.by_len.is_empty()
    }

    /// True when `text`, or one of its decodings (JSON escapes up to [`DECODINGS`] deep, percent
    /// escapes), holds a run of a secret in any letter case.
    pub fn found_in(&self, text: &str) -> bool {
        if self.is_empty() || text.chars().count() < MIN_SECRET {
            return false;
        }
        let starts = std::iter::once(text.to_owned()).chain(percent_decode(text));
        for start in starts {
            let mut level = start;
            for _ in 0..=DECODINGS {
                if self.holds(&level) {
                    return true;
                }
                match json_unescape(&level) {
                    Some(next) => level = next,
                    None => break,
                }
            }
        }
        false
    }

    /// True when `text` itself (lower-cased) holds a run.
    fn holds(&self, text: &str) -> bool {
        let lower = text.to_lowercase();
        let starts: Vec<usize> = lower
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(lower.len()))
            .collect();
        self.by_len.iter().any(|(n, set)| {
            starts
                .windows(n + 1)
                .any(|w| set.contains(&lower[w[0]..w[*n]]))
        })
    }
}

/// `text` with its JSON string escapes decoded (`\"`, `\\`, `\/`, `\n` and the like, `\uXXXX`
/// with surrogate pairs), leniently: an escape that is not one stays as it is, and the letter
/// after a backslash may be of either case (an upper-cased echo writes `\U00E9`). `None` when
/// there is nothing to decode.
fn json_unescape(text: &str) -> Option<String> {
    if !text.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let mut chars = after.chars();
        let decoded = match chars.next() {
            Some(c @ ('"' | '\\' | '/')) => Some((c, 1)),
            Some('n' | 'N') => Some(('\n', 1)),
            Some('r' | 'R') => Some(('\r', 1)),
            Some('t' | 'T') => Some(('\t', 1)),
            Some('b' | 'B') => Some(('\u{8}', 1)),
            Some('f' | 'F') => Some(('\u{c}', 1)),
            Some('u' | 'U') => unicode_escape(after),
            _ => None,
        };
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out != text).then_some(out)
}

/// The character of `uXXXX` (and of a following `\uXXXX` low surrogate) at the start of `s`, and
/// the bytes it used.
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let hex4 = |t: &str| -> Option<u32> {
        let h = t.get(1..5)?;
        h.chars()
            .all(|c| c.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(h, 16).ok())?
    };
    let first = hex4(s)?;
    if (0xD800..0xDC00).contains(&first) {
        let low = s
            .get(5..)
            .filter(|t| t.starts_with("\\u") || t.starts_with("\\U"))
            .and_then(|t| hex4(&t[1..]))
            .filter(|l| (0xDC00..0xE000).contains(l))?;
        let c = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))?;
        return Some((c, 11));
    }
    Some((char::from_u32(first)?, 5))
}

/// `text` with `%XX` escapes decoded (as a form or a URL would carry it); `None` when there is
/// none. Bytes that do not make UTF-8 are replaced.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    let decoded = String::from_utf8_lossy(&out).into_owned();
    (decoded != text).then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spellings a server or a log can give a string: raw, JSON-escaped (serde_json's,
    /// with `\/`, ASCII-only with `\uXXXX`), escaped twice, percent-encoded, upper- and
    /// lower-cased. A request body holds its secret escaped once already, so its spellings are
    /// the secret's escaped up to three times.
    fn spellings(s: &str) -> Vec<String> {
        let json = |t: &str| {
            let q = serde_json::to_string(t).expect("JSON");
            q[1..q.len() - 1].to_owned()
        };
        let ascii = |t: &str| {
            let mut out = String::new();
            for c in json(t).chars() {
                if c.is_ascii() {
                    out.push(c);
                } else {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
            out
        };
        let percent: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
        vec![
            s.to_owned(),
            json(s),
            json(s).replace('/', "\\/"),
            ascii(s),
            json(&json(s)),
            percent,
            s.to_uppercase(),
            s.to_lowercase(),
            json(s).to_uppercase(),
            ascii(s).to_uppercase(),
        ]
    }

    #[test]
    fn a_secret_is_found_in_every_spelling_and_in_part() {
        let secrets = [
            Secret::new(r#"Sk"q\7é密/Lm😀9"#),
            Secret::new(r#"pa"ss\wd"#),
            Secret::new("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
        ];
        for secret in &secrets {
            let runs = SecretRuns::new([secret]);
            for spelled in spellings(secret.expose()) {
                let text = format!("InvalidParameter: bad body {{\"SecretKey\":\"{spelled}\"}}");
                assert!(runs.found_in(&text), "{spelled}");
                // And the request body as a whole, escaped again for the message.
                let body = serde_json::json!({ "SecretKey": secret.expose() }).to_string();
                for body in spellings(&body) {
                    assert!(runs.found_in(&format!("echo: {body}")), "{body}");
                }
            }
        }
        // Eight characters in a row are enough; seven of a long secret are not.
        let runs = SecretRuns::new(&secrets[2..]);
        assert!(runs.found_in("key ...ARNPQ86C... refused"));
        assert!(!runs.found_in("key ...ARNPQ86... refused"));
    }

    #[test]
    fn other_text_and_short_secrets_are_left_alone() {
        let a = Secret::new("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");
        let short = Secret::new("abc");
        let runs = SecretRuns::new([&a, &short]);
        for text in [
            "",
            "The SecretKey is invalid.",
            r#"bad escape \u12 \x \"q\" %zz %4"#,
            "abc abc abc",
            "字符串 \\ud83d alone",
        ] {
            assert!(!runs.found_in(text), "{text}");
        }
        assert!(SecretRuns::new([&short]).is_empty());
        // A secret of four to seven characters is looked for whole.
        let pw = SecretRuns::new([&Secret::new("h\"unt")]);
        assert!(pw.found_in(r#"password h\"UNT rejected"#));
        assert!(!pw.found_in("password hun rejected"));
    }

    #[test]
    fn decoding_is_lenient_and_bounded() {
        assert_eq!(json_unescape("plain"), None);
        assert_eq!(
            json_unescape(r#"a\"b\\c\/d\u00e9\U00E9\ud83d\ude00\q"#).as_deref(),
            Some("a\"b\\c/déé😀\\q")
        );
        assert_eq!(json_unescape(r"\u12").as_deref(), None);
        assert_eq!(json_unescape(r"\").as_deref(), None);
        assert_eq!(
            percent_decode("a%2Fb%e5%AF%86%z").as_deref(),
            Some("a/b密%z")
        );
        assert_eq!(percent_decode("100%"), None);
        // Escaped four times: deeper than looked for.
        let runs = SecretRuns::new([&Secret::new("ab\"cd\"ef")]);
        assert!(runs.found_in(r#"ab\\\\\\\"cd\\\\\\\"ef"#));
        assert!(!runs.found_in(r#"ab\\\\\\\\\\\\\\\"cd\\\\\\\\\\\\\\\"ef"#));
    }
}
