//! Wrong endpoint, wrong region, wrong file: each said at once, plainly, with what was probably
//! meant, and with the exit code a cron job expects (2 for a mistake of the command line, never
//! 5, which means "state file busy or unreadable").

use super::bin_helpers::{creds, run, s, EmulatorProc, Sandbox};
use super::common::write_manifest;
use super::rawserver::RawServer;

#[tokio::test(flavor = "multi_thread")]
async fn an_http_error_without_an_api_answer_is_said_at_once() {
    let gateway = RawServer::http(
        "502 Bad Gateway",
        &[("Content-Type", "text/html")],
        "<html><body>502 Bad Gateway</body></html>",
    )
    .await;
    let url = gateway.url();
    let out = tokio::task::spawn_blocking(move || {
        let sb = Sandbox::new();
        let manifest = write_manifest(sb.path(), 3, 1);
        let args = [
            "run",
            s(&manifest),
            "--endpoint",
            &url,
            "--max-runtime",
            "2",
            "--progress",
            "none",
        ];
        run(&args, &creds(), &sb.home)
    })
    .await
    .expect("the run");
    out.expect_code(4);
    let warned = out
        .stderr
        .lines()
        .position(|l| l.contains("answered HTTP 502 without an API answer (a text/html body)"));
    let stopping = out.stderr.lines().position(|l| l.contains("stopping"));
    match (warned, stopping) {
        (Some(w), Some(st)) => assert!(w < st, "{}", out.stderr),
        _ => panic!("not said before the run stopped:\n{}", out.stderr),
    }
    assert!(out.stderr.contains("--endpoint"), "{}", out.stderr);
}

#[test]
fn a_region_typo_is_caught_offline_with_the_region_meant() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    // The flag: refused before anything (no credentials are looked for).
    for cmd in ["run", "validate", "plan"] {
        let out = run(
            &[cmd, s(&manifest), "--region", "ap-guangzho"],
            &[],
            &sb.home,
        );
        out.expect_code(2);
        assert!(
            out.stderr.contains("--region \"ap-guangzho\" is not a Tencent Cloud region; did you mean ap-guangzhou?"),
            "{cmd}: {}",
            out.stderr
        );
    }
    let out = run(
        &["validate", s(&manifest)],
        &[("TENCENTCLOUD_REGION", "ap-shangai")],
        &sb.home,
    );
    out.expect_code(2);
    assert!(
        out.stderr
            .contains("TENCENTCLOUD_REGION \"ap-shangai\" is not a Tencent Cloud region; did you mean ap-shanghai?"),
        "{}",
        out.stderr
    );
    // The manifest's column: FILE:LINE: Region: ..., and a dry run says the same.
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(
        &manifest,
        text.replacen(",ap-guangzhou\n", ",ap-guangzho\n", 2),
    )
    .expect("w");
    for args in [
        vec!["validate", s(&manifest)],
        vec!["run", s(&manifest), "--dry-run"],
    ] {
        let out = run(&args, &[], &sb.home);
        out.expect_code(2);
        let want = format!(
            "{}:3: Region: \"ap-guangzho\" is not a Tencent Cloud region; did you mean ap-guangzhou?",
            s(&manifest)
        );
        assert!(out.stderr.contains(&want), "{args:?}: {}", out.stderr);
    }
    // The profile's configure file.
    let tccli = sb.home.join(".tccli");
    std::fs::create_dir_all(&tccli).expect("dir");
    std::fs::write(
        tccli.join("default.configure"),
        r#"{"_sys_param": {"region": "ap-bejing"}}"#,
    )
    .expect("configure");
    let clean = write_manifest(&sb.home, 2, 1);
    let text = std::fs::read_to_string(&clean).expect("manifest");
    std::fs::write(&clean, text.replace(",ap-guangzhou\n", ",\n")).expect("w");
    let out = run(&["validate", s(&clean)], &[], &sb.home);
    out.expect_code(2);
    assert!(
        out.stderr.contains("did you mean ap-beijing?"),
        "{}",
        out.stderr
    );

    // A region newer than the list: --allow-unknown-region, for validate and for a run.
    let out = run(
        &["validate", s(&manifest), "--allow-unknown-region"],
        &[],
        &sb.home,
    );
    out.expect_code(0);
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--allow-unknown-region",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(0);
}

#[test]
fn a_missing_manifest_gets_a_did_you_mean_and_status_of_it_is_a_usage_error() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let typo = sb.path().join("flows.cvs");
    let want = format!("{}: no such file; did you mean {}?", s(&typo), s(&manifest));
    for args in [
        vec!["run", s(&typo), "--emulator"],
        vec!["validate", s(&typo)],
        vec!["plan", s(&typo), "--emulator"],
        vec!["status", s(&typo)],
        vec!["report", s(&typo)],
    ] {
        let out = run(&args, &[], &sb.home);
        out.expect_code(2);
        assert!(out.stderr.contains(&want), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("rehearsing"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // The manifest exists, but no run has made its state file yet.
    let out = run(&["status", s(&manifest)], &[], &sb.home);
    out.expect_code(2);
    assert!(out.stderr.contains("no state file"), "{}", out.stderr);
    let out = run(
        &["status", "--state", s(&sb.path().join("nowhere.db"))],
        &[],
        &sb.home,
    );
    out.expect_code(2);
}

#[test]
fn a_state_file_of_another_manifest_is_refused_unless_adopted() {
    let sb = Sandbox::new();
    let first = write_manifest(sb.path(), 3, 1);
    let other = sb.path().join("other.csv");
    std::fs::copy(&first, &other).expect("copy");
    let state = sb.path().join("flows.csv.bulkflow.db");
    let args = |m: &std::path::Path| {
        vec![
            "run".to_owned(),
            s(m).to_owned(),
            "--emulator".to_owned(),
            "--state".to_owned(),
            s(&state).to_owned(),
        ]
    };
    run(&args(&first), &[], &sb.home).expect_code(0);
    let out = run(&args(&other), &[], &sb.home);
    out.expect_code(2);
    for name in [s(&first), s(&other), "--adopt-state"] {
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
    }
    // Said before the run: the state file still records only the first manifest's run.
    let status = run(&["status", "--state", s(&state), "--json"], &[], &sb.home);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(v["last_run"]["manifest"], s(&first));

    let mut adopt = args(&other);
    adopt.push("--adopt-state".into());
    run(&adopt, &[], &sb.home).expect_code(0);

    // A manifest moved away from its recorded path is taken for the same one.
    let moved = sb.path().join("moved.csv");
    std::fs::rename(&other, &moved).expect("move");
    let out = run(&args(&moved), &[], &sb.home);
    out.expect_code(0);
    assert!(out.stderr.contains("moved or renamed"), "{}", out.stderr);

    // Delete is held to the same.
    let out = run(
        &[
            "delete",
            s(&first),
            "--emulator",
            "--state",
            s(&state),
            "--yes",
        ],
        &[],
        &sb.home,
    );
    out.expect_code(2);
}
