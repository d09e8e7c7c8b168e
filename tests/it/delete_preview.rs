//! The delete preview counts only this manifest's rows: a 40-row delete on the state file of a
//! 200-row run says 40 recorded, and names the rows whose source drifted.

use serde_json::Value;

use super::bin_helpers::{creds, run, s, EmulatorProc, Sandbox};
use super::common::write_manifest;

#[test]
fn the_preview_counts_this_manifests_rows_and_names_drifted_ones() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 200, 2);
    let state = sb.path().join("s.db");
    let args = [
        "run",
        s(&manifest),
        "--state",
        s(&state),
        "--endpoint",
        &emu.url,
    ];
    run(&args, &creds(), &sb.home).expect_code(0);

    // The first 40 rows, 5 of them with another source than their flow's.
    write_manifest(sb.path(), 40, 2);
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let edited: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if (1..=5).contains(&i) {
                l.replacen(",data/", ",moved/", 1) + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&manifest, edited).expect("write");
    let delete = [
        "--log-format",
        "json",
        "delete",
        s(&manifest),
        "--state",
        s(&state),
        "--endpoint",
        &emu.url,
        "--dry-run",
    ];
    let out = run(&delete, &creds(), &sb.home);
    out.expect_code(0);
    // A dry run's preview is its output: on stdout, as JSON with --log-format json.
    let preview: Value = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("per_group").is_some())
        .unwrap_or_else(|| panic!("no preview:\n{}", out.stdout));
    let sum = |key: &str| -> u64 {
        preview["per_group"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g[key].as_u64().expect("a count"))
            .sum()
    };
    assert_eq!((sum("rows"), sum("recorded"), sum("drifted")), (40, 35, 5));
    assert!(
        preview["note"]
            .as_str()
            .is_some_and(|n| n.contains("5 rows drifted")),
        "{preview}"
    );

    let out = run(&delete[2..], &creds(), &sb.home);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("5 rows drifted: the manifest changed their source"),
        "{}",
        out.stdout
    );
}
