//! Value resolution: an empty value is absent, and a value written exactly `${NAME}` is read from
//! the environment, so a manifest can be committed without its secrets.

/// What a raw value resolves to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The value to use.
    Value(String),
    /// No value (empty, or JSON null).
    Absent,
    /// `${NAME}` where NAME is not set (or is empty); holds the variable's name, never a value.
    MissingVariable(String),
}

/// Resolves one raw value with `env`.
pub(crate) fn resolve(raw: Option<String>, env: &dyn Fn(&str) -> Option<String>) -> Resolved {
    let Some(raw) = raw else {
        return Resolved::Absent;
    };
    if raw.is_empty() {
        return Resolved::Absent;
    }
    match variable_name(&raw) {
        Some(name) => match env(name) {
            Some(v) if !v.is_empty() => Resolved::Value(v),
            _ => Resolved::MissingVariable(name.to_owned()),
        },
        None => Resolved::Value(raw),
    }
}

/// NAME when `value` is exactly `${NAME}` with NAME matching `[A-Za-z_][A-Za-z0-9_]*`.
fn variable_name(value: &str) -> Option<&str> {
    let name = value.strip_prefix("${")?.strip_suffix('}')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let ok = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SRC_KEY" => Some("k-123".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn resolves_variables_and_empties() {
        assert_eq!(resolve(None, &env), Resolved::Absent);
        assert_eq!(resolve(Some(String::new()), &env), Resolved::Absent);
        assert_eq!(
            resolve(Some("plain".into()), &env),
            Resolved::Value("plain".into())
        );
        assert_eq!(
            resolve(Some("${SRC_KEY}".into()), &env),
            Resolved::Value("k-123".into())
        );
        assert_eq!(
            resolve(Some("${NOPE}".into()), &env),
            Resolved::MissingVariable("NOPE".into())
        );
        assert_eq!(
            resolve(Some("${EMPTY}".into()), &env),
            Resolved::MissingVariable("EMPTY".into())
        );
    }

    #[test]
    fn only_an_exact_reference_is_a_variable() {
        for literal in [
            "${}",
            "${1A}",
            "${A-B}",
            "x${SRC_KEY}",
            "${SRC_KEY}x",
            "$SRC_KEY",
            "${ A}",
        ] {
            assert_eq!(
                resolve(Some(literal.into()), &env),
                Resolved::Value(literal.into()),
                "{literal}"
            );
        }
        assert_eq!(variable_name("${_a9}"), Some("_a9"));
    }
}
