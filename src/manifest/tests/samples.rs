//! The sample manifests: the good ones validate clean, and mistakes.csv shows what is reported.

use std::path::Path;

use super::super::{read, validate, ManifestError};
use super::*;

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

#[test]
fn flows_csv_is_clean() {
    let p = validate(&sample("flows.csv"), &opts()).unwrap();
    assert_eq!(p.rows, 120);
    assert_eq!(p.per_group.len(), 3);
    let rows: Vec<_> = read(&sample("flows.csv"), &opts())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 120);
    assert!(rows
        .iter()
        .any(|r| r.request.auto_refresh == Some(1) && r.request.password.is_some()));
}

#[test]
fn flows_jsonl_is_clean() {
    let p = validate(&sample("flows.jsonl"), &opts()).unwrap();
    assert_eq!(p.rows, 20);
    assert_eq!(p.per_group.len(), 1);
}

#[test]
fn mistakes_csv_reports_each_mistake() {
    let path = sample("mistakes.csv");
    let got: Vec<String> = match validate(&path, &opts()) {
        Err(ManifestError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| strip(&p.to_string(), &path))
            .collect(),
        other => panic!("{other:?}"),
    };
    let expected = [
        r#"mistakes.csv:1: header: unknown field "UserKafkaTopc" (did you mean UserKafkaTopic?)"#,
        r#"mistakes.csv:3: SourceStorageType: "S3_OSS" is not one of S3_COS, S3_L5"#,
        r#"mistakes.csv:4: TargetPath: "/data/projects/p003" must start with /cfs/"#,
        r#"mistakes.csv:5: DataFlowName: contains ' ' (character 8 of 16); only letters, digits, Chinese characters, _ and - are allowed"#,
        r#"mistakes.csv:6: DataFlowName: 70 characters; at most 64 allowed"#,
        r#"mistakes.csv:7: AutoRefresh: "2" must be 0 or 1"#,
        "mistakes.csv:8: SourcePath: required",
        "mistakes.csv:9: TargetPath: duplicate of line 2: same FileSystemId and TargetPath (one data flow per directory; trailing or repeated slashes do not make paths different)",
        "mistakes.csv:10: SecretKey: environment variable UNSET_VARIABLE is not set",
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));
}
