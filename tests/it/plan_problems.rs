//! `plan` when something is wrong with the manifest's world: a file system the service does not
//! know (its rows are `missing`, the others judged as usual), and an invalid manifest under
//! `--json` (its problems as `validate --json` writes them, without credentials).

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::secret::Secret;
use serde_json::Value;

use super::bin_helpers::{creds, run, s, Sandbox, API_ID, API_KEY};
use super::common::write_manifest;

#[test]
fn a_file_system_the_service_does_not_know_makes_only_its_rows_missing() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 4, 2);
    let emu = Emulator::start(EmulatorConfig {
        secret_id: API_ID.into(),
        secret_key: Secret::new(API_KEY),
        rate: 200,
        file_systems: Some(vec!["cfs-00000000".into()]),
        ..EmulatorConfig::default()
    })
    .expect("emulator");
    let url = emu.url();
    let args = [
        "plan",
        s(&manifest),
        "--endpoint",
        &url,
        "--progress",
        "none",
    ];
    let out = run(&[&args[..], &["--json"]].concat(), &creds(), &sb.home);
    out.expect_code(1);
    let mut lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let summary = lines.pop().expect("the summary")["summary"].clone();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    for row in &lines {
        if row["file_system_id"] == "cfs-00000000" {
            assert_eq!(row["verdict"], "create", "{row}");
            continue;
        }
        assert_eq!(row["verdict"], "missing", "{row}");
        let detail = row["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("ResourceNotFound.FileSystemNotFound: the service knows no file system cfs-00000001 in ap-guangzhou"),
            "{row}"
        );
    }
    assert_eq!(
        (&summary["create"], &summary["missing"]),
        (&2.into(), &2.into())
    );

    let out = run(&args, &creds(), &sb.home);
    out.expect_code(1);
    assert!(out.stdout.contains("FileSystemNotFound"), "{}", out.stdout);
}

#[test]
fn an_invalid_manifest_under_json_is_written_as_validate_json_writes_it() {
    let sb = Sandbox::new();
    let bad = sb.path().join("bad.csv");
    std::fs::write(&bad, "FileSystemId,TargetPath\ncfs-1,/nope\n").expect("write");
    // No credentials anywhere: the manifest is checked first.
    let validated = run(&["validate", s(&bad), "--json"], &[], &sb.home);
    validated.expect_code(2);
    let planned = run(&["plan", s(&bad), "--json"], &[], &sb.home);
    planned.expect_code(2);
    assert_eq!(planned.stdout, validated.stdout);
    let v: Value = serde_json::from_str(&planned.stdout).expect("one JSON line");
    assert_eq!(v["valid"], false);
    assert!(v["problems_total"].as_u64().is_some_and(|n| n > 0), "{v}");
}
