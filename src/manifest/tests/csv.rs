//! CSV manifests: header matching, values, the row rules, duplicates, the plan and the reader.

use super::super::{read, ManifestError};
use super::*;

#[test]
fn a_valid_file_gives_its_plan() {
    let mut text = format!("{HEADER}\n");
    for i in 1..=3 {
        text.push_str(&csv_row(i));
        text.push('\n');
    }
    text.push_str("cfs-2,S3_L5,https://b,/s,/cfs/x,id,key,,ap-shanghai\n");
    let m = write("m.csv", text);
    let p = plan(&m, &opts());
    assert_eq!(p.rows, 4);
    let groups: Vec<_> = p
        .per_group
        .iter()
        .map(|((r, f), n)| (r.as_str(), f.as_str(), *n))
        .collect();
    assert_eq!(
        groups,
        [("ap-guangzhou", "cfs-1", 3), ("ap-shanghai", "cfs-2", 1)]
    );
}

#[test]
fn bom_and_crlf() {
    let text = format!("\u{feff}{HEADER}\r\n{}\r\n{}\r\n", csv_row(1), csv_row(2));
    let m = write("m.csv", text);
    assert_eq!(plan(&m, &opts()).rows, 2);
    let rows: Vec<_> = read(&m.path, &opts())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows[0].request.file_system_id, "cfs-1");
    assert_eq!(rows[1].line, 3);
    assert_eq!(rows[1].region, "ap-guangzhou");
}

#[test]
fn snake_case_and_any_case_headers() {
    let text = "file_system_id,SOURCESTORAGETYPE,source_storage_address,sourcepath,Target_Path,secret_id,secret_key,auto_refresh,user_kafka_topic,server_addr,user_name,password,region\n\
                cfs-1,S3_COS,https://b,/s,/cfs/a,id,key,1,topic,kafka:9095,u,pw,ap-guangzhou\n";
    let m = write("m.csv", text);
    let row = read(&m.path, &opts()).unwrap().next().unwrap().unwrap();
    let r = &row.request;
    assert_eq!(
        (r.auto_refresh, r.user_kafka_topic.as_deref()),
        (Some(1), Some("topic"))
    );
    assert_eq!(
        (r.server_addr.as_deref(), r.user_name.as_deref()),
        (Some("kafka:9095"), Some("u"))
    );
    assert_eq!(r.password.as_ref().map(|p| p.expose()), Some("pw"));
    assert_eq!(r.secret_key.expose(), "key");
    assert_eq!(row.target_key(), "/cfs/a");
}

#[test]
fn header_problems() {
    let text = "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePth,TargetPath,SecretId,SecretKey,file_system_id,Colour,\n\
                cfs-1,S3_COS,https://b,/s,/cfs/a,id,key,cfs-1,red,\n";
    let m = write("m.csv", text);
    assert_eq!(
        problems(&m),
        [
            r#"m.csv:1: header: column 8 ("file_system_id") repeats FileSystemId"#,
            "m.csv:1: header: column 10 has no name",
            r#"m.csv:1: header: unknown field "SourcePth" (did you mean SourcePath?)"#,
            "m.csv:1: header: unknown field name in column 9 (not shown, as it may be data)",
            "m.csv:1: header: missing required column SourcePath",
            "m.csv:1: header: no Region column and no default region: add a Region column or pass --region (or set TENCENTCLOUD_REGION, or a region in ~/.tccli/PROFILE.configure)",
        ]
    );
    match read(&m.path, &opts()) {
        Err(ManifestError::Invalid { problems, total }) => {
            assert_eq!((problems.len(), total), (6, 6))
        }
        _ => panic!("read must refuse a bad header"),
    }
}

#[test]
fn a_missing_header_is_reported_without_quoting_the_data() {
    let m = write("m.csv", format!("{}\n{}\n", csv_row(1), csv_row(2)));
    let got = problems(&m);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0]
        .starts_with("m.csv:1: header: no known field names; the first line must be a header row"));
    assert!(!got[0].contains("AKIDtest") && !got[0].contains("keytest"));
    let empty = write("e.csv", "");
    assert_eq!(
        problems(&empty),
        ["e.csv:1: header: the file is empty; the first line must be a header row naming the fields"]
    );
}

#[test]
fn the_default_region_fills_rows_without_one() {
    let header = "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey";
    let m = write(
        "m.csv",
        format!("{header}\ncfs-1,S3_COS,https://b,/s,/cfs/a,id,key\n"),
    );
    let p = plan(&m, &opts_with_region(Some("ap-beijing")));
    assert_eq!(
        p.per_group.keys().next().unwrap(),
        &("ap-beijing".into(), "cfs-1".into())
    );

    let with_column = write("m.csv", format!("{header},Region\ncfs-1,S3_COS,https://b,/s,/cfs/a,id,key,\ncfs-1,S3_COS,https://b,/s,/cfs/b,id,key,ap-shanghai\n"));
    assert_eq!(
        problems(&with_column),
        ["m.csv:2: Region: required: add a Region column or pass --region (or set TENCENTCLOUD_REGION, or a region in ~/.tccli/PROFILE.configure)"]
    );
    let p = plan(&with_column, &opts_with_region(Some("ap-beijing")));
    assert_eq!(p.per_group.len(), 2);
    assert_eq!(
        problems_with(&with_column, &opts_with_region(Some("cvm.evil.com/"))),
        [
            r#"m.csv:2: Region: default region: "cvm.evil.com/" is not a region name like ap-guangzhou"#
        ]
    );
}

#[test]
fn every_row_rule() {
    let text = format!(
        "{HEADER},AutoRefresh\n\
         cfs-1,S3_XYZ,https://b,/s,/cfs/1,id,key,ok,ap-guangzhou,\n\
         cfs-1,S3_COS,https://b,/s,/data/2,id,key,ok,ap-guangzhou,\n\
         cfs-1,S3_COS,https://b,/s,/cfs/3,id,key,bad name!,ap-guangzhou,\n\
         cfs-1,S3_COS,https://b,/s,/cfs/4,id,key,{long},ap-guangzhou,\n\
         cfs-1,S3_COS,https://b,/s,/cfs/5,id,key,ok,ap-guangzhou,2\n\
         ,S3_COS,,/s,/cfs/6,,key,ok,ap-guangzhou,\n\
         cfs-1,S3_COS,https://b,/s,/cfs/7,id,key,ok,Guangzhou.evil,\n\
         cfs-1,S3_COS,https://b,/s,/cfs/8,${{SRC_ID}},${{SRC_KEY}},数据_流-1,ap-guangzhou,1\n",
        long = "n".repeat(65)
    );
    let m = write("m.csv", text);
    assert_eq!(
        problems(&m),
        [
            r#"m.csv:2: SourceStorageType: "S3_XYZ" is not one of S3_COS, S3_L5"#,
            r#"m.csv:3: TargetPath: "/data/2" must start with /cfs/"#,
            r#"m.csv:4: DataFlowName: contains ' ' (character 4 of 9); only letters, digits, Chinese characters, _ and - are allowed"#,
            r#"m.csv:5: DataFlowName: 65 characters; at most 64 allowed"#,
            r#"m.csv:6: AutoRefresh: "2" must be 0 or 1"#,
            "m.csv:7: FileSystemId: required",
            "m.csv:7: SourceStorageAddress: required",
            "m.csv:7: SecretId: required",
            r#"m.csv:8: Region: "Guangzhou.evil" is not a region name like ap-guangzhou"#,
        ]
    );
}

#[test]
fn variables_are_read_from_the_env_function() {
    let text = format!(
        "{HEADER}\n\
         cfs-1,S3_COS,https://b,/s,/cfs/1,${{SRC_ID}},${{SRC_KEY}},n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,/s,/cfs/2,${{SRC_ID}},${{UNSET_VARIABLE}},n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,/s,/cfs/3,$SRC_ID,x${{SRC_KEY}},n,ap-guangzhou\n"
    );
    let m = write("m.csv", text);
    assert_eq!(
        problems(&m),
        ["m.csv:3: SecretKey: environment variable UNSET_VARIABLE is not set"]
    );
    let items: Vec<_> = read(&m.path, &opts()).unwrap().collect();
    assert_eq!(items.len(), 3);
    let first = items[0].as_ref().unwrap();
    assert_eq!(first.request.secret_id.expose(), "AKIDfromenv");
    assert_eq!(first.request.secret_key.expose(), "key-from-env");
    assert!(items[1].is_err());
    let literal = items[2].as_ref().unwrap();
    assert_eq!(literal.request.secret_id.expose(), "$SRC_ID");
    assert_eq!(literal.request.secret_key.expose(), "x${SRC_KEY}");
}

#[test]
fn duplicates_ignore_trailing_slashes_and_name_the_first_line() {
    let text = format!(
        "{HEADER}\n\
         cfs-1,S3_COS,https://b,/s,/cfs/a,id,key,n,ap-guangzhou\n\
         cfs-2,S3_COS,https://b,/s,/cfs/a,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,/s2,/cfs/a/,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,/s3,/cfs/a//,id,key,n,ap-shanghai\n\
         cfs-1,S3_COS,https://b,/s,/cfs/ab,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,/s,/cfs/a,id,key,bad name,ap-guangzhou\n"
    );
    let m = write("m.csv", text);
    let dup = "duplicate of line 2: same FileSystemId and TargetPath (one data flow per directory; trailing or repeated slashes do not make paths different)";
    assert_eq!(
        problems(&m),
        [
            format!("m.csv:4: TargetPath: {dup}"),
            format!("m.csv:5: TargetPath: {dup}"),
            r#"m.csv:7: DataFlowName: contains ' ' (character 4 of 8); only letters, digits, Chinese characters, _ and - are allowed"#.to_owned(),
            format!("m.csv:7: TargetPath: {dup}"),
        ]
    );
    // The reader does not check duplicates.
    assert_eq!(
        read(&m.path, &opts())
            .unwrap()
            .filter(Result::is_ok)
            .count(),
        5
    );
}

#[test]
fn quoted_fields_and_blank_lines() {
    let text = format!(
        "\n{HEADER}\n\n\"cfs-1\",S3_COS,\"https://b\",\"/src, with comma\",/cfs/q,id,\"k\"\"ey\",n,ap-guangzhou\n\n"
    );
    let m = write("m.csv", text);
    let rows: Vec<_> = read(&m.path, &opts())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 4);
    assert_eq!(rows[0].request.source_path, "/src, with comma");
    assert_eq!(rows[0].request.secret_key.expose(), "k\"ey");
}

#[test]
fn the_reader_yields_rows_and_problems_in_file_order() {
    let text = format!(
        "{HEADER}\n{}\ncfs-1,S3_BAD,https://b,/s,/tmp,id,key,n,ap-guangzhou\n{}\n",
        csv_row(1),
        csv_row(3)
    );
    let m = write("m.csv", text);
    let items: Vec<_> = read(&m.path, &opts()).unwrap().collect();
    let shape: Vec<String> = items
        .iter()
        .map(|i| match i {
            Ok(r) => format!("row {}", r.line),
            Err(p) => format!("{}: {}", p.line, p.field),
        })
        .collect();
    assert_eq!(
        shape,
        ["row 2", "3: SourceStorageType", "3: TargetPath", "row 4"]
    );
}

#[test]
fn unknown_extensions_and_missing_files() {
    let m = write("m.txt", "x");
    assert!(matches!(
        validate(&m.path, &opts()),
        Err(ManifestError::UnknownFormat { .. })
    ));
    let upper = write("M.CSV", format!("{HEADER}\n{}\n", csv_row(1)));
    assert_eq!(plan(&upper, &opts()).rows, 1);
    let gone = m.path.with_file_name("gone.csv");
    let e = validate(&gone, &opts()).unwrap_err();
    assert!(matches!(e, ManifestError::Missing { .. }));
    assert!(e
        .to_string()
        .starts_with(&format!("{}: no such file", gone.display())));
}

#[test]
fn fingerprints_differ_between_rows_and_are_stable() {
    let m = write(
        "m.csv",
        format!("{HEADER}\n{}\n{}\n", csv_row(1), csv_row(2)),
    );
    let a: Vec<_> = read(&m.path, &opts())
        .unwrap()
        .map(|r| r.unwrap().fingerprint())
        .collect();
    let b: Vec<_> = read(&m.path, &opts())
        .unwrap()
        .map(|r| r.unwrap().fingerprint())
        .collect();
    assert_eq!(a, b);
    assert_ne!(a[0], a[1]);
}
