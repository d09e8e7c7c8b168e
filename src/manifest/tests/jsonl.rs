//! JSON Lines manifests: keys in any case, strings and numbers, nulls, types, duplicates.

use super::super::{read, validate, ManifestError};
use super::*;

#[test]
fn a_valid_file_with_mixed_key_styles() {
    let text = format!(
        "\u{feff}{}\r\n\r\n{}\n   \n{}",
        json_row(1),
        r#"{"file_system_id":"cfs-1","source_storage_type":"S3_COS","source_storage_address":"https://b","source_path":"/s","target_path":"/cfs/snake","secret_id":"${SRC_ID}","secret_key":"${SRC_KEY}","auto_refresh":1,"data_flow_name":null,"region":"ap-shanghai"}"#,
        json_row(3)
    );
    let m = write("m.jsonl", text);
    let p = plan(&m, &opts());
    assert_eq!(p.rows, 3);
    let rows: Vec<_> = read(&m.path, &opts())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 5]);
    let snake = &rows[1];
    assert_eq!(snake.region, "ap-shanghai");
    assert_eq!(snake.request.auto_refresh, Some(1));
    assert_eq!(snake.request.data_flow_name, None);
    assert_eq!(snake.request.secret_key.expose(), "key-from-env");
}

#[test]
fn numbers_become_text() {
    let line = r#"{"FileSystemId":12345,"SourceStorageType":"S3_COS","SourceStorageAddress":"https://b","SourcePath":7,"TargetPath":"/cfs/n","SecretId":"i","SecretKey":"k","AutoRefresh":0,"DataFlowName":2024,"Region":"ap-guangzhou"}"#;
    let m = write("m.jsonl", line);
    let row = read(&m.path, &opts()).unwrap().next().unwrap().unwrap();
    assert_eq!(row.request.file_system_id, "12345");
    assert_eq!(row.request.source_path, "7");
    assert_eq!(row.request.auto_refresh, Some(0));
    assert_eq!(row.request.data_flow_name.as_deref(), Some("2024"));
    let bad = write(
        "m.jsonl",
        line.replace(r#""AutoRefresh":0"#, r#""AutoRefresh":1.0"#),
    );
    assert_eq!(
        problems(&bad),
        [r#"m.jsonl:1: AutoRefresh: "1.0" must be 0 or 1"#]
    );
}

#[test]
fn wrong_types_unknown_and_repeated_keys() {
    let with_path = |i: u32, v: &str| {
        json_row(i).replace(
            &format!(r#""SourcePath":"/src/{i}""#),
            &format!(r#""SourcePath":{v}"#),
        )
    };
    let lines = [
        with_path(1, r#"["/a"]"#),
        with_path(2, r#"{"x":1}"#),
        with_path(3, "true"),
        json_row(4).replace(r#""SourcePath""#, r#""SourcePth""#),
        json_row(5).replace('}', r#","source_path":"/again"}"#),
        with_path(6, "null"),
        with_path(7, r#""""#),
    ];
    let m = write("m.jsonl", lines.join("\n"));
    assert_eq!(
        problems(&m),
        [
            "m.jsonl:1: SourcePath: expected a string or a number, found an array",
            "m.jsonl:2: SourcePath: expected a string or a number, found an object",
            "m.jsonl:3: SourcePath: expected a string or a number, found a boolean",
            r#"m.jsonl:4: record: unknown field "SourcePth" (did you mean SourcePath?)"#,
            "m.jsonl:4: SourcePath: required",
            "m.jsonl:5: SourcePath: given twice",
            "m.jsonl:6: SourcePath: required",
            "m.jsonl:7: SourcePath: required",
        ]
    );
}

#[test]
fn region_duplicates_and_variables_across_lines() {
    let no_region = json_row(1).replace(r#","Region":"ap-guangzhou""#, "");
    let lines = [
        no_region.clone(),
        json_row(2),
        json_row(2).replace("/cfs/t2", "/cfs/t2/"),
        json_row(4).replace(
            r#""SecretKey":"keytest""#,
            r#""SecretKey":"${UNSET_VARIABLE}""#,
        ),
    ];
    let m = write("m.jsonl", lines.join("\n"));
    assert_eq!(
        problems(&m),
        [
            "m.jsonl:1: Region: required: add a Region column or pass --region (or set TENCENTCLOUD_REGION, or a region in ~/.tccli/PROFILE.configure)",
            "m.jsonl:3: TargetPath: duplicate of line 2: same FileSystemId and TargetPath (one data flow per directory; trailing or repeated slashes do not make paths different)",
            "m.jsonl:4: SecretKey: environment variable UNSET_VARIABLE is not set",
        ]
    );
    let only_first = write("m.jsonl", no_region);
    assert_eq!(
        plan(&only_first, &opts_with_region(Some("ap-nanjing"))).rows,
        1
    );
}

#[test]
fn ndjson_is_json_lines() {
    let m = write("m.NDJSON", format!("{}\n{}\n", json_row(1), json_row(2)));
    assert_eq!(plan(&m, &opts()).rows, 2);
    assert_eq!(read(&m.path, &opts()).unwrap().count(), 2);
}

#[test]
fn a_given_format_and_name_win_over_the_file_name() {
    use crate::manifest::Format;
    // A spooled copy of stdin: its name says nothing, the format and the name come from outside.
    let m = write("spool.tmp", format!("{}\n", json_row(1)));
    assert!(matches!(
        validate(&m.path, &opts()),
        Err(ManifestError::UnknownFormat { .. })
    ));
    let given = || {
        opts()
            .with_format(Some(Format::Jsonl))
            .named(Some("<stdin>".into()))
    };
    assert_eq!(plan(&m, &given()).rows, 1);
    let bad = write("spool.csv", json_row(1).replace("/cfs/", "/data/"));
    let problems = problems_with(&bad, &given());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("<stdin>:1: TargetPath: "),
        "{problems:?}"
    );
}
