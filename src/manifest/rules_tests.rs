//! Tests of the per-row rules.

use super::*;

#[test]
fn names() {
    assert!(data_flow_name("proj_p001-数据").is_ok());
    assert!(data_flow_name(&"a".repeat(64)).is_ok());
    assert!(data_flow_name(&"数".repeat(64)).is_ok());
    let e = data_flow_name(&"a".repeat(65)).unwrap_err();
    assert_eq!(e, "65 characters; at most 64 allowed");
    assert_eq!(
        data_flow_name("my flow").unwrap_err(),
        "contains ' ' (character 3 of 7); only letters, digits, Chinese characters, _ and - are allowed"
    );
    assert!(data_flow_name("flow.1").is_err());
    assert!(data_flow_name("émile").is_err());
    assert!(data_flow_name("データ").is_err());
}

#[test]
fn fields() {
    assert!(check_field(Field::SourceStorageType, "S3_COS").is_ok());
    assert!(check_field(Field::SourceStorageType, "S3_L5").is_ok());
    assert_eq!(
        check_field(Field::SourceStorageType, "S3_XYZ").unwrap_err(),
        r#""S3_XYZ" is not one of S3_COS, S3_L5"#
    );
    assert!(check_field(Field::SourceStorageType, "s3_cos").is_err());
    assert!(check_field(Field::TargetPath, "/cfs/a").is_ok());
    assert_eq!(
        check_field(Field::TargetPath, "/data/a").unwrap_err(),
        r#""/data/a" must start with /cfs/"#
    );
    assert!(check_field(Field::TargetPath, "/cfs").is_err());
    assert_eq!(auto_refresh("1"), Ok(1));
    assert_eq!(auto_refresh("0"), Ok(0));
    assert_eq!(auto_refresh("2").unwrap_err(), r#""2" must be 0 or 1"#);
    assert!(auto_refresh("true").is_err());
    assert!(region("ap-shanghai-fsi").is_ok());
    assert!(region("evil.com/x").is_err());
    assert!(region("AP-GUANGZHOU").is_err());
}

/// A secret in the wrong column (a CSV row shifted by a comma) is never shown; a value
/// that looks like what its field holds is.
#[test]
fn a_value_is_quoted_only_when_it_looks_like_its_field() {
    let key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE+/=";
    let token = "Zq7Xw9Lk3Mp5Rt8aaVb2Nc4Kf0Yh6Tg4Jd8Ws1Qe".repeat(3);
    for f in [
        Field::DataFlowName,
        Field::SourceStorageType,
        Field::AutoRefresh,
        Field::Region,
        Field::TargetPath,
    ] {
        for secret in [key, &token[..], "hunter2!", "p@ss word"] {
            let e = match f {
                Field::AutoRefresh => auto_refresh(secret).unwrap_err(),
                _ => check_field(f, secret).unwrap_err(),
            };
            assert!(!e.contains(secret), "{f:?}: {e}");
            assert!(!e.contains(&secret[..secret.len().min(8)]), "{f:?}: {e}");
        }
    }
    // A short word that is not what the field holds is not shown either.
    for f in [Field::SourceStorageType, Field::TargetPath] {
        let e = check_field(f, "hunter2").unwrap_err();
        assert!(!e.contains("hunter2"), "{f:?}: {e}");
    }
    assert!(!auto_refresh("hunter2").unwrap_err().contains("hunter2"));
    for (f, typo) in [
        (Field::SourceStorageType, "S3_OSS"),
        (Field::SourceStorageType, "cos"),
        (Field::AutoRefresh, "true"),
        (Field::AutoRefresh, "1.0"),
    ] {
        let e = match f {
            Field::AutoRefresh => auto_refresh(typo).unwrap_err(),
            _ => check_field(f, typo).unwrap_err(),
        };
        assert!(e.starts_with(&format!("{typo:?}")), "{e}");
    }
    // A path holding a key is not shown either.
    let e = check_field(Field::TargetPath, &format!("/data/{key}")).unwrap_err();
    assert!(e.starts_with("the value (") && !e.contains("Gu5t9x"), "{e}");
    let e = check_field(Field::SourceStorageType, &"x".repeat(40)).unwrap_err();
    assert!(e.starts_with("the value (40 characters, not shown"), "{e}");
    assert_eq!(
        check_field(Field::Region, "AP-Guangzhou").unwrap_err(),
        r#""AP-Guangzhou" is not a region name like ap-guangzhou"#
    );
}

#[test]
fn control_characters_and_length_for_any_field() {
    assert_eq!(
        check_field(Field::SecretKey, "ab\0cd").unwrap_err(),
        "contains a control character (U+0000)"
    );
    assert!(check_field(Field::SourcePath, "a\tb").is_err());
    let e = check_field(Field::SourcePath, &"a".repeat(4097)).unwrap_err();
    assert_eq!(e, "longer than 4096 bytes (4097 bytes)");
    assert!(check_field(Field::SourcePath, &"a".repeat(4096)).is_ok());
    assert_eq!(
        check_field(Field::TargetPath, "/cfs/a\u{202E}b").unwrap_err(),
        "contains an invisible line separator or text-direction character (U+202E)"
    );
    assert!(check_field(Field::DataFlowName, "a\u{2028}").is_err());
}
