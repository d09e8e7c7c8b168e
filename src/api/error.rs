//! How a call failed, classified once: the error every call ends in when it does not succeed,
//! and the codes bulkflow gives to outcomes the service did not name.

use super::classify::OutcomeClass;

/// Codes bulkflow gives to outcomes the service did not name.
pub mod codes {
    /// No connection could be made; nothing was sent.
    pub const CONNECT_FAILED: &str = "ConnectFailed";
    /// No complete answer within the request timeout.
    pub const TIMEOUT: &str = "RequestTimeout";
    /// The connection ended before a complete answer.
    pub const CONNECTION_LOST: &str = "ConnectionLost";
    /// The answer is not the API's JSON.
    pub const MALFORMED: &str = "MalformedResponse";
    /// A complete answer that is not the API at all (an HTML page, JSON without `Response`): the
    /// endpoint is wrong, and the request never reached the service.
    pub const WRONG_ENDPOINT: &str = "WrongEndpoint";
    /// The endpoint's TLS certificate is not trusted; no retry can change that.
    pub const TLS_CERTIFICATE: &str = "TlsCertificate";
    /// No TLS handshake is possible with the endpoint (no common version or cipher, refused).
    pub const TLS_HANDSHAKE: &str = "TlsHandshake";
    /// The answer is larger than the client reads (`client::MAX_RESPONSE_BYTES`).
    pub const TOO_LARGE: &str = "ResponseTooLarge";
    /// An HTTP status other than 200 with no API error in it.
    pub const HTTP_STATUS: &str = "HttpStatus";
    /// No credentials to sign with: temporary ones expired and could not be refreshed.
    pub const CREDENTIALS: &str = "CredentialsUnavailable";
}

/// A call that did not succeed, classified once, here. The message never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub class: OutcomeClass,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (RequestId {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CallError {}

/// A call error with no request id.
pub(crate) fn err(class: OutcomeClass, code: &str, message: impl Into<String>) -> CallError {
    CallError {
        class,
        code: code.to_owned(),
        message: message.into(),
        request_id: None,
    }
}
