//! The chain over an injected environment, a temp HOME and a temp system file; the metadata
//! service and STS are the emulator on loopback, or a port where nothing listens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::emulator::{Emulator, EmulatorConfig, ROLE_NAME};

/// A temp dir with `home/` and a system file path, and the files a case writes.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/.tccli")).unwrap();
        std::fs::create_dir_all(dir.path().join("home/.tencentcloud")).unwrap();
        Sandbox { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn system_file(&self) -> PathBuf {
        self.dir.path().join("etc-credentials")
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A loopback URL where nothing listens: connections are refused at once.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/")
}

const PROD: &str = r#"{"secretId": "AKIDprofPROD", "secretKey": "prod-PLANTED"}"#;
const DEFAULT: &str = r#"{"secretId": "AKIDprofDEFAULT", "secretKey": "default-PLANTED"}"#;
const ARN: &str = "qcs::cam::uin/100000000001:roleName/migrate";

/// What a case expects: the kind of plan and a part of its description, or a part of the error.
#[derive(Debug)]
enum Want {
    Fixed(&'static str, &'static str),
    Role(&'static str, &'static str),
    Cvm(&'static str),
    Oidc,
    Error(&'static str),
}

struct Case {
    name: &'static str,
    profile: Option<&'static str>,
    files: &'static [(&'static str, &'static str)],
    vars: &'static [(&'static str, &'static str)],
    metadata_up: bool,
    want: Want,
}

async fn check(case: &Case, emu: &Emulator) {
    let sb = Sandbox::new();
    for (rel, text) in case.files {
        sb.write(rel, text);
    }
    let token_file = sb.write("oidc-token", "jwt-A");
    let mut vars: HashMap<String, String> = case
        .vars
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                v.replace("{dir}", &sb.dir.path().display().to_string()),
            )
        })
        .collect();
    let metadata = if case.metadata_up {
        format!("{}/latest/meta-data/", emu.url())
    } else {
        dead_url()
    };
    vars.insert("BULKFLOW_METADATA_URL".into(), metadata);
    vars.insert("BULKFLOW_STS_ENDPOINT".into(), emu.url());
    if vars.contains_key("TKE_REGION") {
        vars.insert(
            "TKE_WEB_IDENTITY_TOKEN_FILE".into(),
            token_file.display().to_string(),
        );
    }
    let env = move |k: &str| vars.get(k).cloned();
    let lookup = Lookup {
        env: &env,
        profile: case.profile.unwrap_or("default"),
        explicit: case.profile.is_some(),
        home: Some(sb.home()),
        system_file: sb.system_file(),
    };
    let name = case.name;
    let got = plan(&lookup).await;
    let shown = format!("{got:?}");
    assert!(!shown.contains("PLANTED"), "{name}: {shown}");
    match (&case.want, got) {
        (
            Want::Fixed(id, part),
            Ok(Plan::Fixed {
                credentials,
                description,
            }),
        ) => {
            assert_eq!(credentials.secret_id, *id, "{name}");
            assert!(description.contains(part), "{name}: {description}");
        }
        (
            Want::Role(id, part),
            Ok(Plan::AssumeRole {
                keys,
                role_arn,
                description,
                ..
            }),
        ) => {
            assert_eq!(
                (keys.secret_id.as_str(), role_arn.as_str()),
                (*id, ARN),
                "{name}"
            );
            assert!(description.contains(part), "{name}: {description}");
            assert!(description.contains("\"migrate\""), "{name}: {description}");
        }
        (
            Want::Cvm(part),
            Ok(Plan::CvmRole {
                role, description, ..
            }),
        ) => {
            assert_eq!(role, ROLE_NAME, "{name}");
            assert!(description.contains(part), "{name}: {description}");
        }
        (Want::Oidc, Ok(Plan::WebIdentity { role_arn, .. })) => assert_eq!(role_arn, ARN),
        (Want::Error(part), Err(e)) => {
            let msg = e.to_string();
            assert!(msg.contains(part), "{name}: {msg}");
            assert!(!msg.contains("PLANTED"), "{name}: {msg}");
        }
        (want, got) => panic!("{name}: wanted {want:?}, got {got:?}"),
    }
}

const ENV_KEYS: &[(&str, &str)] = &[
    ("TENCENTCLOUD_SECRET_ID", "AKIDenvKEYS"),
    ("TENCENTCLOUD_SECRET_KEY", "env-PLANTED"),
];

#[tokio::test]
async fn each_place_of_the_chain_in_its_turn() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    const INI: &str = "[other]\nsecret_id = AKIDiniOTHER\nsecret_key = o-PLANTED\n[default]\nsecret_id = AKIDiniHOME\nsecret_key = home-PLANTED ; a comment\n";
    let cases = [
        Case { name: "a named profile wins over the environment", profile: Some("prod"),
            files: &[("home/.tccli/prod.credential", PROD)], vars: ENV_KEYS, metadata_up: true,
            want: Want::Fixed("AKIDprofPROD", "tccli profile \"prod\" (~/.tccli/prod.credential)") },
        Case { name: "a named profile that is missing does not fall through", profile: Some("prod"),
            files: &[("home/.tccli/default.credential", DEFAULT)], vars: ENV_KEYS, metadata_up: true,
            want: Want::Error("only place looked at") },
        Case { name: "a named profile without keys does not fall through", profile: Some("prod"),
            files: &[("home/.tccli/prod.credential", "{}")], vars: ENV_KEYS, metadata_up: true,
            want: Want::Error("neither keys nor a role") },
        Case { name: "a cvm-role profile", profile: Some("prod"),
            files: &[("home/.tccli/prod.credential", r#"{"type": "cvm-role"}"#)], vars: ENV_KEYS,
            metadata_up: true, want: Want::Cvm("tccli profile \"prod\"") },
        Case { name: "a cvm-role profile off a CVM", profile: Some("prod"),
            files: &[("home/.tccli/prod.credential", r#"{"type": "cvm-role"}"#)], vars: ENV_KEYS,
            metadata_up: false, want: Want::Error("cvm-role") },
        Case { name: "a role-arn profile", profile: Some("prod"),
            files: &[("home/.tccli/prod.credential", r#"{"secretId": "AKIDprofROLE", "secretKey": "r-PLANTED", "role-arn": "qcs::cam::uin/100000000001:roleName/migrate", "role-session-name": "s"}"#)],
            vars: &[], metadata_up: false, want: Want::Role("AKIDprofROLE", "assumed with its keys") },
        Case { name: "the environment before the default profile", profile: None,
            files: &[("home/.tccli/default.credential", DEFAULT)], vars: ENV_KEYS, metadata_up: true,
            want: Want::Fixed("AKIDenvKEYS", "environment (AKID***)") },
        Case { name: "the environment with a token", profile: None, files: &[],
            vars: &[("TENCENTCLOUD_SECRET_ID", "AKIDenvKEYS"), ("TENCENTCLOUD_SECRET_KEY", "env-PLANTED"), ("TENCENTCLOUD_TOKEN", "tok-PLANTED")],
            metadata_up: true, want: Want::Fixed("AKIDenvKEYS", "not refreshed") },
        Case { name: "the environment assuming a role", profile: None, files: &[],
            vars: &[("TENCENTCLOUD_SECRET_ID", "AKIDenvKEYS"), ("TENCENTCLOUD_SECRET_KEY", "env-PLANTED"), ("TENCENTCLOUD_ROLE_ARN", ARN)],
            metadata_up: true, want: Want::Role("AKIDenvKEYS", "environment (AKID***)") },
        Case { name: "a role without keys", profile: None, files: &[("home/.tccli/default.credential", DEFAULT)],
            vars: &[("TENCENTCLOUD_ROLE_ARN", ARN)], metadata_up: true, want: Want::Error("TENCENTCLOUD_ROLE_ARN is set") },
        Case { name: "half the keys", profile: None, files: &[("home/.tccli/default.credential", DEFAULT)],
            vars: &[("TENCENTCLOUD_SECRET_ID", "AKIDenvKEYS")], metadata_up: true, want: Want::Error("TENCENTCLOUD_SECRET_KEY") },
        Case { name: "the default profile", profile: None,
            files: &[("home/.tccli/default.credential", DEFAULT), ("home/.tencentcloud/credentials", "[default]\nsecret_id = AKIDiniHOME\nsecret_key = x-PLANTED\n")],
            vars: &[], metadata_up: true, want: Want::Fixed("AKIDprofDEFAULT", "tccli profile \"default\"") },
        Case { name: "an empty default profile falls through to the SDK file", profile: None,
            files: &[("home/.tccli/default.credential", r#"{"secretId": "", "secretKey": ""}"#), ("home/.tencentcloud/credentials", INI)],
            vars: &[], metadata_up: true, want: Want::Fixed("AKIDiniHOME", "credentials file ~/.tencentcloud/credentials") },
        Case { name: "TENCENTCLOUD_CREDENTIALS_FILE first", profile: None,
            files: &[("home/.tencentcloud/credentials", INI), ("mine.ini", "[default]\nsecret_id=AKIDiniMINE\nsecret_key=m-PLANTED\n")],
            vars: &[("TENCENTCLOUD_CREDENTIALS_FILE", "{dir}/mine.ini")], metadata_up: true, want: Want::Fixed("AKIDiniMINE", "mine.ini") },
        Case { name: "the system file, with a role", profile: None,
            files: &[("etc-credentials", "# machine-wide\n[default]\nsecret_id = AKIDiniETC\nsecret_key = e-PLANTED\nrole_arn = qcs::cam::uin/100000000001:roleName/migrate\n")],
            vars: &[], metadata_up: true, want: Want::Role("AKIDiniETC", "etc-credentials") },
        Case { name: "a broken SDK file is an error", profile: None,
            files: &[("home/.tencentcloud/credentials", "[default]\nsecret_id = AKIDiniHOME\n")],
            vars: &[], metadata_up: true, want: Want::Error("no secret_key") },
        Case { name: "the CVM role", profile: None, files: &[], vars: &[], metadata_up: true,
            want: Want::Cvm("CVM role \"bulkflow-emulator-role\" (temporary, refreshed)") },
        Case { name: "TKE OIDC after the CVM role", profile: None, files: &[],
            vars: &[("TKE_REGION", "ap-guangzhou"), ("TKE_PROVIDER_ID", "p"), ("TKE_ROLE_ARN", ARN)],
            metadata_up: false, want: Want::Oidc },
        Case { name: "TKE OIDC half set", profile: None, files: &[],
            vars: &[("TKE_REGION", "ap-guangzhou")], metadata_up: false, want: Want::Error("TKE_PROVIDER_ID") },
    ];
    for case in &cases {
        check(case, &emu).await;
    }
}

#[tokio::test]
async fn nothing_found_names_every_place_looked_at() {
    let sb = Sandbox::new();
    let dead = dead_url();
    let env = move |k: &str| (k == "BULKFLOW_METADATA_URL").then(|| dead.clone());
    let lookup = Lookup {
        env: &env,
        profile: "default",
        explicit: false,
        home: Some(sb.home()),
        system_file: sb.system_file(),
    };
    let e = plan(&lookup).await.unwrap_err();
    assert!(!e.is_service_failure());
    let msg = e.to_string();
    for place in [
        "TENCENTCLOUD_SECRET_ID",
        "~/.tccli/default.credential",
        "TENCENTCLOUD_CREDENTIALS_FILE",
        "~/.tencentcloud/credentials",
        "etc-credentials",
        "metadata service",
        "TKE_WEB_IDENTITY_TOKEN_FILE",
    ] {
        assert!(msg.contains(place), "{place}: {msg}");
    }
}

/// Asks the emulator's STS, through the whole provider, with the token file rewritten between
/// refreshes.
#[tokio::test]
async fn oidc_reads_the_token_file_at_every_refresh() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let sb = Sandbox::new();
    let token_file = sb.write("token", "jwt-first\n");
    let vars: HashMap<&str, String> = [
        ("BULKFLOW_METADATA_URL", dead_url()),
        ("BULKFLOW_STS_ENDPOINT", emu.url()),
        ("TKE_REGION", "ap-guangzhou".into()),
        ("TKE_PROVIDER_ID", "provider".into()),
        (
            "TKE_WEB_IDENTITY_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("TKE_ROLE_ARN", ARN.into()),
    ]
    .into();
    let env = move |k: &str| vars.get(k).cloned();
    let lookup = Lookup {
        env: &env,
        profile: "default",
        explicit: false,
        home: Some(sb.home()),
        system_file: sb.system_file(),
    };
    let p = discover(&lookup).await.unwrap();
    assert!(p.refreshes_itself());
    assert_eq!(
        p.description(),
        "TKE OIDC role \"migrate\" (temporary, refreshed)"
    );
    let first = p.current().await.unwrap();
    assert!(first.credentials.secret_id.starts_with("AKIDtmp"));
    write(&token_file, "jwt-second");
    p.rejected(first.generation).await.unwrap();
    assert_eq!(emu.web_identity_tokens(), ["jwt-first", "jwt-second"]);
    assert_ne!(
        p.current().await.unwrap().credentials.secret_id,
        first.credentials.secret_id
    );
    assert_eq!(p.refreshes(), 1);
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn sts_refusing_the_keys_is_a_service_failure() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let sb = Sandbox::new();
    let vars: HashMap<&str, String> = [
        ("BULKFLOW_STS_ENDPOINT", emu.url()),
        ("TENCENTCLOUD_SECRET_ID", "AKIDnotTheEmulators".into()),
        ("TENCENTCLOUD_SECRET_KEY", "wrong-PLANTED".into()),
        ("TENCENTCLOUD_ROLE_ARN", ARN.into()),
    ]
    .into();
    let env = move |k: &str| vars.get(k).cloned();
    let lookup = Lookup {
        env: &env,
        profile: "default",
        explicit: false,
        home: Some(sb.home()),
        system_file: sb.system_file(),
    };
    let e = discover(&lookup).await.unwrap_err();
    assert!(e.is_service_failure(), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("AuthFailure.SecretIdNotFound"), "{msg}");
    assert!(
        !msg.contains("PLANTED") && !msg.contains("AKIDnotThe"),
        "{msg}"
    );
}
