//! Typed, signed calls to the CFS API, each ending in a value or a classified [`CallError`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use super::classify::{classify_code, OutcomeClass};
use super::credentials::Credentials;
use super::endpoint::Target;
use super::sign::{self, SignInput};
use super::types::{
    CreateDataFlowRequest, Created, DataFlowInfo, DeleteDataFlowRequest, Deleted,
    DescribeDataFlowRequest, DescribePage, Modified, ModifyDataFlowRequest, SERVICE, VERSION,
};
use crate::secret::{scrub, Secret};

/// The largest answer read; a larger one is an outcome (`ResponseTooLarge`), not a memory problem.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

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
    /// The answer is larger than [`super::MAX_RESPONSE_BYTES`].
    pub const TOO_LARGE: &str = "ResponseTooLarge";
    /// An HTTP status other than 200 with no API error in it.
    pub const HTTP_STATUS: &str = "HttpStatus";
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

fn err(class: OutcomeClass, code: &str, message: impl Into<String>) -> CallError {
    CallError {
        class,
        code: code.to_owned(),
        message: message.into(),
        request_id: None,
    }
}

/// A client of the CFS API with one connection pool, one set of credentials and one timeout.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    creds: Credentials,
    timeout: Duration,
}

impl Client {
    /// A client over rustls that follows no redirect.
    pub fn new(creds: Credentials, timeout: Duration) -> Result<Client, reqwest::Error> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(512)
            .tcp_nodelay(true)
            .user_agent(concat!("bulkflow/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Client {
            http,
            creds,
            timeout,
        })
    }

    /// Sends one CreateDataFlow.
    pub async fn create_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &CreateDataFlowRequest,
    ) -> Result<Created, CallError> {
        let secrets: Vec<&Secret> = req.secrets().collect();
        let (resp, request_id) = self
            .call(target, "CreateDataFlow", region, req.to_body(), &secrets)
            .await?;
        let data_flow_id = data_flow_id(&resp, &request_id)?;
        Ok(Created {
            data_flow_id,
            request_id,
        })
    }

    /// Sends one DeleteDataFlow. Success means the flow now lists as `deleting`; an id the
    /// service does not know is `InvalidParameterValue.InvalidDataFlowId` (a `Row` error).
    pub async fn delete_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &DeleteDataFlowRequest,
    ) -> Result<Deleted, CallError> {
        let (_, request_id) = self
            .call(target, "DeleteDataFlow", region, req.to_body(), &[])
            .await?;
        Ok(Deleted { request_id })
    }

    /// Sends one ModifyDataFlow.
    pub async fn modify_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &ModifyDataFlowRequest,
    ) -> Result<Modified, CallError> {
        let secrets: Vec<&Secret> = req.secrets().collect();
        let (resp, request_id) = self
            .call(target, "ModifyDataFlow", region, req.to_body(), &secrets)
            .await?;
        let data_flow_id = data_flow_id(&resp, &request_id)?;
        Ok(Modified {
            data_flow_id,
            request_id,
        })
    }

    /// Asks for one page of DescribeDataFlow.
    pub async fn describe_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &DescribeDataFlowRequest,
    ) -> Result<DescribePage, CallError> {
        let (resp, request_id) = self
            .call(target, "DescribeDataFlow", region, req.to_body(), &[])
            .await?;
        let malformed = |what: &str| CallError {
            request_id: Some(request_id.clone()),
            ..err(OutcomeClass::Unknown, codes::MALFORMED, what.to_owned())
        };
        let total_count = resp
            .get("TotalCount")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed("the answer has no TotalCount"))?;
        let data_flows = match resp.get("DataFlows") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value::<Vec<DataFlowInfo>>(v.clone())
                .map_err(|_| malformed("DataFlows is not a list of data flows"))?,
        };
        Ok(DescribePage {
            total_count,
            data_flows,
            request_id,
        })
    }

    /// Signs and sends one action; returns the `Response` object and its `RequestId`.
    async fn call(
        &self,
        target: &Target,
        action: &str,
        region: &str,
        body: Vec<u8>,
        secrets: &[&Secret],
    ) -> Result<(Value, String), CallError> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let content_type = "application/json";
        let authorization = sign::authorization(&SignInput {
            secret_id: &self.creds.secret_id,
            secret_key: self.creds.secret_key.expose(),
            service: SERVICE,
            host: &target.host,
            content_type,
            timestamp,
            payload: &body,
        });
        let mut request = self
            .http
            .post(target.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, content_type)
            .header("Authorization", authorization)
            .header("X-TC-Action", action)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", region)
            .body(body);
        if let Some(token) = &self.creds.token {
            request = request.header("X-TC-Token", token.expose());
        }
        let all_secrets: Vec<&Secret> = secrets
            .iter()
            .copied()
            .chain(std::iter::once(&self.creds.secret_key))
            .chain(self.creds.token.as_ref())
            .collect();

        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(err(
                            OutcomeClass::Unknown,
                            codes::TOO_LARGE,
                            format!("the answer is over {MAX_RESPONSE_BYTES} bytes"),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(transport_error(e)),
            }
        }
        interpret(status.as_u16(), &bytes, &all_secrets)
    }
}

/// The `DataFlowId` of a successful answer; an answer without one may still have acted, so it
/// is `Unknown`.
fn data_flow_id(resp: &Value, request_id: &str) -> Result<String, CallError> {
    match resp.get("DataFlowId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_owned()),
        _ => Err(CallError {
            request_id: Some(request_id.to_owned()),
            ..err(
                OutcomeClass::Unknown,
                codes::MALFORMED,
                "the answer has no DataFlowId",
            )
        }),
    }
}

/// Reads an answer: the API's error, a success, or a classified oddity.
fn interpret(status: u16, bytes: &[u8], secrets: &[&Secret]) -> Result<(Value, String), CallError> {
    let parsed: Option<Value> = serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|mut v| v.get_mut("Response").map(Value::take))
        .filter(Value::is_object);
    let Some(resp) = parsed else {
        let class = status_class(status);
        let (code, what) = if status == 200 {
            (
                codes::MALFORMED,
                "an answer that is not the API's JSON".to_owned(),
            )
        } else {
            (
                codes::HTTP_STATUS,
                format!("HTTP {status} without an API answer (is --endpoint the CFS API?)"),
            )
        };
        return Err(err(class, code, what));
    };
    // Everything the server says is scrubbed: a hostile or broken server may echo a secret
    // into any field, and the code and request id are shown as well as the message.
    let request_id = resp
        .get("RequestId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let request_id: String = scrub(request_id, secrets.iter().copied())
        .chars()
        .take(128)
        .collect();
    if let Some(error) = resp.get("Error") {
        let code = error
            .get("Code")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .unwrap_or(codes::MALFORMED);
        let message = error.get("Message").and_then(Value::as_str).unwrap_or("");
        let message: String = scrub(message, secrets.iter().copied())
            .chars()
            .take(1000)
            .collect();
        // Classified as the server said it; kept and shown only scrubbed.
        let class = if code == codes::MALFORMED {
            OutcomeClass::Unknown
        } else {
            classify_code(code)
        };
        let code: String = scrub(code, secrets.iter().copied())
            .chars()
            .take(128)
            .collect();
        return Err(CallError {
            class,
            code,
            message,
            request_id: Some(request_id),
        });
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

/// Classifies a failure of the HTTP layer. Only a failure to connect is sure not to have acted.
fn transport_error(e: reqwest::Error) -> CallError {
    if e.is_connect() {
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

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpret_classifies_odd_answers() {
        let s = Secret::new("PLANTED-KEY");
        let cases: &[(u16, &str, OutcomeClass, &str)] = &[
            (200, "", OutcomeClass::Unknown, codes::MALFORMED),
            (
                200,
                "{\"Response\":",
                OutcomeClass::Unknown,
                codes::MALFORMED,
            ),
            (200, "[1,2]", OutcomeClass::Unknown, codes::MALFORMED),
            (
                200,
                "{\"Response\": 5}",
                OutcomeClass::Unknown,
                codes::MALFORMED,
            ),
            (
                502,
                "<html>bad gateway</html>",
                OutcomeClass::Unknown,
                codes::HTTP_STATUS,
            ),
            (404, "not found", OutcomeClass::Fatal, codes::HTTP_STATUS),
            (302, "", OutcomeClass::Fatal, codes::HTTP_STATUS),
            (429, "", OutcomeClass::Throttled, codes::HTTP_STATUS),
            (
                429,
                r#"{"Response":{"RequestId":"r1"}}"#,
                OutcomeClass::Throttled,
                codes::HTTP_STATUS,
            ),
            (
                404,
                r#"{"Response":{"RequestId":"r1"}}"#,
                OutcomeClass::Fatal,
                codes::HTTP_STATUS,
            ),
            (
                503,
                r#"{"Response":{"RequestId":"r1"}}"#,
                OutcomeClass::Unknown,
                codes::HTTP_STATUS,
            ),
            (
                200,
                r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow"},"RequestId":"r1"}}"#,
                OutcomeClass::Throttled,
                "RequestLimitExceeded",
            ),
            (
                200,
                r#"{"Response":{"Error":{"Code":5},"RequestId":"r1"}}"#,
                OutcomeClass::Unknown,
                codes::MALFORMED,
            ),
        ];
        for (status, body, class, code) in cases {
            let e = interpret(*status, body.as_bytes(), &[&s]).unwrap_err();
            assert_eq!(
                (e.class, e.code.as_str()),
                (*class, *code),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn server_messages_are_scrubbed() {
        let s = Secret::new("PLANTED-KEY");
        let body = r#"{"Response":{"Error":{"Code":"InvalidParameterValue.InvalidDataFlowSourceInfo","Message":"key PLANTED-KEY is wrong"},"RequestId":"r"}}"#;
        let e = interpret(200, body.as_bytes(), &[&s]).unwrap_err();
        assert_eq!(e.message, "key *** is wrong");
        assert_eq!(e.class, OutcomeClass::Row);

        let body = r#"{"Response":{"Error":{"Code":"AuthFailure.PLANTED-KEY","Message":"m"},"RequestId":"PLANTED-KEY"}}"#;
        let e = interpret(200, body.as_bytes(), &[&s]).unwrap_err();
        assert_eq!(
            (e.class, e.code.as_str()),
            (OutcomeClass::Fatal, "AuthFailure.***")
        );
        assert_eq!(e.request_id.as_deref(), Some("***"));
    }
}
