//! A strict parser of the Prometheus text exposition format (version 0.0.4), for the tests of
//! `--metrics-file`: every line either a `# HELP`, a `# TYPE`, another comment, or a sample;
//! names and label names as the format allows them; label values with only the three escapes
//! it knows (`\\`, `\"`, `\n`); a `TYPE` before its samples and at most once; the samples of a
//! metric together; no series twice; the text ending with a line feed.

use std::collections::{HashMap, HashSet};

/// One sample: the metric's name, its labels in order, its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn is_name(s: &str, colon: bool) -> bool {
    let mut chars = s.chars();
    let ok_first = |c: char| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':');
    chars.next().is_some_and(ok_first)
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
}

/// HELP text: only `\\` and `\n` are escapes.
fn check_help(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && !matches!(chars.next(), Some('\\' | 'n')) {
            return Err(format!("bad escape in HELP text {text:?}"));
        }
    }
    Ok(())
}

/// Label names and values, in order.
type Labels = Vec<(String, String)>;

/// A label set after `{`: returns the labels and the rest after `}`.
fn labels(mut rest: &str) -> Result<(Labels, &str), String> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((out, after));
        }
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("no = in labels {rest:?}"))?;
        let name = name.trim();
        if !is_name(name, false) || name.starts_with("__") {
            return Err(format!("bad label name {name:?}"));
        }
        let mut chars = after
            .strip_prefix('"')
            .ok_or_else(|| format!("label {name} value not quoted"))?
            .char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next() {
                None => return Err(format!("label {name}: unterminated value")),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("label {name}: bad escape {other:?}")),
                },
                Some((_, '\n')) => return Err(format!("label {name}: raw line feed")),
                Some((_, c)) => value.push(c),
            }
        };
        if out.iter().any(|(k, _)| k == name) {
            return Err(format!("label {name} twice"));
        }
        out.push((name.to_owned(), value));
        rest = &after[1 + end + 1..];
        rest = rest.trim_start_matches(' ');
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn value(s: &str) -> Result<f64, String> {
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        s => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// Parses `text`, or says where it breaks the format.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the text does not end with a line feed".into());
    }
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashSet<String> = HashSet::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(name), text) => {
                    if !is_name(name, true) || !helps.insert(name.to_owned()) {
                        return Err(at("bad or repeated HELP".into()));
                    }
                    check_help(text.unwrap_or("")).map_err(at)?;
                }
                (Some("TYPE"), Some(name), Some(kind)) => {
                    let known = ["counter", "gauge", "histogram", "summary", "untyped"];
                    if !is_name(name, true) || !known.contains(&kind) {
                        return Err(at("bad TYPE".into()));
                    }
                    if types.insert(name.to_owned(), kind.to_owned()).is_some()
                        || finished.contains(name)
                        || seen.iter().any(|s| s.starts_with(&format!("{name}{{")))
                    {
                        return Err(at("TYPE after its samples, or twice".into()));
                    }
                }
                _ => {}
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name, true) {
            return Err(at("bad metric name".into()));
        }
        let (labels, rest) = match line[name_end..].strip_prefix('{') {
            Some(after) => labels(after).map_err(at)?,
            None => (Vec::new(), &line[name_end..]),
        };
        let mut fields = rest.split_whitespace();
        let v = value(fields.next().ok_or_else(|| at("no value".into()))?).map_err(at)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| at("bad timestamp".into()))?;
        }
        if fields.next().is_some() || !rest.starts_with(' ') {
            return Err(at("garbage after the value".into()));
        }
        if current.as_deref() != Some(name) {
            if finished.contains(name) {
                return Err(at("the samples of a metric are not together".into()));
            }
            if let Some(prev) = current.replace(name.to_owned()) {
                finished.insert(prev);
            }
        }
        let key = format!("{name}{{{labels:?}}}");
        if !seen.insert(key) {
            return Err(at("the same series twice".into()));
        }
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value: v,
        });
    }
    Ok(samples)
}

#[test]
fn the_parser_refuses_what_the_format_refuses() {
    let good = "# HELP a_total A \\\\ help\\n.\n# TYPE a_total counter\na_total{x=\"q\\\"\\\\\\n\",y=\"\"} 3\n";
    let s = parse(good).expect("good");
    assert_eq!(s[0].label("x"), Some("q\"\\\n"));
    for bad in [
        "a 1",
        "a{x=\"\\t\"} 1\n",
        "a{x=\"unterminated} 1\n",
        "a{x=1} 1\n",
        "a{1x=\"v\"} 1\n",
        "a 1\nb 1\na 2\n",
        "a 1\na 1\n",
        "a one\n",
        "a 1\n# TYPE a gauge\n",
        "a{x=\"v\",x=\"w\"} 1\n",
        "1a 1\n",
        "a 1 2 3\n",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}
