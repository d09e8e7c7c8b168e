//! The JSON answers of API 3.0: `{"Response": {..., "RequestId": ...}}`.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// An error answer: `Response.Error.Code` and `.Message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: &'static str,
    pub(crate) message: Cow<'static, str>,
}

impl ApiError {
    /// An error with a fixed message.
    pub(crate) fn new(code: &'static str, message: &'static str) -> Self {
        ApiError {
            code,
            message: Cow::Borrowed(message),
        }
    }

    /// An error with a built message. Never put a secret in it.
    pub(crate) fn owned(code: &'static str, message: String) -> Self {
        ApiError {
            code,
            message: Cow::Owned(message),
        }
    }

    /// True for `AuthFailure` and its sub-codes.
    pub(crate) fn is_auth(&self) -> bool {
        self.code.starts_with("AuthFailure")
    }
}

/// The body of a successful answer with `fields`, plus `RequestId`.
pub(crate) fn success(request_id: &str, mut fields: Map<String, Value>) -> Vec<u8> {
    fields.insert("RequestId".to_owned(), Value::from(request_id));
    wrap(fields)
}

/// The body of an error answer.
pub(crate) fn error(request_id: &str, err: &ApiError) -> Vec<u8> {
    let mut e = Map::new();
    e.insert("Code".to_owned(), Value::from(err.code));
    e.insert("Message".to_owned(), Value::from(err.message.as_ref()));
    let mut fields = Map::new();
    fields.insert("Error".to_owned(), Value::Object(e));
    fields.insert("RequestId".to_owned(), Value::from(request_id));
    wrap(fields)
}

fn wrap(fields: Map<String, Value>) -> Vec<u8> {
    let mut top = Map::new();
    top.insert("Response".to_owned(), Value::Object(fields));
    serde_json::to_vec(&Value::Object(top)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape() {
        let body = error("r-1", &ApiError::new("InvalidAction", "no \"such\" action"));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["Response"]["Error"]["Code"], "InvalidAction");
        assert_eq!(v["Response"]["Error"]["Message"], "no \"such\" action");
        assert_eq!(v["Response"]["RequestId"], "r-1");
    }
}
