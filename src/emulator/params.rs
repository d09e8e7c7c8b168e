//! Reading an action's JSON parameters, with the service's error codes for each kind of mistake,
//! and the rules of the fields several actions (and the `--preexisting` file) share. Messages
//! name parameters, never their values, so no secret is ever echoed.

use serde_json::{Map, Number, Value};

use super::limits::MAX_NAME_CHARS;
use super::response::ApiError;

/// An action's parameters: the body's JSON object.
pub(crate) type Params = Map<String, Value>;

/// The body as a JSON object; an empty body is an empty object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Params, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Params::new());
    }
    serde_json::from_slice::<Params>(body).map_err(|_| {
        ApiError::new(
            "InvalidParameter",
            "The request body is not a UTF-8 JSON object.",
        )
    })
}

/// `UnknownParameter` for the first name not in `known`.
pub(crate) fn only_known(params: &Params, known: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(ApiError::owned(
            "UnknownParameter",
            format!("The parameter `{}` is not recognized.", printable(k)),
        )),
    }
}

/// A required string parameter.
pub(crate) fn required_str<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    optional_str(params, name)?.ok_or_else(|| {
        ApiError::owned(
            "MissingParameter",
            format!("The request is missing a required parameter `{name}`."),
        )
    })
}

/// An optional string parameter; any other JSON type is `InvalidParameter`.
pub(crate) fn optional_str<'a>(
    params: &'a Params,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(name, "String")),
    }
}

/// An optional number parameter; any other JSON type is `InvalidParameter`.
pub(crate) fn optional_number<'a>(
    params: &'a Params,
    name: &str,
) -> Result<Option<&'a Number>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n)),
        Some(_) => Err(wrong_type(name, "Integer")),
    }
}

/// An optional boolean parameter; any other JSON type is `InvalidParameter`.
pub(crate) fn optional_bool(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong_type(name, "Boolean")),
    }
}

/// An optional non-empty string parameter: an empty one is absent.
pub(crate) fn optional_text<'a>(
    params: &'a Params,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    Ok(optional_str(params, name)?.filter(|s| !s.is_empty()))
}

/// An optional non-negative integer parameter (`Offset`); `default` when absent.
pub(crate) fn optional_count(params: &Params, name: &str, default: u64) -> Result<u64, ApiError> {
    match optional_number(params, name)?.map(Number::as_u64) {
        None => Ok(default),
        Some(Some(n)) => Ok(n),
        Some(None) => Err(ApiError::owned(
            "InvalidParameterValue",
            format!("{name} must be a non-negative integer."),
        )),
    }
}

pub(crate) fn wrong_type(name: &str, ty: &str) -> ApiError {
    ApiError::owned(
        "InvalidParameter",
        format!("The parameter `{name}` must be of type {ty}."),
    )
}

/// A parameter name fit for a message: at most 64 characters, no control characters.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// An optional text as the state keeps it: empty is absent.
pub(crate) fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `InvalidParameterValue.InvalidDataFlowName` unless the name follows the rules.
pub(crate) fn check_name(name: Option<&str>) -> Result<(), ApiError> {
    match name {
        Some(name) if !valid_name(name) => Err(ApiError::new(
            "InvalidParameterValue.InvalidDataFlowName",
            "DataFlowName must be at most 64 characters: letters, digits, Chinese characters, _ and -.",
        )),
        _ => Ok(()),
    }
}

/// `AutoRefresh` is 0 or 1 when given.
pub(crate) fn check_auto_refresh(value: Option<&Number>) -> Result<Option<u8>, ApiError> {
    match value.map(Number::as_u64) {
        None => Ok(None),
        Some(Some(v @ (0 | 1))) => Ok(Some(v as u8)),
        Some(_) => Err(ApiError::new(
            "InvalidParameterValue",
            "AutoRefresh must be 0 or 1.",
        )),
    }
}

/// `cfs-[0-9a-z]+`, and one of `known` (`--file-systems`) when they are listed.
pub(crate) fn check_file_system(id: &str, known: Option<&[String]>) -> Result<(), ApiError> {
    if !valid_file_system_id(id) {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidFileSystemId",
            "FileSystemId is not a valid file system id (cfs-[0-9a-z]+).",
        ));
    }
    if let Some(known) = known {
        if !known.iter().any(|k| k == id) {
            return Err(ApiError::owned(
                "ResourceNotFound.FileSystemNotFound",
                format!("The file system `{id}` does not exist."),
            ));
        }
    }
    Ok(())
}

/// `cfs-[0-9a-z]+`.
pub(crate) fn valid_file_system_id(id: &str) -> bool {
    id.strip_prefix("cfs-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// At most 64 characters of ASCII letters, digits, CJK ideographs, `_` and `-`.
pub(crate) fn valid_name(name: &str) -> bool {
    name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || is_cjk_ideograph(c))
}

fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x30000..=0x323AF)
}

/// A directory's identity: the service allows one flow per directory, and lists `/cfs/a` as
/// `/cfs/a/`, so trailing slashes do not make paths different.
pub(crate) fn normalize_target_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/"
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_mistakes() {
        assert_eq!(parse_object(b" ").unwrap().len(), 0);
        assert_eq!(parse_object(b"[1]").unwrap_err().code, "InvalidParameter");
        assert_eq!(
            parse_object(b"\xff\xfe").unwrap_err().code,
            "InvalidParameter"
        );
        let p = parse_object(br#"{"A": "x", "B": 1}"#).unwrap();
        assert_eq!(only_known(&p, &["A"]).unwrap_err().code, "UnknownParameter");
        assert_eq!(required_str(&p, "C").unwrap_err().code, "MissingParameter");
        assert_eq!(required_str(&p, "B").unwrap_err().code, "InvalidParameter");
        assert_eq!(
            optional_number(&p, "A").unwrap_err().code,
            "InvalidParameter"
        );
        assert_eq!(required_str(&p, "A").unwrap(), "x");
    }

    #[test]
    fn names() {
        assert!(valid_name("flow_1-数据"));
        assert!(valid_name(&"a".repeat(64)));
        assert!(!valid_name(&"a".repeat(65)));
        assert!(valid_name(&"数".repeat(64)));
        assert!(!valid_name("has space"));
        assert!(!valid_name("dot.name"));
        assert!(!valid_name("é"));
    }
}
