//! The words of the HTML page: every value escaped once ([`escape`]), and the numbers, times
//! and durations as the page writes them.

/// Longer messages are cut to this many characters (the CSV report has them whole).
pub const MESSAGE_CAP: usize = 400;

/// `s` safe as HTML text and as a quoted attribute value: `& < > " '` become references, and
/// control characters and text-direction overrides (which could make a row read as another)
/// become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                    | '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}') =>
            {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

/// At most [`MESSAGE_CAP`] characters of `s`, escaped, with `…` when cut.
pub fn escape_capped(s: &str) -> String {
    match s.char_indices().nth(MESSAGE_CAP) {
        Some((i, _)) => format!("{}…", escape(&s[..i])),
        None => escape(s),
    }
}

/// `2025-05-01 02:30:11 UTC`.
pub fn when(ms: i64) -> String {
    format!("{} UTC", crate::clock::datetime(ms, 0))
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `s` unless `n` is one.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `45s`, `2m30s`, `1h05m`, `3d04h`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m, s) {
        (0, 0, 0, s) => format!("{s}s"),
        (0, 0, m, 0) => format!("{m}m"),
        (0, 0, m, s) => format!("{m}m{s:02}s"),
        (0, h, 0, _) => format!("{h}h"),
        (0, h, m, _) => format!("{h}h{m:02}m"),
        (d, 0, _, _) => format!("{d}d"),
        (d, h, _, _) => format!("{d}d{h:02}h"),
    }
}

/// A whole number as it is, anything else with one decimal.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
