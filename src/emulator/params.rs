//! Reading an action's JSON parameters, with the service's error codes for each kind of mistake.
//! Messages name parameters, never their values, so no secret is ever echoed.

use serde_json::{Map, Number, Value};

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

fn wrong_type(name: &str, ty: &str) -> ApiError {
    ApiError::owned(
        "InvalidParameter",
        format!("The parameter `{name}` must be of type {ty}."),
    )
}

/// A parameter name fit for a message: at most 64 characters, no control characters.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
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
}
