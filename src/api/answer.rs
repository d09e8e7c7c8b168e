//! What came back from a call, classified: the API's answer, the API's error, an answer that is
//! not the API at all, or a failure of the HTTP layer. Server text enters bulkflow here, and only
//! scrubbed and escaped.

use serde_json::Value;

use super::classify::{classify_code, permanent_tls_failure, OutcomeClass, TlsFailure};
use super::error::{codes, err, CallError};
use super::untrusted::{escape, Scrubber, WITHHELD};

/// Longest Content-Type quoted in a message.
const MAX_QUOTED_TYPE: usize = 60;

/// Reads an answer: the API's error, a success, or a classified oddity. Every string of the
/// `Response` object is [cleaned](Scrubber::clean) before anything reads it, so that a secret
/// the server echoes, or a line break it writes, reaches neither logs, state nor reports.
pub(super) fn interpret(
    status: u16,
    content_type: Option<&str>,
    bytes: &[u8],
    scrubber: &Scrubber<'_>,
) -> Result<(Value, String), CallError> {
    let mut json = serde_json::from_slice::<Value>(bytes).ok();
    let parsed = json
        .as_mut()
        .and_then(|v| v.get_mut("Response"))
        .map(Value::take)
        .filter(Value::is_object);
    let Some(mut resp) = parsed else {
        if status == 200 {
            if let Some(what) = not_the_api(content_type, bytes, json.as_ref()) {
                return Err(err(
                    OutcomeClass::Fatal,
                    codes::WRONG_ENDPOINT,
                    format!(
                        "HTTP 200 with {what}, not the Tencent Cloud API's JSON: is --endpoint right?"
                    ),
                ));
            }
            return Err(err(
                OutcomeClass::Unknown,
                codes::MALFORMED,
                "an answer that is not the API's JSON, or was cut off",
            ));
        }
        // The body's type tells a gateway's error page from a garbled answer of the API.
        let body = match media_type(content_type) {
            Some(m) => format!(" (a {m} body)"),
            None => String::new(),
        };
        return Err(err(
            status_class(status),
            codes::HTTP_STATUS,
            format!("HTTP {status} without an API answer{body}: is --endpoint the CFS API?"),
        ));
    };
    // Classified by the code as it came: a code that happens to share a run of characters with
    // a secret is still the code it is, even if it is not shown.
    let raw_class = resp
        .get("Error")
        .and_then(|e| e.get("Code"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && *c != codes::MALFORMED)
        .map(classify_code);
    // A hostile or broken server may echo a secret, or write a line break, into any field.
    scrubber.clean_value(&mut resp);
    let request_id: String = resp
        .get("RequestId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(128)
        .collect();
    if let Some(error) = resp.get("Error") {
        return Err(api_error(error, raw_class, request_id));
    }
    if status != 200 {
        return Err(CallError {
            request_id: Some(request_id),
            ..err(
                status_class(status),
                codes::HTTP_STATUS,
                format!("HTTP {status}"),
            )
        });
    }
    Ok((resp, request_id))
}

/// The API's error, cleaned already: its code (classified as it came, `raw_class`), its message
/// (or what replaces one that quoted a secret), its request id.
fn api_error(error: &Value, raw_class: Option<OutcomeClass>, request_id: String) -> CallError {
    let code = error
        .get("Code")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .unwrap_or(codes::MALFORMED);
    let mut message: String = error
        .get("Message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(1000)
        .collect();
    if message == WITHHELD {
        message = format!(
            "the server's message for {code} is not kept: it quoted a secret sent with the call"
        );
    }
    CallError {
        class: raw_class.unwrap_or(OutcomeClass::Unknown),
        code: code.chars().take(128).collect(),
        message,
        request_id: Some(request_id),
    }
}

/// What a complete HTTP 200 answer with no `Response` object is, when it cannot be the API's
/// answer: JSON without `Response`, an HTML or XML page, or a Content-Type that is not JSON.
/// `None` when it may be the API's answer cut off or garbled (it starts like JSON but does not
/// parse, or it is empty): the service may have acted, so that stays `Unknown`.
fn not_the_api(content_type: Option<&str>, bytes: &[u8], json: Option<&Value>) -> Option<String> {
    if let Some(v) = json {
        // `{"Response": 5}` is the API's shape gone wrong, not another service.
        let api_shaped = v.as_object().is_some_and(|m| m.contains_key("Response"));
        return (!api_shaped).then(|| "JSON that has no Response object".to_owned());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    match (first, media_type(content_type)) {
        (Some(b'{' | b'['), _) => None,
        (_, Some(m)) if !is_json_type(&m) => Some(m),
        (Some(b'<'), _) => Some("a body that starts with <".to_owned()),
        _ => None,
    }
}

/// The media type of a Content-Type (lower case, without parameters), escaped and cut to a
/// length a message can quote: a server writes it.
fn media_type(content_type: Option<&str>) -> Option<String> {
    content_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty())
        .map(|m| escape(&m).chars().take(MAX_QUOTED_TYPE).collect())
}

/// `application/json`, `text/json` and `application/*+json`.
fn is_json_type(media: &str) -> bool {
    matches!(
        media,
        "application/json" | "text/json" | "application/x-json"
    ) || (media.starts_with("application/") && media.ends_with("+json"))
}

/// The class of an answer that is not a 200 and names no API error, whatever its body: 429 is
/// throttling, other 3xx and 4xx mean a wrong endpoint (the run stops), and anything else (5xx
/// from a gateway, odd statuses) may have acted.
fn status_class(status: u16) -> OutcomeClass {
    match status {
        200 => OutcomeClass::Unknown,
        429 => OutcomeClass::Throttled,
        300..=499 => OutcomeClass::Fatal,
        _ => OutcomeClass::Unknown,
    }
}

/// Classifies a failure of the HTTP layer. Only a failure to connect is sure not to have acted;
/// among those, an untrusted certificate or an impossible handshake stops the run, as no retry
/// can mend it.
pub(super) fn transport_error(e: reqwest::Error) -> CallError {
    // Nothing was sent, and nothing sent again would fare better: a header value (a SecretId or
    // a token) that HTTP cannot carry. Credentials are checked where they are loaded; this is
    // the net under that check.
    if e.is_builder() {
        return err(
            OutcomeClass::Fatal,
            codes::CREDENTIALS,
            format!(
                "the request could not be built (does a credential hold a character HTTP headers cannot carry?): {}",
                source_chain(&e)
            ),
        );
    }
    if e.is_connect() {
        if let Some((kind, tls)) = permanent_tls_failure(&e) {
            let host = e.url().and_then(|u| u.host_str()).unwrap_or("?");
            let tls = escape(&tls.to_string()).into_owned();
            return match kind {
                TlsFailure::Certificate => err(
                    OutcomeClass::Fatal,
                    codes::TLS_CERTIFICATE,
                    format!(
                        "the TLS certificate of {host} is not trusted: {tls} (behind a TLS-inspecting proxy, add its CA certificate to the system's store)"
                    ),
                ),
                TlsFailure::Handshake => err(
                    OutcomeClass::Fatal,
                    codes::TLS_HANDSHAKE,
                    format!("no TLS handshake is possible with {host}: {tls}"),
                ),
            };
        }
        // reqwest's text names the address and the OS error, never the body.
        return err(
            OutcomeClass::Transient,
            codes::CONNECT_FAILED,
            format!("could not connect: {}", source_chain(&e)),
        );
    }
    if e.is_timeout() {
        return err(
            OutcomeClass::Unknown,
            codes::TIMEOUT,
            "no complete answer within the request timeout",
        );
    }
    err(
        OutcomeClass::Unknown,
        codes::CONNECTION_LOST,
        format!(
            "the connection ended before a complete answer: {}",
            source_chain(&e)
        ),
    )
}

/// An error and its sources, `: `-separated, escaped (a peer can shape some of that text).
pub(super) fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    escape(&out).into_owned()
}

#[cfg(test)]
mod tests;
