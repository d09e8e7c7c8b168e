//! The real binary against raw servers and proxies: server text cannot forge a log line or show
//! the API SecretId in the log, the state file or the report; a page from the wrong endpoint stops
//! the run at once; a loopback endpoint never goes through a proxy, a remote one does.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::bin_helpers::{run, s, Output, Sandbox};
use super::common::write_manifest;
use super::rawserver::{response, RawServer};

/// The API SecretId of these runs: only `AKID***` of it may be written anywhere.
const API_ID: &str = "AKIDhostileEndpoints0123456789";

fn env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TENCENTCLOUD_SECRET_ID", API_ID),
        // Shares no 8 characters in a row with the SecretId: server text that does is withheld.
        ("TENCENTCLOUD_SECRET_KEY", "hostile-api-key-4c1d"),
    ]
}

/// Runs `bulkflow ARGS` off the async runtime, so that the raw servers keep serving.
async fn bulkflow(args: Vec<String>, env: Vec<(&'static str, String)>, home: &Path) -> Output {
    let home = home.to_owned();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(&args, &env, &home)
    })
    .await
    .expect("the command ran")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

fn owned(env: Vec<(&'static str, &'static str)>) -> Vec<(&'static str, String)> {
    env.into_iter().map(|(k, v)| (k, v.to_owned())).collect()
}

fn state_of(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

fn status(state: &Path, home: &Path) -> Value {
    let out = run(&["status", "--state", s(state), "--json"], &[], home);
    out.expect_code(0);
    serde_json::from_str(&out.stdout).expect("status --json")
}

#[tokio::test(flavor = "multi_thread")]
async fn server_text_is_escaped_and_the_api_id_masked_in_the_log_the_state_and_the_report() {
    let body = format!(
        r#"{{"Response":{{"Error":{{"Code":"InvalidParameterValue.InvalidDataFlowSourceInfo","Message":"no access for {API_ID}\r\n2025-01-01T00:00:00Z ERROR forged\u2028line"}},"RequestId":"r-1"}}}}"#
    );
    let json = [("Content-Type", "application/json")];
    // Listings find nothing; every create is refused with the hostile message.
    let server = RawServer::by_action(
        vec![
            (
                "DescribeDataFlow",
                response(
                    "200 OK",
                    &json,
                    r#"{"Response":{"TotalCount":0,"DataFlows":[],"RequestId":"r-l"}}"#,
                ),
            ),
            ("CreateDataFlow", response("200 OK", &json, &body)),
        ],
        response("400 Bad Request", &[], ""),
    )
    .await;
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 2, 1);
    let state = state_of(&manifest);
    let m = s(&manifest).to_owned();
    let url = server.url();
    let mut shown = Vec::new();
    for format in ["text", "json"] {
        let out = bulkflow(
            args(&[
                "run",
                &m,
                "--endpoint",
                &url,
                "--rate",
                "200",
                "--retry-failed",
                "--log-format",
                format,
            ]),
            owned(env()),
            &sb.home,
        )
        .await;
        out.expect_code(1);
        let forged: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("ERROR forged") && !l.contains("row failed: "))
            .collect();
        assert!(
            forged.is_empty(),
            "forged lines {forged:?} in:\n{}",
            out.stderr
        );
        let messages: Vec<String> = if format == "json" {
            let objects = out.stderr.lines().filter(|l| l.starts_with('{'));
            objects
                .map(|l| serde_json::from_str::<Value>(l).expect("one JSON object per line"))
                .map(|v| v["message"].as_str().unwrap_or_default().to_owned())
                .collect()
        } else {
            out.stderr.lines().map(str::to_owned).collect()
        };
        let escaped = "no access for AKID***\\r\\n2025-01-01T00:00:00Z ERROR forged\\u{2028}line";
        assert_eq!(
            messages.iter().filter(|m| m.contains(escaped)).count(),
            2,
            "{}",
            out.stderr
        );
        shown.push(out.raw);
    }
    for format in ["csv", "jsonl"] {
        let out = run(
            &["report", "--state", s(&state), "--format", format],
            &[],
            &sb.home,
        );
        out.expect_code(0);
        // In CSV as it is stored; in JSON Lines with each backslash escaped once more.
        let stored = r"no access for AKID***\r\n2025-01-01T00:00:00Z ERROR forged\u{2028}line";
        let want = if format == "csv" {
            stored.to_owned()
        } else {
            stored.replace('\\', r"\\")
        };
        assert!(out.stdout.contains(&want), "{}", out.stdout);
        assert_eq!(
            out.stdout.lines().count(),
            if format == "csv" { 3 } else { 2 }
        );
        shown.push(out.raw);
    }
    for suffix in ["", "-wal"] {
        if let Ok(bytes) = std::fs::read(format!("{}{suffix}", s(&state))) {
            shown.push(bytes);
        }
    }
    for bytes in shown {
        let found = bytes.windows(API_ID.len()).any(|w| w == API_ID.as_bytes());
        assert!(!found, "the API SecretId was written");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains('\u{2028}'), "a raw U+2028 was written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_html_page_stops_the_run_at_once_with_exit_3() {
    let server = RawServer::http(
        "200 OK",
        &[("Content-Type", "text/html")],
        "<html><body>Welcome to nginx!</body></html>",
    )
    .await;
    let sb = Sandbox::new();
    let rows = 3;
    let manifest = write_manifest(sb.path(), rows, 1);
    let out = bulkflow(
        args(&[
            "run",
            s(&manifest),
            "--endpoint",
            &server.url(),
            "--rate",
            "200",
        ]),
        owned(env()),
        &sb.home,
    )
    .await;
    out.expect_code(3);
    assert!(out.stderr.contains("WrongEndpoint"), "{}", out.stderr);
    assert!(
        out.stderr.contains("is --endpoint right?"),
        "{}",
        out.stderr
    );
    let status = status(&state_of(&manifest), &sb.home);
    for (state, n) in [("unknown", 0), ("failed", 0), ("created", 0)] {
        assert_eq!(status["counts"][state], n, "{status}");
    }
    assert!(
        server.requests().len() <= rows,
        "{}",
        server.requests().len()
    );
}

/// Every proxy variable curl and reqwest read, pointed at `proxy`.
fn proxy_env(proxy: &str) -> Vec<(&'static str, String)> {
    [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|k| (k, proxy.to_owned()))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loopback_endpoint_never_goes_through_a_proxy() {
    let proxy = RawServer::http("502 Bad Gateway", &[], "proxy").await;
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let mut env = proxy_env(&proxy.url());
    env.push(("NO_PROXY", String::new()));
    let out = bulkflow(args(&["run", s(&manifest), "--emulator"]), env, &sb.home).await;
    out.expect_code(0);
    assert!(proxy.requests().is_empty(), "the proxy was used");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_endpoint_goes_through_the_https_proxy() {
    let proxy = RawServer::http("403 Forbidden", &[], "no").await;
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 1, 1);
    let mut env = owned(env());
    env.push(("HTTPS_PROXY", proxy.url()));
    let out = bulkflow(
        args(&[
            "run",
            s(&manifest),
            "--endpoint",
            "https://cfs.example.invalid",
            "--max-attempts",
            "1",
        ]),
        env,
        &sb.home,
    )
    .await;
    out.expect_code(3);
    let requests = proxy.requests();
    assert!(
        !requests.is_empty(),
        "the proxy was not used: {}",
        out.stderr
    );
    for request in requests {
        let head = String::from_utf8_lossy(&request);
        assert!(
            head.starts_with("CONNECT cfs.example.invalid:443 HTTP/1.1\r\n"),
            "{head}"
        );
    }
}
