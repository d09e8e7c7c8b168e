//! Hostile and damaged input: each case is a problem at the right line, never a panic, and
//! reading goes on where it can.

use super::super::read;
use super::*;

/// A valid CSV file with `bad` as its line 3, then a valid row and a row with a known problem at
/// line 5, so a test sees that reading went on.
fn csv_around(bad: &[u8]) -> Vec<u8> {
    let mut v = format!("{HEADER}\n{}\n", csv_row(1)).into_bytes();
    v.extend_from_slice(bad);
    v.extend_from_slice(format!("\n{}\n", csv_row(4)).as_bytes());
    v.extend_from_slice(csv_row(5).replace("S3_COS", "S3_BAD").as_bytes());
    v.push(b'\n');
    v
}

const LINE5: &str = r#"m.csv:5: SourceStorageType: "S3_BAD" is not one of S3_COS, S3_L5"#;

#[test]
fn a_field_longer_than_4096_bytes() {
    let bad = csv_row(3).replace("/src/3", &format!("/{}", "s".repeat(5000)));
    let m = write("m.csv", csv_around(bad.as_bytes()));
    assert_eq!(
        problems(&m),
        [
            "m.csv:3: SourcePath: longer than 4096 bytes (5001 bytes)",
            LINE5
        ]
    );
}

#[test]
fn a_record_longer_than_64_kib() {
    let bad = csv_row(3).replace("/src/3", &format!("/{}", "s".repeat(70_000)));
    let m = write("m.csv", csv_around(bad.as_bytes()));
    let got = problems(&m);
    assert!(
        got[0].starts_with("m.csv:3: record: longer than 65536 bytes ("),
        "{got:?}"
    );
    assert_eq!(got[1..], [LINE5]);
}

#[test]
fn more_than_64_columns() {
    let cols: Vec<String> = (0..70).map(|i| format!("Extra{i}")).collect();
    let m = write("m.csv", format!("{HEADER},{}\n", cols.join(",")));
    let got = problems(&m);
    assert_eq!(got[0], "m.csv:1: header: 79 columns; at most 64 allowed");
    assert_eq!(
        got[1],
        "m.csv:1: header: unknown field name in column 10 (not shown, as it may be data)"
    );
    assert_eq!(got.len(), 1 + 64 - 9);

    let m = write(
        "m.csv",
        csv_around(format!("{},{}", csv_row(3), ",".repeat(80)).as_bytes()),
    );
    assert_eq!(
        problems(&m),
        ["m.csv:3: record: 90 fields, but the header has 9", LINE5]
    );
}

#[test]
fn invalid_utf8_names_line_and_field() {
    let bad = csv_row(3)
        .replace("flow_3", "fl\u{1}ow")
        .replace('\u{1}', "\u{0}");
    let mut bytes = bad.into_bytes();
    let at = bytes.iter().position(|&b| b == 0).unwrap();
    bytes[at] = 0xFF;
    let m = write("m.csv", csv_around(&bytes));
    assert_eq!(
        problems(&m),
        ["m.csv:3: DataFlowName: not valid UTF-8 (at byte 3)", LINE5]
    );

    let mut header = HEADER.as_bytes().to_vec();
    header.extend_from_slice(b",\xC3\x28\n");
    let m = write("m.csv", header);
    assert_eq!(
        problems(&m),
        ["m.csv:1: header: column 10 is not valid UTF-8"]
    );

    let mut json = json_row(1).into_bytes();
    json.push(b'\n');
    json.extend_from_slice(b"{\"SourcePath\":\"\xFF\"}\n");
    json.extend_from_slice(json_row(3).replace("/cfs/t3", "/x").as_bytes());
    let m = write("m.jsonl", json);
    assert_eq!(
        problems(&m),
        [
            "m.jsonl:2: record: not valid UTF-8 (at byte 16)",
            r#"m.jsonl:3: TargetPath: "/x" must start with /cfs/"#,
        ]
    );
}

#[test]
fn nul_bytes() {
    let bad = csv_row(3).replace("/src/3", "/src\u{0}3");
    let m = write("m.csv", csv_around(bad.as_bytes()));
    assert_eq!(
        problems(&m),
        [
            "m.csv:3: SourcePath: contains a control character (U+0000)",
            LINE5
        ]
    );

    let lines = [
        json_row(1).replace("/src/1", "/src\\u00001"),
        json_row(2).replace("/src/2", "/src\u{0}2"),
    ];
    let m = write("m.jsonl", lines.join("\n"));
    let got = problems(&m);
    assert_eq!(
        got[0],
        "m.jsonl:1: SourcePath: contains a control character (U+0000)"
    );
    assert!(
        got[1].starts_with("m.jsonl:2: record: invalid JSON at column "),
        "{got:?}"
    );
}

#[test]
fn a_truncated_quoted_field() {
    let mut text = format!("{HEADER}\n{}\n{}\n", csv_row(1), csv_row(2)).into_bytes();
    text.extend_from_slice(b"cfs-1,S3_COS,\"https://b,/s\n/cfs/x,id,key,n,ap-guangzhou\n");
    let m = write("m.csv", text);
    assert_eq!(
        problems(&m),
        ["m.csv:4: record: quoted field is not closed before the end of the file"]
    );
    let items: Vec<_> = read(&m.path, &opts()).unwrap().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2].as_ref().unwrap_err().line, 4);
}

#[test]
fn ragged_rows() {
    let m = write("m.csv", csv_around(b"cfs-1,S3_COS,https://b"));
    assert_eq!(
        problems(&m),
        ["m.csv:3: record: 3 fields, but the header has 9", LINE5]
    );
    let items: Vec<_> = read(&m.path, &opts()).unwrap().collect();
    let lines: Vec<(u64, bool)> = items
        .iter()
        .map(|i| match i {
            Ok(r) => (r.line, true),
            Err(p) => (p.line, false),
        })
        .collect();
    assert_eq!(lines, [(2, true), (3, false), (4, true), (5, false)]);
}

#[test]
fn json_that_is_not_an_object_or_not_json() {
    let lines = [
        "[1,2]".to_owned(),
        "\"just a string\"".to_owned(),
        "42".to_owned(),
        "null".to_owned(),
        "{\"FileSystemId\": \"cfs-1\",".to_owned(),
        "{FileSystemId: 1}".to_owned(),
        format!("{} trailing", json_row(7)),
        json_row(8),
        format!(
            "{{{}}}",
            (0..70)
                .map(|i| format!("\"k{i}\":1"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        format!("{{\"SourcePath\":\"{}\"}}", "a".repeat(70_000)),
        json_row(11).replace("/cfs/t11", "/bad"),
    ];
    let m = write("m.jsonl", lines.join("\n"));
    let got = problems(&m);
    assert_eq!(
        got[..6],
        [
            "m.jsonl:1: record: expected a JSON object, found an array",
            "m.jsonl:2: record: expected a JSON object, found a string",
            "m.jsonl:3: record: expected a JSON object, found a number",
            "m.jsonl:4: record: expected a JSON object, found null",
            "m.jsonl:5: record: invalid JSON: the line ends inside a value",
            "m.jsonl:6: record: invalid JSON at column 2",
        ]
    );
    assert!(
        got[6].starts_with("m.jsonl:7: record: invalid JSON at column "),
        "{}",
        got[6]
    );
    assert_eq!(got[7], "m.jsonl:9: record: 70 fields; at most 64 allowed");
    assert!(
        got[8].starts_with("m.jsonl:10: record: longer than 65536 bytes"),
        "{}",
        got[8]
    );
    assert_eq!(
        got[9],
        r#"m.jsonl:11: TargetPath: "/bad" must start with /cfs/"#
    );
    assert_eq!(got.len(), 10);
}

#[test]
fn a_long_json_value_and_arbitrary_bytes_never_panic() {
    let m = write("m.jsonl", json_row(1).replace("/src/1", &"s".repeat(5000)));
    assert_eq!(
        problems(&m),
        ["m.jsonl:1: SourcePath: longer than 4096 bytes (5000 bytes)"]
    );
    // A deterministic byte soup in both formats: problems, no panic.
    let mut state = 0x2545_f491_u32;
    let soup: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            b"a,\"\n\r{}:\0\xff\xc3 "[(state % 12) as usize]
        })
        .collect();
    for name in ["soup.csv", "soup.jsonl"] {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(&soup);
        let m = write(name, &bytes);
        let _ = validate(&m.path, &opts());
        if let Ok(reader) = read(&m.path, &opts()) {
            for _ in reader {}
        }
    }
}

#[test]
fn problems_are_capped_at_1000_with_the_total() {
    let mut text = format!("{HEADER}\n");
    for i in 0..1500 {
        text.push_str(&csv_row(i).replace("S3_COS", "S3_NOPE"));
        text.push('\n');
    }
    let m = write("m.csv", text);
    match validate(&m.path, &opts()) {
        Err(ManifestError::Invalid { problems, total }) => {
            assert_eq!(total, 1500);
            assert_eq!(problems.len(), 1000);
            assert_eq!(problems[0].line, 2);
            assert_eq!(problems[999].line, 1001);
        }
        other => panic!("{other:?}"),
    }
}
