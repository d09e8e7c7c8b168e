//! No problem text, error or row `Debug` may ever hold a secret value.

use super::super::{read, ManifestError, ManifestOptions};
use super::*;

const PLANTED: &str = "PLANTED-SECRET-xyz";

/// Every text the module can show for `m`: problems (Display and Debug), the error, rows' Debug.
fn all_text(m: &Manifest, opts: &ManifestOptions) -> String {
    let mut out = String::new();
    match validate(&m.path, opts) {
        Err(e @ ManifestError::Invalid { .. }) => {
            out.push_str(&format!("{e}\n{e:?}\n"));
            if let ManifestError::Invalid { problems, .. } = &e {
                for p in problems {
                    out.push_str(&format!("{p}\n"));
                }
            }
        }
        Err(e) => out.push_str(&format!("{e}\n{e:?}\n")),
        Ok(plan) => out.push_str(&format!("{plan:?}\n")),
    }
    match read(&m.path, opts) {
        Ok(reader) => {
            for item in reader {
                match item {
                    Ok(row) => out.push_str(&format!("{row:?}\n")),
                    Err(p) => out.push_str(&format!("{p}\n{p:?}\n")),
                }
            }
        }
        Err(e) => out.push_str(&format!("{e}\n{e:?}\n")),
    }
    out
}

fn assert_clean(m: &Manifest, opts: &ManifestOptions, expect_problems: usize) {
    let text = all_text(m, opts);
    assert!(!text.contains("PLANTED"), "a secret leaked:\n{text}");
    assert!(
        text.matches(".csv:").count() + text.matches(".jsonl:").count() >= expect_problems,
        "{text}"
    );
}

#[test]
fn csv_rows_with_other_errors_never_show_the_secret() {
    let header = format!("{HEADER},Password,UserName");
    let rows = [
        // Valid, with secrets everywhere: its Debug must hide them.
        format!("cfs-1,S3_COS,https://b,/s,/cfs/1,{PLANTED},{PLANTED},n,ap-guangzhou,{PLANTED},u"),
        // Other errors in the same row.
        format!("cfs-1,S3_BAD,https://b,/s,/tmp/2,{PLANTED},{PLANTED},bad name,ap-guangzhou,{PLANTED},u"),
        // Ragged, the secret in it.
        format!("cfs-1,S3_COS,{PLANTED},{PLANTED}"),
        // Control characters, length and encoding problems inside secrets.
        format!("cfs-1,S3_COS,https://b,/s,/cfs/4,\"{PLANTED}\n\",{PLANTED}\u{7},n,ap-guangzhou,{PLANTED}\t,u"),
        format!("cfs-1,S3_COS,https://b,/s,/cfs/5,id,{PLANTED}{},n,ap-guangzhou,,u", "x".repeat(5000)),
        format!("cfs-1,S3_COS,https://b,/s,/cfs/6,id,{PLANTED}\u{fffd},n,ap-guangzhou,,u"),
        // A duplicate with the secret.
        format!("cfs-1,S3_COS,https://b,/s,/cfs/1/,{PLANTED},{PLANTED},n,ap-guangzhou,,u"),
    ];
    let mut bytes = format!("{header}\n{}\n", rows.join("\n")).into_bytes();
    // Make the U+FFFD in row 6 an invalid byte instead.
    let at = bytes
        .windows(3)
        .position(|w| w == "\u{fffd}".as_bytes())
        .unwrap();
    bytes.splice(at..at + 3, [0xFF]);
    // And a quoted field left open at the end, holding the secret.
    bytes.extend_from_slice(format!("cfs-1,S3_COS,\"{PLANTED}\n{PLANTED}\n").as_bytes());
    let m = write("m.csv", bytes);
    assert_clean(&m, &opts(), 9);
}

#[test]
fn a_header_line_of_secrets_is_not_quoted() {
    let m = write("m.csv", format!("cfs-1,{PLANTED},{PLANTED}\n"));
    assert_clean(&m, &opts(), 1);
}

#[test]
fn jsonl_type_errors_on_secret_fields_never_show_the_secret() {
    let base = json_row(1);
    let with_key =
        |v: &str| base.replace(r#""SecretKey":"keytest""#, &format!(r#""SecretKey":{v}"#));
    let lines = [
        with_key(&format!(r#"["{PLANTED}"]"#)),
        with_key(&format!(r#"{{"v":"{PLANTED}"}}"#)),
        with_key(&format!(r#""{PLANTED}","SecretKey":"{PLANTED}""#)),
        with_key(&format!(r#""{PLANTED}\u0000""#)),
        with_key(&format!(r#""{PLANTED}" "#)).replace('}', ""),
        with_key(&format!(r#""{PLANTED}" oops"#)),
        with_key(&format!(r#""{PLANTED}""#))
            .replace("S3_COS", "S3_BAD")
            .replace("/cfs/t1", "/x"),
        format!(r#""{PLANTED}""#),
        with_key(&format!(r#""{PLANTED}""#)),
        with_key(&format!(r#""{PLANTED}""#)).replace("/cfs/t1", "/cfs/t1/"),
    ];
    let m = write("m.jsonl", lines.join("\n"));
    let text = all_text(&m, &opts());
    assert!(!text.contains("PLANTED"), "a secret leaked:\n{text}");
    assert!(text.contains("m.jsonl:1: SecretKey: expected a string or a number, found an array"));
}

#[test]
fn values_from_the_environment_never_show() {
    let opts = ManifestOptions::with_env(None, |name| {
        (name == "K").then(|| format!("{PLANTED}\u{1}"))
    });
    let text = format!(
        "{HEADER},Password\ncfs-1,S3_BAD,https://b,/s,/cfs/1,${{K}},${{K}},n,ap-guangzhou,${{MISSING}}\n"
    );
    let m = write("m.csv", text);
    assert_clean(&m, &opts, 3);
}

#[test]
fn a_first_row_joined_to_the_header_does_not_show_its_secret() {
    // The header lost its line end: the first row's values read as column names.
    let text = format!(
        "{HEADER}{}\n{}\n",
        csv_row(1).replace("keytest", PLANTED),
        csv_row(2)
    );
    let m = write("m.csv", text);
    assert_clean(&m, &opts(), 1);
    let got = problems(&m);
    assert!(
        got.contains(
            &"m.csv:1: header: unknown field name in column 15 (not shown, as it may be data)"
                .to_owned()
        ),
        "{got:#?}"
    );
}
