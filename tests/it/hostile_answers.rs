//! Answers the API never gives, from raw servers, through the real client: a page from the wrong
//! endpoint, JSON without `Response`, an untrusted certificate, and server text that tries to
//! write log lines of its own or show the API key. Each is classified, or cleaned, where it
//! enters.

use std::time::Duration;

use bulkflow::api::error::codes;
use bulkflow::api::{
    CallError, Client, CreateDataFlowRequest, Created, Credentials, Endpoint, OutcomeClass,
};
use bulkflow::secret::Secret;

use super::rawserver::{RawServer, SelfSignedTls};

const REGION: &str = "ap-guangzhou";
/// The API SecretId of these tests; only `AKID***` of it may ever be shown.
const API_ID: &str = "AKIDhostileAnswers0123456789";

fn client() -> Client {
    let creds = Credentials {
        secret_id: API_ID.into(),
        secret_key: Secret::new("hostile-answers-api-key"),
        token: None,
        source: "test".into(),
    };
    Client::new(creds, Duration::from_secs(2)).unwrap()
}

fn request() -> CreateDataFlowRequest {
    CreateDataFlowRequest {
        file_system_id: "cfs-aaa1".into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://b-1251000004.cos.ap-guangzhou.myqcloud.com".into(),
        source_path: "data/a".into(),
        target_path: "/cfs/a".into(),
        secret_id: Secret::new("AKIDsource"),
        secret_key: Secret::new("PLANTED-SRC-KEY"),
        ..Default::default()
    }
}

async fn create(url: &str) -> Result<Created, CallError> {
    let target = Endpoint::parse(url).unwrap().resolve(REGION).unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        client().create_data_flow(&target, REGION, &request()),
    )
    .await
    .expect("the call ended within its bound")
}

#[track_caller]
fn failed(r: Result<Created, CallError>, class: OutcomeClass, code: &str) -> CallError {
    let e = r.expect_err("the call should have failed");
    assert_eq!((e.class, e.code.as_str()), (class, code), "{e}");
    e
}

#[tokio::test]
async fn wrong_endpoint_an_html_page_with_200() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "text/html; charset=utf-8")],
        "<!doctype html><html><body>Sign in to continue</body></html>",
    )
    .await;
    let e = failed(
        create(&server.url()).await,
        OutcomeClass::Fatal,
        codes::WRONG_ENDPOINT,
    );
    assert_eq!(
        e.message,
        "HTTP 200 with text/html, not the Tencent Cloud API's JSON: is --endpoint right?"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn wrong_endpoint_json_without_a_response_object() {
    for body in ["{}", r#"{"foo":1}"#, "[]", "null"] {
        let server = RawServer::http("200 OK", &[("Content-Type", "application/json")], body).await;
        let e = failed(
            create(&server.url()).await,
            OutcomeClass::Fatal,
            codes::WRONG_ENDPOINT,
        );
        assert!(
            e.message
                .starts_with("HTTP 200 with JSON that has no Response object"),
            "{body}: {e}"
        );
    }
}

#[tokio::test]
async fn wrong_endpoint_a_200_that_is_not_json() {
    let server = RawServer::http("200 OK", &[("Content-Type", "text/plain")], "OK").await;
    let e = failed(
        create(&server.url()).await,
        OutcomeClass::Fatal,
        codes::WRONG_ENDPOINT,
    );
    assert!(e.message.starts_with("HTTP 200 with text/plain,"), "{e}");
}

#[tokio::test]
async fn a_json_body_cut_off_stays_unknown_whatever_its_content_type() {
    // The connection ended mid-answer: the service may have created the flow.
    for ct in ["application/json", "text/plain"] {
        let server = RawServer::http(
            "200 OK",
            &[("Content-Type", ct)],
            r#"{"Response":{"DataFlowId":"cfs-dataflow-1"#,
        )
        .await;
        failed(
            create(&server.url()).await,
            OutcomeClass::Unknown,
            codes::MALFORMED,
        );
    }
}

#[tokio::test]
async fn server_text_cannot_forge_log_lines_or_show_the_api_secret_id() {
    let body = format!(
        r#"{{"Response":{{"Error":{{"Code":"AuthFailure.SecretIdNotFound","Message":"SecretId {API_ID} not found\r\n2025-01-01T00:00:00Z ERROR forged\u2028\u001b[2J\u202eEND"}},"RequestId":"req\n1"}}}}"#
    );
    let server = RawServer::http("200 OK", &[("Content-Type", "application/json")], &body).await;
    let e = failed(
        create(&server.url()).await,
        OutcomeClass::Fatal,
        "AuthFailure.SecretIdNotFound",
    );
    assert_eq!(
        e.message,
        "SecretId AKID*** not found\\r\\n2025-01-01T00:00:00Z ERROR forged\\u{2028}\\x1b[2J\\u{202e}END"
    );
    assert_eq!(e.request_id.as_deref(), Some("req\\n1"));
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains(API_ID), "{shown}");
        assert!(
            !shown.contains(['\r', '\n', '\u{1b}', '\u{2028}', '\u{202e}']),
            "{shown:?}"
        );
    }
}

#[tokio::test]
async fn an_untrusted_certificate_stops_the_run_without_a_retry() {
    let server = SelfSignedTls::start().await;
    let e = failed(
        create(&server.url()).await,
        OutcomeClass::Fatal,
        codes::TLS_CERTIFICATE,
    );
    assert!(
        e.message.starts_with(
            "the TLS certificate of localhost is not trusted: invalid peer certificate"
        ),
        "{e}"
    );
    assert!(e.message.contains("system's store"), "{e}");
    assert_eq!(server.connections(), 1);
}
