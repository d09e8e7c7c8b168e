//! The real binary on a "CVM" whose role credentials expire every two seconds (the emulator
//! plays the metadata service): a run that outlives many of them loses nothing, and counts its
//! refreshes. Also: the chain's order and its errors, as a user meets them.

use std::time::Instant;

use super::bin_helpers::{creds, run, s, EmulatorProc, Output, Sandbox, API_ID, API_KEY};
use super::common::write_manifest;
use super::rawserver::RawServer;

/// The number in `credentials refreshed N time(s)`.
fn refreshes(out: &Output) -> u64 {
    out.stderr
        .split("credentials refreshed ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no refresh count in:\n{}", out.stderr))
}

/// Runs `rows` rows at `rate` per second against an emulator whose role credentials live
/// `ttl` seconds; checks that every row was created and none failed. Returns the refresh count
/// and the seconds the run took.
fn run_through_expiries(rows: usize, rate: &str, ttl: &str) -> (u64, f64) {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--token-ttl", ttl]);
    let manifest = write_manifest(sb.path(), rows, 4);
    let metadata = format!("{}/latest/meta-data/", emu.url);
    let started = Instant::now();
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            rate,
            "--progress",
            "none",
        ],
        &[("BULKFLOW_METADATA_URL", metadata.as_str())],
        &sb.home,
    );
    let secs = started.elapsed().as_secs_f64();
    out.expect_code(0);
    assert!(
        out.stderr.starts_with(
            "bulkflow: credentials: CVM role \"bulkflow-emulator-role\" (temporary, refreshed)\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{rows} created")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(" 0 failed"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("AKIDtmp"),
        "a temporary id shown:\n{}",
        out.stderr
    );
    let report = run(
        &["report", s(&manifest), "--format", "jsonl"],
        &[],
        &sb.home,
    );
    report.expect_code(0);
    let created = report
        .stdout
        .lines()
        .filter(|l| l.contains(r#""state":"created""#))
        .count();
    assert_eq!(created, rows, "{}", report.stdout);
    (refreshes(&out), secs)
}

#[test]
fn a_run_that_outlives_its_credentials_loses_nothing() {
    // 50 rows at 5/s take at least 9.8 s: credentials of 2 s expire at least four times.
    let (refreshed, _) = run_through_expiries(50, "5", "2");
    assert!(refreshed >= 4, "{refreshed} refreshes");
}

/// The issue's figure: twenty expiries (TTL 2 s over a 40 s run). `cargo test --test main
/// twenty_expiries -- --ignored --nocapture` prints the numbers.
#[test]
#[ignore = "takes 40 s"]
fn twenty_expiries() {
    let (refreshed, secs) = run_through_expiries(200, "5", "2");
    eprintln!(
        "200 rows, --rate 5, TTL 2 s: {secs:.1} s, {refreshed} refreshes, 0 failed, 200 created"
    );
    assert!(refreshed >= 19, "{refreshed} refreshes");
}

#[test]
fn a_named_profile_is_the_only_source() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&[]);
    let manifest = write_manifest(sb.path(), 3, 1);
    let tccli = sb.home.join(".tccli");
    std::fs::create_dir_all(&tccli).unwrap();
    std::fs::write(
        tccli.join("prod.credential"),
        format!(r#"{{"secretId": "{API_ID}", "secretKey": "{API_KEY}"}}"#),
    )
    .unwrap();
    // Wrong keys in the environment: the named profile wins, as in tccli.
    let wrong_env = [
        ("TENCENTCLOUD_SECRET_ID", "AKIDwrongENVkeys"),
        ("TENCENTCLOUD_SECRET_KEY", "wrong-env-key"),
    ];
    let args = [
        "run",
        s(&manifest),
        "--endpoint",
        &emu.url,
        "--progress",
        "none",
    ];
    let mut with_profile = args.to_vec();
    with_profile.extend(["--profile", "prod"]);
    let out = run(&with_profile, &wrong_env, &sb.home);
    out.expect_code(0);
    assert!(
        out.stderr.starts_with(
            "bulkflow: credentials: tccli profile \"prod\" (~/.tccli/prod.credential)\n"
        ),
        "{}",
        out.stderr
    );
    // TCCLI_PROFILE names it too; a missing profile never falls through to the environment.
    let mut env = creds();
    env.push(("TCCLI_PROFILE", "staging"));
    let out = run(&args, &env, &sb.home);
    out.expect_code(2);
    assert!(
        out.stderr.contains("~/.tccli/staging.credential"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("only place looked at"),
        "{}",
        out.stderr
    );
}

/// A key with a CR at its end (an env file with CRLF line endings) stops the run at once, exit
/// 2, naming the variable, before the state file is made.
#[test]
fn a_credential_with_a_carriage_return_stops_the_run_at_once() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let args = ["run", s(&manifest), "--endpoint", "http://127.0.0.1:9"];
    let id = format!("{API_ID}\r");
    let started = Instant::now();
    let out = run(
        &args,
        &[
            ("TENCENTCLOUD_SECRET_ID", &id),
            ("TENCENTCLOUD_SECRET_KEY", API_KEY),
        ],
        &sb.home,
    );
    out.expect_code(2);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert!(
        out.stderr
            .contains("TENCENTCLOUD_SECRET_ID: ends with a carriage return"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(API_KEY), "{}", out.stderr);
    assert!(!sb.path().join("flows.csv.bulkflow.db").exists());
}

/// A session token the service refuses: the run stops (exit 3) and names the variable the
/// token came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_names_its_variable() {
    let refusal = r#"{"Response":{"Error":{"Code":"AuthFailure.TokenFailure","Message":"token invalid"},"RequestId":"r"}}"#;
    let server = RawServer::http("200 OK", &[("Content-Type", "application/json")], refusal).await;
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 1, 1);
    let (url, home) = (server.url(), sb.home.clone());
    let out = tokio::task::spawn_blocking(move || {
        let mut env = creds();
        env.push(("TENCENTCLOUD_SESSION_TOKEN", "session-token-of-node"));
        run(&["run", s(&manifest), "--endpoint", &url], &env, &home)
    })
    .await
    .expect("the run");
    out.expect_code(3);
    assert!(
        out.stderr.contains(
            "AuthFailure.TokenFailure: token invalid (the session token is invalid or expired, and these credentials cannot be refreshed (environment (AKID***, with the session token of TENCENTCLOUD_SESSION_TOKEN"
        ),
        "{}",
        out.stderr
    );
}

/// A metadata service that takes connections and never answers, for as long as the test runs.
pub fn silent_metadata() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/latest/meta-data/",
        listener.local_addr().expect("addr")
    );
    std::thread::spawn(move || {
        let open: Vec<_> = listener.incoming().flatten().collect();
        drop(open);
    });
    url
}

/// On a CVM whose metadata service takes the connection and then says nothing, the run is not
/// told "no credentials" (exit 2, as off a CVM): it asks again, then stops with exit 3 naming
/// the service.
#[test]
fn a_metadata_service_that_does_not_answer_is_a_failure_not_the_absence_of_a_cvm() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 1, 1);
    let metadata = silent_metadata();
    let out = run(
        &["run", s(&manifest), "--endpoint", "http://127.0.0.1:9"],
        &[("BULKFLOW_METADATA_URL", &metadata)],
        &sb.home,
    );
    out.expect_code(3);
    assert!(
        out.stderr.contains("the metadata service")
            && out.stderr.contains("gave no answer")
            && out.stderr.contains("3 times"),
        "{}",
        out.stderr
    );
}
