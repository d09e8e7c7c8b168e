//! Hostile manifests through the real binary: each is refused with exit 2 and a `FILE:LINE`
//! problem on stderr, before anything is sent. The endpoint is a loopback port with nothing
//! listening (a call would end the run with exit 3, not 2), and no state file may appear.

use std::path::{Path, PathBuf};

use super::bin_helpers::{creds, dead_endpoint, run, s, Sandbox};

/// A valid CSV header and row `i` for it.
const HEADER: &str = "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,\
SecretId,SecretKey,DataFlowName,Region";

fn csv_row(i: usize) -> String {
    format!(
        "cfs-1,S3_COS,https://b-1251000004.cos.ap-guangzhou.myqcloud.com,data/{i},/cfs/t{i},\
AKIDsrc,SRCKEY-hostile-{i},flow_{i},ap-guangzhou"
    )
}

fn json_row(i: usize) -> String {
    format!(
        r#"{{"FileSystemId":"cfs-1","SourceStorageType":"S3_COS","SourceStorageAddress":"https://b","SourcePath":"data/{i}","TargetPath":"/cfs/t{i}","SecretId":"AKIDsrc","SecretKey":"SRCKEY-hostile-{i}","Region":"ap-guangzhou"}}"#
    )
}

/// A CSV manifest: the header, two valid rows, then `bad` as line 4, then a valid row.
fn csv_with(bad: &[u8]) -> Vec<u8> {
    let mut v = format!("{HEADER}\n{}\n{}\n", csv_row(1), csv_row(2)).into_bytes();
    v.extend_from_slice(bad);
    v.extend_from_slice(format!("\n{}\n", csv_row(5)).as_bytes());
    v
}

/// A JSONL manifest: two valid rows, then `bad` as line 3, then a valid row.
fn jsonl_with(bad: &[u8]) -> Vec<u8> {
    let mut v = format!("{}\n{}\n", json_row(1), json_row(2)).into_bytes();
    v.extend_from_slice(bad);
    v.extend_from_slice(format!("\n{}\n", json_row(4)).as_bytes());
    v
}

fn state_of(manifest: &Path) -> PathBuf {
    let mut s = manifest.as_os_str().to_owned();
    s.push(".bulkflow.db");
    PathBuf::from(s)
}

/// Writes `content` as `name`, runs `bulkflow run` on it against a dead endpoint, and checks exit
/// 2, `name:LINE: ` on stderr, no secret on either stream, and no state or lock file. Returns
/// stderr.
#[track_caller]
fn refused(name: &str, content: &[u8], line: u64) -> String {
    let sb = Sandbox::new();
    let manifest = sb.path().join(name);
    std::fs::write(&manifest, content).unwrap();
    let endpoint = dead_endpoint();
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &endpoint,
            "--rate",
            "200",
        ],
        &creds(),
        &sb.home,
    );
    out.expect_code(2);
    let place = format!("{name}:{line}: ");
    assert!(
        out.stderr.contains(&place),
        "no {place:?} on stderr:\n{}",
        out.stderr
    );
    let raw = String::from_utf8_lossy(&out.raw);
    assert!(
        !raw.contains("SRCKEY-hostile"),
        "a secret was shown:\n{raw}"
    );
    let state = state_of(&manifest);
    assert!(!state.exists(), "a state file was created");
    let entries: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut expected = vec!["home".to_owned(), name.to_owned()];
    let mut got = entries.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "run left files behind");
    out.stderr
}

#[test]
fn invalid_utf8() {
    let bad = csv_row(3).replace("flow_3", "flow_\u{1}").into_bytes();
    let bad: Vec<u8> = bad
        .into_iter()
        .map(|b| if b == 1 { 0xFF } else { b })
        .collect();
    let err = refused("m.csv", &csv_with(&bad), 4);
    assert!(
        err.contains("m.csv:4: DataFlowName: not valid UTF-8"),
        "{err}"
    );

    let bad = b"{\"FileSystemId\":\"cfs-\xC3\x28\"}";
    let err = refused("m.jsonl", &jsonl_with(bad), 3);
    assert!(err.contains("m.jsonl:3: record: not valid UTF-8"), "{err}");
}

#[test]
fn a_nul_byte() {
    let bad = csv_row(3).replace("data/3", "data/\u{0}3");
    let err = refused("m.csv", &csv_with(bad.as_bytes()), 4);
    assert!(
        err.contains("m.csv:4: SourcePath: contains a control character (U+0000)"),
        "{err}"
    );
}

#[test]
fn a_truncated_quoted_field() {
    let mut content = format!("{HEADER}\n{}\n{}\n", csv_row(1), csv_row(2)).into_bytes();
    content.extend_from_slice(b"cfs-1,S3_COS,\"https://b,data/3,/cfs/t3,AKIDsrc,SRCKEY-hostile-3");
    let err = refused("m.csv", &content, 4);
    assert!(
        err.contains("m.csv:4: record: quoted field is not closed before the end of the file"),
        "{err}"
    );
}

#[test]
fn ragged_rows() {
    let err = refused("m.csv", &csv_with(b"cfs-1,S3_COS,https://b"), 4);
    assert!(
        err.contains("m.csv:4: record: 3 fields, but the header has 9"),
        "{err}"
    );
}

#[test]
fn a_thousand_columns() {
    let bad = format!("{}{}", csv_row(3), ",x".repeat(991));
    let err = refused("m.csv", &csv_with(bad.as_bytes()), 4);
    assert!(
        err.contains("m.csv:4: record: 1000 fields, but the header has 9"),
        "{err}"
    );

    let extra: Vec<String> = (0..991).map(|i| format!("Extra{i}")).collect();
    let content = format!("{HEADER},{}\n{}\n", extra.join(","), csv_row(1));
    let err = refused("wide.csv", content.as_bytes(), 1);
    assert!(
        err.contains("wide.csv:1: header: 1000 columns; at most 64 allowed"),
        "{err}"
    );
}

#[test]
fn a_100_kb_field() {
    let bad = csv_row(3).replace("data/3", &"d".repeat(100 * 1024));
    let err = refused("m.csv", &csv_with(bad.as_bytes()), 4);
    assert!(
        err.contains("m.csv:4: record: longer than 65536 bytes"),
        "{err}"
    );

    let bad = json_row(3).replace("data/3", &"d".repeat(100 * 1024));
    let err = refused("m.jsonl", &jsonl_with(bad.as_bytes()), 3);
    assert!(
        err.contains("m.jsonl:3: record: longer than 65536 bytes"),
        "{err}"
    );
}

#[test]
fn a_jsonl_line_that_is_an_array() {
    let bad = format!("[{}]", json_row(3));
    let err = refused("m.jsonl", &jsonl_with(bad.as_bytes()), 3);
    assert!(
        err.contains("m.jsonl:3: record: expected a JSON object, found an array"),
        "{err}"
    );
}

#[test]
fn a_jsonl_line_that_is_not_json() {
    let bad = b"FileSystemId=cfs-1 SecretKey=SRCKEY-hostile-3";
    let err = refused("m.jsonl", &jsonl_with(bad), 3);
    assert!(
        err.contains("m.jsonl:3: record: invalid JSON at column 1"),
        "{err}"
    );
}

#[test]
fn a_path_out_of_cfs_or_a_second_spelling_of_a_directory() {
    let bad = csv_row(3).replace("/cfs/t3", "/cfs/../etc");
    let err = refused("m.csv", &csv_with(bad.as_bytes()), 4);
    assert!(
        err.contains(r#"m.csv:4: TargetPath: "/cfs/../etc" has a ".." segment"#),
        "{err}"
    );

    let bad = csv_row(3).replace("data/3", "data/../../other");
    let err = refused("m.csv", &csv_with(bad.as_bytes()), 4);
    assert!(
        err.contains(r#"m.csv:4: SourcePath: "data/../../other" has a ".." segment"#),
        "{err}"
    );

    // Row 1's directory written with a doubled slash: the same directory, so a duplicate.
    let bad = csv_row(3).replace("/cfs/t3", "/cfs//t1/");
    let err = refused("m.csv", &csv_with(bad.as_bytes()), 4);
    assert!(
        err.contains("m.csv:4: TargetPath: duplicate of line 2: same FileSystemId and TargetPath"),
        "{err}"
    );
}

#[test]
fn a_doubled_slash_is_sent_and_reported_collapsed() {
    let sb = Sandbox::new();
    let manifest = sb.path().join("m.csv");
    let row = csv_row(1).replace("/cfs/t1", "/cfs//deep///t1");
    std::fs::write(&manifest, format!("{HEADER}\n{row}\n")).unwrap();
    run(&["run", s(&manifest), "--emulator"], &[], &sb.home).expect_code(0);
    let state = state_of(&manifest);
    let out = run(
        &["report", "--state", s(&state), "--format", "jsonl"],
        &[],
        &sb.home,
    );
    out.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON row");
    assert_eq!(v["target_path"], "/cfs/deep/t1");
    assert_eq!(v["state"], "created");
}
