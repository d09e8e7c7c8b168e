//! Credential values that cannot be sent (a CR from a CRLF file, a space, a control character)
//! are refused where they are loaded, naming the variable, the file or the service; and the
//! conventions of Tencent Cloud's other tools: the token variables of Terraform and the Node
//! SDK, quoted INI values.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use super::*;

/// A temp HOME (with `.tccli/` and `.tencentcloud/`) and a lookup over `vars` in it.
struct Place {
    dir: tempfile::TempDir,
    vars: HashMap<String, String>,
}

impl Place {
    fn new(vars: &[(&str, &str)]) -> Place {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home/.tccli", "home/.tencentcloud"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        vars.entry("BULKFLOW_METADATA_URL".into())
            .or_insert_with(|| "http://127.0.0.1:9/latest/meta-data/".into());
        Place { dir, vars }
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.path().join("home").join(rel), text).unwrap();
    }

    async fn plan(&self, profile: Option<&str>) -> Result<Plan, CredentialsError> {
        let env = |k: &str| self.vars.get(k).cloned();
        let lookup = Lookup {
            env: &env,
            profile: profile.unwrap_or("default"),
            explicit: profile.is_some(),
            home: Some(self.dir.path().join("home")),
            system_file: PathBuf::from("/nonexistent/bulkflow-test"),
        };
        plan(&lookup).await
    }

    async fn provider(&self) -> Result<CredentialProvider, CredentialsError> {
        self.plan(None).await?.provider().await
    }
}

/// An error of the configuration (exit 2) whose message holds every one of `parts`.
#[track_caller]
fn config_error(r: Result<Plan, CredentialsError>, parts: &[&str]) {
    let e = r.expect_err("an error");
    assert!(!e.is_service_failure(), "{e}");
    let msg = e.to_string();
    for part in parts {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    assert!(!msg.contains("PLANTED"), "{msg}");
}

#[tokio::test]
async fn a_value_from_the_environment_that_cannot_be_sent_names_its_variable() {
    let keys = [
        ("TENCENTCLOUD_SECRET_ID", "AKIDenvCR"),
        ("TENCENTCLOUD_SECRET_KEY", "key-PLANTED"),
    ];
    for var in [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_TOKEN",
        "TENCENTCLOUD_SECURITY_TOKEN",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_ROLE_ARN",
    ] {
        let crlf = "value-PLANTED\r";
        let mut vars: Vec<(&str, &str)> = keys.to_vec();
        vars.retain(|(k, _)| *k != var);
        vars.push((var, crlf));
        config_error(
            Place::new(&vars).plan(None).await,
            &[var, "ends with a carriage return"],
        );
    }
    for (bad, says) in [
        ("AKID\nx", "line break"),
        ("AKID\u{1}x", "control character"),
        ("AKID x", "space"),
        ("AKIDé", "outside ASCII"),
    ] {
        let vars = [
            ("TENCENTCLOUD_SECRET_ID", bad),
            ("TENCENTCLOUD_SECRET_KEY", "key-PLANTED"),
        ];
        config_error(
            Place::new(&vars).plan(None).await,
            &["TENCENTCLOUD_SECRET_ID", says],
        );
    }
}

#[tokio::test]
async fn a_value_from_a_file_that_cannot_be_sent_names_the_file() {
    let p = Place::new(&[]);
    p.write(
        ".tccli/default.credential",
        r#"{"secretId": "AKIDprof", "secretKey": "key PLANTED"}"#,
    );
    config_error(
        p.plan(None).await,
        &["~/.tccli/default.credential", "secretKey holds a space"],
    );
    let p = Place::new(&[]);
    p.write(
        ".tencentcloud/credentials",
        "[default]\r\nsecret_id = AKIDini\r\nsecret_key = \"k\u{1}PLANTED\"\r\n",
    );
    config_error(
        p.plan(None).await,
        &[
            "~/.tencentcloud/credentials",
            "line 3: secret_key holds a control character",
        ],
    );
}

#[tokio::test]
async fn the_token_variables_of_terraform_and_the_node_sdk_are_read_in_order() {
    let keys = [
        ("TENCENTCLOUD_SECRET_ID", "AKIDenvTOKEN"),
        ("TENCENTCLOUD_SECRET_KEY", "key-PLANTED"),
    ];
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Vars<'_>, &str, &str); 4] = [
        (
            &[("TENCENTCLOUD_TOKEN", "t1-PLANTED")],
            "t1-PLANTED",
            "TENCENTCLOUD_TOKEN",
        ),
        (
            &[("TENCENTCLOUD_SECURITY_TOKEN", "t2-PLANTED")],
            "t2-PLANTED",
            "TENCENTCLOUD_SECURITY_TOKEN",
        ),
        (
            &[("TENCENTCLOUD_SESSION_TOKEN", "t3-PLANTED")],
            "t3-PLANTED",
            "TENCENTCLOUD_SESSION_TOKEN",
        ),
        (
            &[
                ("TENCENTCLOUD_SESSION_TOKEN", "t3-PLANTED"),
                ("TENCENTCLOUD_SECURITY_TOKEN", "t2-PLANTED"),
            ],
            "t2-PLANTED",
            "TENCENTCLOUD_SECURITY_TOKEN",
        ),
    ];
    for (tokens, want, var) in cases {
        let vars = [&keys[..], tokens].concat();
        let Ok(Plan::Fixed {
            credentials,
            description,
        }) = Place::new(&vars).plan(None).await
        else {
            panic!("{var}: no fixed keys");
        };
        assert_eq!(credentials.token.as_ref().map(Secret::expose), Some(want));
        assert_eq!(
            description,
            format!(
                "environment (AKID***, with the session token of {var}: temporary, not refreshed)"
            )
        );
    }
}

#[tokio::test]
async fn quoted_ini_values_are_unquoted_as_the_go_sdk_reads_them() {
    let p = Place::new(&[]);
    p.write(
        ".tencentcloud/credentials",
        "[default]\nsecret_id = \"AKIDquoted\"   # the id\nsecret_key='k#ey;PLANTED' ; the key\nrole_arn = \"qcs::cam::uin/1:roleName/x\"\n",
    );
    let Ok(Plan::AssumeRole { keys, role_arn, .. }) = p.plan(None).await else {
        panic!("no role");
    };
    assert_eq!(keys.secret_id, "AKIDquoted");
    assert_eq!(keys.secret_key.expose(), "k#ey;PLANTED");
    assert_eq!(role_arn, "qcs::cam::uin/1:roleName/x");
    for (line, want) in [
        ("\"a\"", "a"),
        ("'a'", "a"),
        ("\"a", "\"a"),
        ("a\"", "a\""),
        ("\"a\" b", "\"a\" b"),
        ("a ; c", "a"),
        ("  \"\"  ", ""),
    ] {
        assert_eq!(super::files::ini_value(line), want, "{line}");
    }
}

/// A server on loopback that answers every request with `status` and `body` (the metadata
/// service, STS), on its own thread, for as long as the test runs.
fn serve(answer: impl Fn(&str) -> String + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = request.split(' ').nth(1).unwrap_or("").to_owned();
            let body = answer(&path);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// A service failure (exit 3) whose message holds every one of `parts`.
#[track_caller]
fn service_error(r: Result<CredentialProvider, CredentialsError>, parts: &[&str]) {
    let e = r.expect_err("an error");
    assert!(e.is_service_failure(), "{e}");
    let msg = e.to_string();
    for part in parts {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    assert!(!msg.contains("PLANTED"), "{msg}");
}

#[tokio::test]
async fn a_value_from_a_service_that_cannot_be_sent_is_a_service_failure() {
    let expires = crate::store::now_ms() / 1000 + 7200;
    let url = serve(move |path| {
        if path.ends_with("/security-credentials/") {
            "migrate".to_owned()
        } else {
            format!(
                r#"{{"TmpSecretId":"AKIDtmp\r","TmpSecretKey":"k-PLANTED","Token":"t-PLANTED","ExpiredTime":{expires},"Code":"Success"}}"#
            )
        }
    });
    let p = Place::new(&[("BULKFLOW_METADATA_URL", &format!("{url}/latest/meta-data/"))]);
    service_error(
        p.provider().await,
        &[
            "metadata service",
            "TmpSecretId ends with a carriage return",
        ],
    );

    let url = serve(move |_| {
        format!(
            r#"{{"Response":{{"Credentials":{{"TmpSecretId":"AKIDsts","TmpSecretKey":"tmpSecretValue","Token":"tokenValue\r"}},"ExpiredTime":{expires},"RequestId":"r"}}}}"#
        )
    });
    let p = Place::new(&[
        ("TENCENTCLOUD_SECRET_ID", "AKIDlong"),
        ("TENCENTCLOUD_SECRET_KEY", "long-PLANTED"),
        ("TENCENTCLOUD_ROLE_ARN", "qcs::cam::uin/1:roleName/x"),
        ("BULKFLOW_STS_ENDPOINT", &url),
    ]);
    service_error(
        p.provider().await,
        &["STS AssumeRole", "Token ends with a carriage return"],
    );
}
