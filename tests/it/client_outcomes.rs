//! The real client against the emulator and against raw hostile servers, driven on purpose into
//! every outcome class; each test asserts the class and the code.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bulkflow::api::error::codes;
use bulkflow::api::sign;
use bulkflow::api::{
    CallError, Client, CreateDataFlowRequest, Created, Credentials, DescribeDataFlowRequest,
    DescribePage, Endpoint, OutcomeClass, Target,
};
use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::secret::Secret;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::common::credentials;
use super::rawserver::{self, RawServer};

const REGION: &str = "ap-guangzhou";
/// No single call of these tests may take longer than this.
const CALL_LIMIT: Duration = Duration::from_secs(10);
/// The client timeout of most tests.
const TIMEOUT: Duration = Duration::from_secs(2);

fn target(url: &str) -> Target {
    Endpoint::parse(url).unwrap().resolve(REGION).unwrap()
}

fn client(creds: Credentials, timeout: Duration) -> Client {
    Client::new(creds, timeout).unwrap()
}

/// Credentials that no server of these tests knows, for raw servers.
fn some_creds() -> Credentials {
    Credentials {
        secret_id: "AKIDrawserver".into(),
        secret_key: Secret::new("raw-server-api-key"),
        token: None,
        source: "test".into(),
    }
}

/// A valid request for directory `/cfs/<dir>` of `fs`.
fn request(fs: &str, dir: &str) -> CreateDataFlowRequest {
    CreateDataFlowRequest {
        file_system_id: fs.into(),
        source_storage_type: "S3_COS".into(),
        source_storage_address: "https://bucket-1251000004.cos.ap-guangzhou.myqcloud.com".into(),
        source_path: format!("data/{dir}"),
        target_path: format!("/cfs/{dir}"),
        secret_id: Secret::new("AKIDsource"),
        secret_key: Secret::new("PLANTED-SRC-KEY"),
        data_flow_name: Some(format!("flow_{dir}")),
        ..Default::default()
    }
}

async fn create(
    client: &Client,
    url: &str,
    req: &CreateDataFlowRequest,
) -> Result<Created, CallError> {
    tokio::time::timeout(
        CALL_LIMIT,
        client.create_data_flow(&target(url), REGION, req),
    )
    .await
    .expect("the call ended within its bound")
}

async fn describe(
    client: &Client,
    url: &str,
    req: &DescribeDataFlowRequest,
) -> Result<DescribePage, CallError> {
    tokio::time::timeout(
        CALL_LIMIT,
        client.describe_data_flow(&target(url), REGION, req),
    )
    .await
    .expect("the call ended within its bound")
}

/// Asserts a failure of `class` with `code`, and returns it.
#[track_caller]
fn failed<T: std::fmt::Debug>(
    r: Result<T, CallError>,
    class: OutcomeClass,
    code: &str,
) -> CallError {
    let e = r.expect_err("the call should have failed");
    assert_eq!((e.class, e.code.as_str()), (class, code), "{e}");
    e
}

/// An emulator and a client with its credentials.
fn emulator(config: EmulatorConfig, timeout: Duration) -> (Emulator, Client) {
    let c = client(credentials(&config), timeout);
    (Emulator::start(config).unwrap(), c)
}

// ---------------------------------------------------------------------------------------------
// Success

#[tokio::test]
async fn success_creates_a_flow_the_emulator_holds_and_describe_pages_it() {
    let (emu, c) = emulator(EmulatorConfig::default(), TIMEOUT);
    let url = emu.url();
    let mut ids = Vec::new();
    for i in 0..5 {
        let created = create(&c, &url, &request("cfs-aaa1", &format!("dir{i}")))
            .await
            .unwrap();
        assert!(
            created.data_flow_id.starts_with("cfs-dataflow-"),
            "{created:?}"
        );
        assert!(!created.request_id.is_empty());
        ids.push(created.data_flow_id);
    }
    let held: Vec<String> = emu.flows().into_iter().map(|f| f.data_flow_id).collect();
    assert_eq!(held, ids);

    // One by id: listed with the trailing slash.
    let one = describe(
        &c,
        &url,
        &DescribeDataFlowRequest {
            data_flow_id: Some(ids[0].clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(one.total_count, 1);
    assert_eq!(one.data_flows.len(), 1);
    assert_eq!(one.data_flows[0].data_flow_id, ids[0]);
    assert_eq!(one.data_flows[0].target_path, "/cfs/dir0/");
    assert_eq!(one.data_flows[0].file_system_id, "cfs-aaa1");

    // Pages of two over five flows.
    let mut listed = Vec::new();
    let mut sizes = Vec::new();
    for offset in [0, 2, 4, 6] {
        let page = describe(
            &c,
            &url,
            &DescribeDataFlowRequest {
                file_system_id: Some("cfs-aaa1".into()),
                limit: Some(2),
                offset: Some(offset),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.total_count, 5);
        sizes.push(page.data_flows.len());
        for f in page.data_flows {
            assert!(
                f.target_path.starts_with("/cfs/dir") && f.target_path.ends_with('/'),
                "{f:?}"
            );
            listed.push(f.data_flow_id);
        }
    }
    assert_eq!(sizes, [2, 2, 1, 0]);
    listed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(listed, expected, "every flow exactly once over the pages");
}

// ---------------------------------------------------------------------------------------------
// Fatal

#[tokio::test]
async fn fatal_wrong_secret_key_and_unknown_secret_id() {
    let config = EmulatorConfig::default();
    let emu = Emulator::start(config.clone()).unwrap();
    let url = emu.url();

    let mut wrong_key = credentials(&config);
    wrong_key.secret_key = Secret::new("not-the-emulator-key");
    let r = create(&client(wrong_key, TIMEOUT), &url, &request("cfs-aaa1", "a")).await;
    let e = failed(r, OutcomeClass::Fatal, "AuthFailure.SignatureFailure");
    assert!(e.request_id.is_some_and(|id| !id.is_empty()));

    let mut unknown_id = credentials(&config);
    unknown_id.secret_id = "AKIDnobodyknows".into();
    let r = create(
        &client(unknown_id, TIMEOUT),
        &url,
        &request("cfs-aaa1", "a"),
    )
    .await;
    failed(r, OutcomeClass::Fatal, "AuthFailure.SecretIdNotFound");

    assert!(emu.flows().is_empty());
    assert_eq!(emu.counters().auth_failures, 2);
}

#[tokio::test]
async fn fatal_token_absent_or_wrong() {
    let config = EmulatorConfig {
        token: Some(Secret::new("session-token-OK")),
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).unwrap();
    let url = emu.url();

    let absent = credentials(&config);
    assert!(absent.token.is_none());
    let r = create(&client(absent, TIMEOUT), &url, &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Fatal, "AuthFailure.TokenFailure");

    let mut wrong = credentials(&config);
    wrong.token = Some(Secret::new("session-token-WRONG"));
    let r = create(&client(wrong, TIMEOUT), &url, &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Fatal, "AuthFailure.TokenFailure");
    assert!(emu.flows().is_empty());

    let mut right = credentials(&config);
    right.token = Some(Secret::new("session-token-OK"));
    create(&client(right, TIMEOUT), &url, &request("cfs-aaa1", "a"))
        .await
        .unwrap();
    assert_eq!(emu.flows().len(), 1);
}

#[tokio::test]
async fn fatal_an_endpoint_that_is_not_the_api() {
    let server = RawServer::http(
        "404 Not Found",
        &[("Content-Type", "text/plain")],
        "no such page",
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Fatal, codes::HTTP_STATUS);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn fatal_a_redirect_is_not_followed() {
    let elsewhere = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"DataFlowId":"cfs-dataflow-elsewhere","RequestId":"r"}}"#,
    )
    .await;
    let redirect = RawServer::http(
        "302 Found",
        &[("Location", &format!("{}/", elsewhere.url()))],
        "",
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &redirect.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Fatal, codes::HTTP_STATUS);
    assert_eq!(redirect.requests().len(), 1);
    // Give a follow-up, had there been one, time to arrive.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

// ---------------------------------------------------------------------------------------------
// FileSystem

#[tokio::test]
async fn file_system_not_found_malformed_id_and_limit() {
    let config = EmulatorConfig {
        file_systems: Some(vec!["cfs-known1".into()]),
        flow_limit: Some(1),
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, TIMEOUT);
    let url = emu.url();

    let r = create(&c, &url, &request("cfs-other2", "a")).await;
    failed(
        r,
        OutcomeClass::FileSystem,
        "ResourceNotFound.FileSystemNotFound",
    );

    let r = create(&c, &url, &request("nfs-1", "a")).await;
    failed(
        r,
        OutcomeClass::FileSystem,
        "InvalidParameterValue.InvalidFileSystemId",
    );

    create(&c, &url, &request("cfs-known1", "a")).await.unwrap();
    let r = create(&c, &url, &request("cfs-known1", "b")).await;
    failed(
        r,
        OutcomeClass::FileSystem,
        "ResourceInsufficient.DataFlowLimitExceeded",
    );

    let flows = emu.flows();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].target_path, "/cfs/a/");
}

// ---------------------------------------------------------------------------------------------
// Row

#[tokio::test]
async fn row_bad_storage_type_target_path_and_name() {
    let (emu, c) = emulator(EmulatorConfig::default(), TIMEOUT);
    let url = emu.url();

    let mut bad_type = request("cfs-aaa1", "a");
    bad_type.source_storage_type = "S3_NOPE".into();
    let r = create(&c, &url, &bad_type).await;
    failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowSourceStorageType",
    );

    let mut bad_path = request("cfs-aaa1", "a");
    bad_path.target_path = "/mnt/cfs/a".into();
    let r = create(&c, &url, &bad_path).await;
    failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowTargetPath",
    );

    let mut bad_name = request("cfs-aaa1", "a");
    bad_name.data_flow_name = Some("not a valid name!".into());
    let r = create(&c, &url, &bad_name).await;
    failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowName",
    );

    let mut long_name = request("cfs-aaa1", "a");
    long_name.data_flow_name = Some("n".repeat(65));
    let r = create(&c, &url, &long_name).await;
    failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowName",
    );

    assert!(emu.flows().is_empty());
    assert_eq!(emu.counters().rejected, 4);
}

// ---------------------------------------------------------------------------------------------
// Throttled

#[tokio::test]
async fn throttled_past_the_rate() {
    let config = EmulatorConfig {
        rate: 2,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, TIMEOUT);
    let url = emu.url();
    create(&c, &url, &request("cfs-aaa1", "a")).await.unwrap();
    create(&c, &url, &request("cfs-aaa1", "b")).await.unwrap();
    let r = create(&c, &url, &request("cfs-aaa1", "c")).await;
    failed(r, OutcomeClass::Throttled, "RequestLimitExceeded");
    assert_eq!(emu.flows().len(), 2);
    assert_eq!(emu.counters().throttled, 1);
}

#[tokio::test]
async fn throttled_http_429_without_an_api_answer() {
    let server = RawServer::http("429 Too Many Requests", &[], "slow down").await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Throttled, codes::HTTP_STATUS);

    // The same status with an API-shaped body that names no error is no different (it was
    // Fatal, which stops the whole run).
    let server = RawServer::http(
        "429 Too Many Requests",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"RequestId":"r429"}}"#,
    )
    .await;
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    let e = failed(r, OutcomeClass::Throttled, codes::HTTP_STATUS);
    assert_eq!(e.request_id.as_deref(), Some("r429"));
}

// ---------------------------------------------------------------------------------------------
// Transient

#[tokio::test]
async fn transient_internal_error_does_not_act() {
    let config = EmulatorConfig {
        internal_error: 1.0,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, TIMEOUT);
    let r = create(&c, &emu.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Transient, "InternalError");
    assert!(emu.flows().is_empty());
    assert_eq!(emu.counters().internal_errors, 1);
}

#[tokio::test]
async fn transient_connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(some_creds(), TIMEOUT);
    let started = Instant::now();
    let r = create(
        &c,
        &format!("http://127.0.0.1:{port}"),
        &request("cfs-aaa1", "a"),
    )
    .await;
    failed(r, OutcomeClass::Transient, codes::CONNECT_FAILED);
    assert!(
        started.elapsed() < TIMEOUT,
        "refused at once, not timed out"
    );
}

// ---------------------------------------------------------------------------------------------
// Unknown

#[tokio::test]
async fn unknown_lost_response_and_the_flow_exists() {
    let config = EmulatorConfig {
        lost_response: 1.0,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, TIMEOUT);
    let r = create(&c, &emu.url(), &request("cfs-aaa1", "lost")).await;
    failed(r, OutcomeClass::Unknown, codes::CONNECTION_LOST);
    let flows = emu.flows();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].target_path, "/cfs/lost/");
    let counters = emu.counters();
    assert_eq!(
        (counters.create_calls, counters.lost_responses),
        (1, 1),
        "sent exactly once"
    );
}

#[tokio::test]
async fn unknown_late_create_times_out_and_the_flow_appears() {
    let config = EmulatorConfig {
        late_create: 1.0,
        late_create_delay_ms: 100,
        ..EmulatorConfig::default()
    };
    let (emu, c) = emulator(config, Duration::from_millis(500));
    let started = Instant::now();
    let r = create(&c, &emu.url(), &request("cfs-aaa1", "late")).await;
    failed(r, OutcomeClass::Unknown, codes::TIMEOUT);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(emu.flows().is_empty(), "not before the client gave up");

    let deadline = Instant::now() + Duration::from_secs(3);
    while emu.flows().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let flows = emu.flows();
    assert_eq!(flows.len(), 1, "the late create made its flow");
    assert_eq!(flows[0].target_path, "/cfs/late/");
    assert_eq!(emu.counters().create_calls, 1);
}

#[tokio::test]
async fn unknown_path_used_in_dataflow() {
    let (emu, c) = emulator(EmulatorConfig::default(), TIMEOUT);
    let url = emu.url();
    let first = create(&c, &url, &request("cfs-aaa1", "same"))
        .await
        .unwrap();
    let mut again = request("cfs-aaa1", "same");
    again.data_flow_name = Some("another_name".into());
    let r = create(&c, &url, &again).await;
    failed(
        r,
        OutcomeClass::Unknown,
        "InvalidParameterValue.PathUsedInDataflow",
    );
    let ids: Vec<String> = emu.flows().into_iter().map(|f| f.data_flow_id).collect();
    assert_eq!(ids, [first.data_flow_id]);
}

#[tokio::test]
async fn unknown_truncated_json() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"DataFlowId":"cfs-dataflow-1234","Req"#,
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Unknown, codes::MALFORMED);
}

#[tokio::test]
async fn unknown_success_without_a_data_flow_id() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"RequestId":"r-no-id"}}"#,
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    let e = failed(r, OutcomeClass::Unknown, codes::MALFORMED);
    assert_eq!(e.request_id.as_deref(), Some("r-no-id"));
}

#[tokio::test]
async fn unknown_a_data_flow_id_that_is_a_number() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"DataFlowId":5,"RequestId":"r-number"}}"#,
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    let e = failed(r, OutcomeClass::Unknown, codes::MALFORMED);
    assert_eq!(e.request_id.as_deref(), Some("r-number"));
}

#[tokio::test]
async fn unknown_a_total_count_that_is_a_string() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"TotalCount":"x","DataFlows":[],"RequestId":"r-string"}}"#,
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let req = DescribeDataFlowRequest {
        file_system_id: Some("cfs-aaa1".into()),
        ..Default::default()
    };
    let r = describe(&c, &server.url(), &req).await;
    let e = failed(r, OutcomeClass::Unknown, codes::MALFORMED);
    assert_eq!(e.request_id.as_deref(), Some("r-string"));
}

#[tokio::test]
async fn unknown_body_cut_short_of_its_content_length() {
    // Content-Length promises more than is sent, then the connection closes.
    let body = r#"{"Response":{"DataFlowId":"cfs-dataflow-1234""#;
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len() + 40
    );
    let server = RawServer::canned(raw).await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Unknown, codes::CONNECTION_LOST);
}

#[tokio::test]
async fn unknown_bad_gateway_html() {
    let server = RawServer::http(
        "502 Bad Gateway",
        &[("Content-Type", "text/html")],
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Unknown, codes::HTTP_STATUS);
}

#[tokio::test]
async fn unknown_oversized_answer() {
    const TOTAL: usize = (1 << 20) + (1 << 20) / 10; // ~1.1 MiB
    let server = RawServer::start(Arc::new(|mut stream: TcpStream| {
        Box::pin(async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {TOTAL}\r\nConnection: close\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < TOTAL {
                let n = chunk.len().min(TOTAL - sent);
                if stream.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
                sent += n;
            }
            let _ = stream.shutdown().await;
        })
    }))
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    failed(r, OutcomeClass::Unknown, codes::TOO_LARGE);
}

#[tokio::test]
async fn unknown_slow_drip_times_out() {
    let server = RawServer::start(Arc::new(|mut stream: TcpStream| {
        Box::pin(async move {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..1000 {
                if stream.write_all(b" ").await.is_err() || stream.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    }))
    .await;
    let c = client(some_creds(), Duration::from_secs(1));
    let started = Instant::now();
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    let took = started.elapsed();
    failed(r, OutcomeClass::Unknown, codes::TIMEOUT);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

// ---------------------------------------------------------------------------------------------
// Secrets

#[tokio::test]
async fn secrets_echoed_by_the_server_are_not_shown() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"Error":{"Code":"InvalidParameterValue.InvalidDataFlowSourceInfo","Message":"bad key PLANTED-SRC-KEY"},"RequestId":"r"}}"#,
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let req = request("cfs-aaa1", "a");
    assert_eq!(req.secret_key.expose(), "PLANTED-SRC-KEY");
    let r = create(&c, &server.url(), &req).await;
    let e = failed(
        r,
        OutcomeClass::Row,
        "InvalidParameterValue.InvalidDataFlowSourceInfo",
    );
    for shown in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
        assert!(!shown.contains("PLANTED-SRC-KEY"), "{shown}");
    }
    // The request did carry it: the server saw it.
    let sent = rawserver::parse(&server.requests()[0]);
    assert!(String::from_utf8_lossy(&sent.body).contains("PLANTED-SRC-KEY"));
}

#[tokio::test]
async fn secrets_of_the_api_key_token_and_kafka_password_are_not_shown() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"Error":{"Code":"InvalidParameterValue","Message":"api PLANTED-API-KEY token PLANTED-TOKEN source PLANTED-SRC-ID kafka PLANTED-KAFKA"},"RequestId":"r"}}"#,
    )
    .await;
    let creds = Credentials {
        secret_id: "AKIDplanted".into(),
        secret_key: Secret::new("PLANTED-API-KEY"),
        token: Some(Secret::new("PLANTED-TOKEN")),
        source: "test".into(),
    };
    let mut req = request("cfs-aaa1", "a");
    req.secret_id = Secret::new("PLANTED-SRC-ID");
    req.password = Some(Secret::new("PLANTED-KAFKA"));
    let r = create(&client(creds, TIMEOUT), &server.url(), &req).await;
    let e = failed(r, OutcomeClass::Row, "InvalidParameterValue");
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
}

#[tokio::test]
async fn secrets_echoed_into_the_code_or_request_id_are_not_shown() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"Error":{"Code":"InvalidParameterValue.PLANTED-SRC-KEY","Message":"m"},"RequestId":"id-PLANTED-SRC-KEY"}}"#,
    )
    .await;
    let c = client(some_creds(), TIMEOUT);
    let r = create(&c, &server.url(), &request("cfs-aaa1", "a")).await;
    // Not kept at all: a secret, or eight characters of one in a row, in any spelling.
    let withheld = bulkflow::api::untrusted::WITHHELD;
    let e = failed(r, OutcomeClass::Row, withheld);
    assert_eq!(e.request_id.as_deref(), Some(withheld));
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// Signing, byte for byte

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn signing_what_is_sent_byte_for_byte() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"Response":{"DataFlowId":"cfs-dataflow-signed","RequestId":"r-signed"}}"#,
    )
    .await;
    let creds = Credentials {
        secret_id: "AKIDsigning".into(),
        secret_key: Secret::new("signing-secret-key"),
        token: Some(Secret::new("signing-session-token")),
        source: "test".into(),
    };
    let mut req = request("cfs-aaa1", "signed");
    req.auto_refresh = Some(1);
    let before = now();
    let created = create(&client(creds, TIMEOUT), &server.url(), &req)
        .await
        .unwrap();
    let after = now();
    assert_eq!(created.data_flow_id, "cfs-dataflow-signed");
    assert_eq!(created.request_id, "r-signed");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = rawserver::parse(&requests[0]);
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/"));
    let host = format!("127.0.0.1:{}", server.addr.port());
    assert_eq!(sent.one("Host"), host);
    assert_eq!(
        sent.one("Content-Type"),
        "application/json",
        "exactly, no charset"
    );
    assert_eq!(sent.one("X-TC-Action"), "CreateDataFlow");
    assert_eq!(sent.one("X-TC-Version"), "2019-07-19");
    assert_eq!(sent.one("X-TC-Region"), REGION);
    assert_eq!(sent.one("X-TC-Token"), "signing-session-token");
    assert_eq!(
        sent.one("Content-Length").parse::<usize>().unwrap(),
        sent.body.len()
    );
    let timestamp: i64 = sent.one("X-TC-Timestamp").parse().unwrap();
    assert!(
        (before..=after).contains(&timestamp),
        "{timestamp} not in {before}..={after}"
    );

    let auth = sign::parse_authorization(sent.one("Authorization")).expect("parses");
    assert_eq!(auth.secret_id, "AKIDsigning");
    assert_eq!(auth.service, "cfs");
    assert_eq!(auth.date, sign::utc_date(timestamp));
    assert_eq!(auth.signed_headers, ["content-type", "host"]);
    assert!(sent
        .one("Authorization")
        .contains("SignedHeaders=content-type;host,"));

    // Recompute from what was captured, not from what the client meant to send.
    let (canonical, signed) = sign::canonical_request(
        &[
            ("content-type", sent.one("Content-Type")),
            ("host", sent.one("Host")),
        ],
        &sent.body,
    );
    assert_eq!(signed, "content-type;host");
    let sts = sign::string_to_sign(timestamp, &auth.date, "cfs", &canonical);
    let expected = sign::signature("signing-secret-key", &auth.date, "cfs", &sts);
    assert_eq!(auth.signature, expected);

    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert!(body["AutoRefresh"].is_number(), "{body}");
    assert_eq!(body["AutoRefresh"], 1);
    assert_eq!(body["TargetPath"], "/cfs/signed");
    assert_eq!(body["SecretKey"], "PLANTED-SRC-KEY");
    assert!(body.get("Action").is_none() && body.get("Version").is_none());
}

#[tokio::test]
async fn signing_no_token_header_without_a_token() {
    let server = RawServer::http(
        "200 OK",
        &[],
        r#"{"Response":{"DataFlowId":"cfs-dataflow-x","RequestId":"r"}}"#,
    )
    .await;
    create(
        &client(some_creds(), TIMEOUT),
        &server.url(),
        &request("cfs-aaa1", "a"),
    )
    .await
    .unwrap();
    let sent = rawserver::parse(&server.requests()[0]);
    assert!(sent.all("X-TC-Token").is_empty(), "{:?}", sent.headers);
}
