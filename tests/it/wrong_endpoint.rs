//! How long a run with the default flags takes to stop (exit 3) at a wrong endpoint: a loopback
//! HTTP server answering 200 with an HTML page, and a port with nothing listening. The goal is
//! under 10 s. A measurement, so not part of `cargo test`:
//! `cargo test --release --test main wrong_endpoint_time -- --ignored --nocapture`

use std::time::{Duration, Instant};

use super::bin_helpers::{dead_endpoint, run, s, Sandbox};
use super::common::write_manifest;
use super::rawserver::RawServer;

/// The goal for the time from start to exit 3.
const GOAL: Duration = Duration::from_secs(10);

/// Runs `bulkflow run M --endpoint URL` with nothing else set; returns its time to exit 3.
async fn time_to_exit_3(url: String) -> Duration {
    tokio::task::spawn_blocking(move || {
        let sb = Sandbox::new();
        let manifest = write_manifest(sb.path(), 20, 2);
        let env = [
            ("TENCENTCLOUD_SECRET_ID", "AKIDwrongEndpointTime"),
            ("TENCENTCLOUD_SECRET_KEY", "wrong-endpoint-time-key"),
        ];
        let started = Instant::now();
        let out = run(&["run", s(&manifest), "--endpoint", &url], &env, &sb.home);
        let took = started.elapsed();
        out.expect_code(3);
        took
    })
    .await
    .expect("the run")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "measurement: prints the time to exit 3 at a wrong endpoint (goal: under 10 s)"]
async fn wrong_endpoint_time() {
    let html = RawServer::http(
        "200 OK",
        &[("Content-Type", "text/html")],
        "<html><body>Welcome to nginx!</body></html>",
    )
    .await;
    let page = time_to_exit_3(html.url()).await;
    let dead = time_to_exit_3(dead_endpoint()).await;
    eprintln!("exit 3 after: an HTML page {page:?}, nothing listening {dead:?}");
    assert!(page < GOAL && dead < GOAL, "{page:?} {dead:?}");
}
