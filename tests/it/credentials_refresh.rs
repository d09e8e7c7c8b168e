//! Temporary credentials through the real client: an answer `AuthFailure.TokenFailure` has
//! them refreshed and the call sent once more, signed with the new ones; an expired signature
//! names the clock; fixed keys are never refreshed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulkflow::api::credentials::provider::BoxFuture;
use bulkflow::api::credentials::{CredentialProvider, Fetch, FetchError, Issued};
use bulkflow::api::{Client, Credentials, DescribeDataFlowRequest, Endpoint, OutcomeClass};
use bulkflow::secret::Secret;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::rawserver::{parse, response, RawServer};

const REGION: &str = "ap-guangzhou";

/// Issues `AKIDtmp<n>` with token `tok-<n>`, valid for an hour.
#[derive(Default)]
struct Counting {
    fetches: AtomicU64,
}

impl Fetch for Counting {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>> {
        Box::pin(async move {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64;
            Ok(Issued {
                credentials: Credentials {
                    secret_id: format!("AKIDtmp{n:04}"),
                    secret_key: Secret::new(format!("tmp-key-PLANTED-{n}")),
                    token: Some(Secret::new(format!("tok-PLANTED-{n}"))),
                    source: "counting".into(),
                },
                expires_at_ms: now + 3_600_000,
            })
        })
    }
}

fn error_body(code: &str) -> String {
    format!(
        r#"{{"Response": {{"Error": {{"Code": "{code}", "Message": "refused"}}, "RequestId": "r-err"}}}}"#
    )
}

const OK_BODY: &str = r#"{"Response": {"TotalCount": 0, "DataFlows": [], "RequestId": "r-ok"}}"#;

/// Answers the first `refusals` requests with `code`, the others with an empty listing.
async fn server(code: &'static str, refusals: usize) -> RawServer {
    let seen = Arc::new(AtomicUsize::new(0));
    RawServer::start(Arc::new(move |mut stream: TcpStream| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let body = if n < refusals {
            error_body(code)
        } else {
            OK_BODY.to_owned()
        };
        Box::pin(async move {
            let bytes = response("200 OK", &[("Content-Type", "application/json")], &body);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        })
    }))
    .await
}

async fn describe(client: &Client, url: &str) -> Result<(), bulkflow::api::CallError> {
    let target = Endpoint::parse(url).unwrap().resolve(REGION).unwrap();
    let req = DescribeDataFlowRequest::default();
    tokio::time::timeout(
        Duration::from_secs(10),
        client.describe_data_flow(&target, REGION, &req),
    )
    .await
    .expect("the call ended within its bound")
    .map(|_| ())
}

async fn refreshing() -> (Client, Arc<Counting>) {
    let source = Arc::new(Counting::default());
    let provider = CredentialProvider::refreshing(
        Box::new(Arc::clone(&source)),
        "a test role (temporary, refreshed)",
        Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        }),
    )
    .await
    .unwrap();
    (
        Client::new(provider, Duration::from_secs(5)).unwrap(),
        source,
    )
}

/// The `(Credential id, X-TC-Token)` each request carried.
fn signed_with(server: &RawServer) -> Vec<(String, String)> {
    server
        .requests()
        .iter()
        .map(|r| {
            let p = parse(r);
            let auth = p
                .all("Authorization")
                .first()
                .copied()
                .unwrap_or("")
                .to_owned();
            let id = auth
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').next())
                .unwrap_or("")
                .to_owned();
            let token = p
                .all("X-TC-Token")
                .first()
                .copied()
                .unwrap_or("")
                .to_owned();
            (id, token)
        })
        .collect()
}

#[tokio::test]
async fn token_failure_refreshes_once_and_sends_again_with_the_new_credentials() {
    let server = server("AuthFailure.TokenFailure", 1).await;
    let (client, source) = refreshing().await;
    describe(&client, &server.url()).await.unwrap();
    assert_eq!(client.refreshes(), 1);
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
    assert_eq!(
        signed_with(&server),
        [
            ("AKIDtmp0000".to_owned(), "tok-PLANTED-0".to_owned()),
            ("AKIDtmp0001".to_owned(), "tok-PLANTED-1".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_second_token_failure_is_fatal_after_one_refresh() {
    let server = server("AuthFailure.TokenFailure", 2).await;
    let (client, _) = refreshing().await;
    let e = describe(&client, &server.url()).await.unwrap_err();
    assert_eq!(e.class, OutcomeClass::Fatal);
    assert!(e.message.contains("refused again after a refresh"), "{e}");
    assert!(!e.message.contains("PLANTED"), "{e}");
    assert_eq!((client.refreshes(), server.requests().len()), (1, 2));
}

#[tokio::test]
async fn fixed_keys_are_not_refreshed_on_token_failure() {
    let server = server("AuthFailure.TokenFailure", 1).await;
    let client = Client::new(
        Credentials {
            secret_id: "AKIDfixed0123".into(),
            secret_key: Secret::new("fixed-key-PLANTED"),
            token: Some(Secret::new("fixed-tok-PLANTED")),
            source: "environment (AKID***)".into(),
        },
        Duration::from_secs(5),
    )
    .unwrap();
    let e = describe(&client, &server.url()).await.unwrap_err();
    assert_eq!(
        (e.class, e.code.as_str()),
        (OutcomeClass::Fatal, "AuthFailure.TokenFailure")
    );
    assert!(e.message.contains("cannot be refreshed"), "{e}");
    assert_eq!((client.refreshes(), server.requests().len()), (0, 1));
}

#[tokio::test]
async fn signature_expire_says_the_clock_is_wrong_and_is_not_resent() {
    let server = server("AuthFailure.SignatureExpire", 1).await;
    let (client, _) = refreshing().await;
    let e = describe(&client, &server.url()).await.unwrap_err();
    assert_eq!(e.class, OutcomeClass::Fatal);
    assert!(e.message.contains("clock is wrong"), "{e}");
    assert_eq!((client.refreshes(), server.requests().len()), (0, 1));
}
