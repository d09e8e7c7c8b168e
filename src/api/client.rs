//! Typed, signed calls to the CFS API, each ending in a value or a classified [`CallError`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use super::answer::{interpret, source_chain, transport_error};
use super::classify::OutcomeClass;
use super::credentials::{CredentialProvider, Signing};
use super::endpoint::Target;
use super::error::err;
pub use super::error::{codes, CallError};
use super::request::{Reply, Request};
use super::sign::{self, SignInput};
use super::types::{
    CreateDataFlowRequest, Created, DeleteDataFlowRequest, Deleted, DescribeDataFlowRequest,
    DescribePage, Modified, ModifyDataFlowRequest, SERVICE, VERSION,
};
use super::untrusted::Scrubber;
use crate::secret::Secret;

/// The largest answer read; a larger one is an outcome (`ResponseTooLarge`), not a memory problem.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A client of the CFS API with one credential provider and one timeout. Clones share the
/// provider, so every call of a run signs with the credentials current when it is sent.
#[derive(Debug, Clone)]
pub struct Client {
    /// For remote endpoints: through the proxy of `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`, unless
    /// `NO_PROXY` names the host.
    http: reqwest::Client,
    /// For loopback endpoints (an emulator on this machine): never through a proxy, which could
    /// not reach this machine's loopback anyway.
    direct: reqwest::Client,
    creds: CredentialProvider,
    timeout: Duration,
}

impl Client {
    /// A client over rustls that follows no redirect, and trusts both the bundled webpki roots
    /// and the system's certificate store (where a company's TLS-inspecting proxy puts its CA).
    /// A system store that cannot be read leaves the bundled roots alone, with a warning.
    /// `creds` is a [`CredentialProvider`], or fixed [`super::Credentials`].
    pub fn new(
        creds: impl Into<CredentialProvider>,
        timeout: Duration,
    ) -> Result<Client, BuildError> {
        let (http, native_roots) = match http_client(timeout, false, true) {
            Ok(http) => (http, true),
            Err(e) => {
                tracing::warn!(
                    "the system's certificate store cannot be used ({e}); trusting the bundled roots only"
                );
                (http_client(timeout, false, false)?, false)
            }
        };
        Ok(Client {
            http,
            direct: http_client(timeout, true, native_roots)?,
            creds: creds.into(),
            timeout,
        })
    }

    /// How many times the credentials were fetched again during the run (before they expired,
    /// or after the service called them invalid), for the summary.
    pub fn refreshes(&self) -> u64 {
        self.creds.refreshes()
    }

    /// The credential provider the calls sign with.
    pub fn credentials(&self) -> &CredentialProvider {
        &self.creds
    }

    /// Signs and sends one request; the typed answer, or the call's error classified.
    pub async fn send(
        &self,
        target: &Target,
        region: &str,
        request: &Request,
    ) -> Result<Reply, CallError> {
        let secrets = request.secrets();
        let action = request.action().name();
        let (resp, request_id) = self
            .call(target, action, region, request.body(), &secrets)
            .await?;
        request.read(&resp, request_id)
    }

    /// Sends one CreateDataFlow.
    pub async fn create_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &CreateDataFlowRequest,
    ) -> Result<Created, CallError> {
        match self
            .send(target, region, &Request::CreateDataFlow(req.clone()))
            .await?
        {
            Reply::Created(c) => Ok(c),
            other => Err(mismatch(other)),
        }
    }

    /// Sends one DeleteDataFlow. Success means the flow now lists as `deleting`; an id the
    /// service does not know is `InvalidParameterValue.InvalidDataFlowId` (a `Row` error).
    pub async fn delete_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &DeleteDataFlowRequest,
    ) -> Result<Deleted, CallError> {
        match self
            .send(target, region, &Request::DeleteDataFlow(req.clone()))
            .await?
        {
            Reply::Deleted(d) => Ok(d),
            other => Err(mismatch(other)),
        }
    }

    /// Sends one ModifyDataFlow.
    pub async fn modify_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &ModifyDataFlowRequest,
    ) -> Result<Modified, CallError> {
        match self
            .send(target, region, &Request::ModifyDataFlow(req.clone()))
            .await?
        {
            Reply::Modified(m) => Ok(m),
            other => Err(mismatch(other)),
        }
    }

    /// Asks for one page of DescribeDataFlow.
    pub async fn describe_data_flow(
        &self,
        target: &Target,
        region: &str,
        req: &DescribeDataFlowRequest,
    ) -> Result<DescribePage, CallError> {
        match self
            .send(target, region, &Request::DescribeDataFlow(req.clone()))
            .await?
        {
            Reply::Flows(p) => Ok(p),
            other => Err(mismatch(other)),
        }
    }

    /// Signs and sends one action; returns the `Response` object and its `RequestId`. An
    /// answer `AuthFailure.TokenFailure` (the token expired or was revoked: the service did
    /// nothing) has the credentials refreshed and the call sent once more.
    async fn call(
        &self,
        target: &Target,
        action: &str,
        region: &str,
        body: Vec<u8>,
        secrets: &[&Secret],
    ) -> Result<(Value, String), CallError> {
        let mut resent = false;
        loop {
            let signing = self.creds.current().await.map_err(|e| {
                err(
                    OutcomeClass::Fatal,
                    codes::CREDENTIALS,
                    format!("{}: {e}", self.creds.description()),
                )
            })?;
            let outcome = self
                .send_signed(target, action, region, body.clone(), secrets, &signing)
                .await;
            match outcome {
                Err(e) if e.code == TOKEN_FAILURE && !resent && self.creds.refreshes_itself() => {
                    tracing::info!(
                        "{action}: {TOKEN_FAILURE}: refreshing the credentials and sending again"
                    );
                    self.creds
                        .rejected(signing.generation)
                        .await
                        .map_err(|r| CallError {
                            message: format!("{}; refreshing them failed: {r}", e.message),
                            ..e.clone()
                        })?;
                    resent = true;
                }
                Err(e) => return Err(explain_auth(e, &self.creds)),
                Ok(answer) => return Ok(answer),
            }
        }
    }

    /// One signed request with `signing`'s credentials, stamped now.
    async fn send_signed(
        &self,
        target: &Target,
        action: &str,
        region: &str,
        body: Vec<u8>,
        secrets: &[&Secret],
        signing: &Signing,
    ) -> Result<(Value, String), CallError> {
        let creds = &*signing.credentials;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let content_type = "application/json";
        let authorization = sign::authorization(&SignInput {
            secret_id: &creds.secret_id,
            secret_key: creds.secret_key.expose(),
            service: SERVICE,
            host: &target.host,
            content_type,
            timestamp,
            payload: &body,
        });
        let http = if target.is_loopback() {
            &self.direct
        } else {
            &self.http
        };
        let mut request = http
            .post(target.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, content_type)
            .header("Authorization", authorization)
            .header("X-TC-Action", action)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", region)
            .body(body);
        if let Some(token) = &creds.token {
            request = request.header("X-TC-Token", token.expose());
        }
        let all_secrets: Vec<&Secret> = secrets
            .iter()
            .copied()
            .chain(std::iter::once(&creds.secret_key))
            .chain(creds.token.as_ref())
            .collect();

        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let answer_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
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
        let scrubber = Scrubber::new(&all_secrets, &creds.secret_id);
        interpret(status.as_u16(), answer_type.as_deref(), &bytes, &scrubber)
    }
}

/// The service's answer for a session token that is invalid or expired.
pub const TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
/// The service's answer for a timestamp more than 5 minutes from its clock.
pub const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";

/// An auth error with what to do about it: the clock for an expired signature (each call is
/// signed as it is sent, so only a wrong clock explains it), the source for a token.
fn explain_auth(e: CallError, creds: &CredentialProvider) -> CallError {
    let hint = match e.code.as_str() {
        SIGNATURE_EXPIRE => "each call is signed as it is sent, so this machine's clock is wrong (more than 5 minutes off): set it right (NTP), then resume".to_owned(),
        TOKEN_FAILURE if creds.refreshes_itself() => format!(
            "the session token was refused again after a refresh ({})",
            creds.description()
        ),
        TOKEN_FAILURE => format!(
            "the session token is invalid or expired, and these credentials cannot be refreshed ({}): get new ones",
            creds.description()
        ),
        _ => return e,
    };
    CallError {
        message: format!("{} ({hint})", e.message),
        ..e
    }
}

/// A reply of another action than the request's (never: [`Request::read`] answers in kind).
fn mismatch(reply: Reply) -> CallError {
    CallError {
        request_id: Some(reply.request_id().to_owned()),
        ..err(
            OutcomeClass::Unknown,
            codes::MALFORMED,
            "an answer of another action",
        )
    }
}

/// Why an HTTP client could not be built: the system's certificate store, or reqwest.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(String);

/// One reqwest client; `direct` ones use no proxy, `native_roots` ones trust the system's store
/// (`api::tls`).
pub(super) fn http_client(
    timeout: Duration,
    direct: bool,
    native_roots: bool,
) -> Result<reqwest::Client, BuildError> {
    let tls = super::tls::client_config(native_roots).map_err(BuildError)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(512)
        .tcp_nodelay(true)
        .user_agent(concat!("bulkflow/", env!("CARGO_PKG_VERSION")));
    if direct {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| BuildError(source_chain(&e)))
}
