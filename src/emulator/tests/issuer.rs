//! The emulator as the metadata service and STS: temporary credentials that sign CFS calls
//! until they expire, then `AuthFailure.TokenFailure`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

use super::client::*;
use crate::emulator::{Emulator, EmulatorConfig, ROLE_NAME};

/// A GET with `Connection: close`: status and body.
fn get(emu: &Emulator, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(n) = resp.parse(&raw).unwrap() else {
        panic!("incomplete answer")
    };
    (resp.code.unwrap(), raw[n..].to_vec())
}

/// Temporary credentials from the emulator's metadata service: (id, key, token, ExpiredTime).
fn from_metadata(emu: &Emulator) -> (String, String, String, i64) {
    let (status, body) = get(emu, "/latest/meta-data/cam/security-credentials/");
    assert_eq!((status, body.as_slice()), (200, ROLE_NAME.as_bytes()));
    let (status, body) = get(
        emu,
        &format!("/latest/meta-data/cam/security-credentials/{ROLE_NAME}"),
    );
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["Code"], "Success", "{v}");
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    (
        s("TmpSecretId"),
        s("TmpSecretKey"),
        s("Token"),
        v["ExpiredTime"].as_i64().unwrap(),
    )
}

/// A DescribeDataFlow signed with `(id, key)` and carrying `token`.
fn describe_with(id: &str, key: &str, token: &str) -> Call {
    let mut call = Call::new("DescribeDataFlow", json!({}));
    call.secret_id = id.to_owned();
    call.secret_key = key.to_owned();
    call.extra_headers
        .push(("X-TC-Token".to_owned(), token.to_owned()));
    call
}

#[test]
fn metadata_credentials_sign_calls_until_they_expire() {
    let emu = start(EmulatorConfig {
        token_ttl: Duration::from_secs(600),
        ..unlimited()
    });
    let (id, key, token, expires) = from_metadata(&emu);
    assert!((expires - now() - 600).abs() <= 2, "{expires}");
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&describe_with(&id, &key, &token))), "");
    assert_eq!(
        code(&c.call(&describe_with(&id, &key, "tok-wrong"))),
        "AuthFailure.TokenFailure"
    );
    assert_eq!(
        code(&c.call(&describe_with(&id, "wrong-key", &token))),
        "AuthFailure.SignatureFailure"
    );
    assert_eq!(emu.issued_credentials(), 1);
    assert_eq!(
        get(&emu, "/latest/meta-data/cam/security-credentials/other").0,
        404
    );
    assert_eq!(get(&emu, "/latest/meta-data/").0, 404);

    // Credentials that lived one millisecond are refused once that has passed.
    let short = start(EmulatorConfig {
        token_ttl: Duration::from_millis(1),
        ..unlimited()
    });
    let (id, key, token, _) = from_metadata(&short);
    std::thread::sleep(Duration::from_millis(20));
    let mut c = Client::connect(&short);
    let r = c.call(&describe_with(&id, &key, &token));
    assert_eq!(code(&r), "AuthFailure.TokenFailure", "{r}");
    assert_eq!(short.counters().auth_failures, 1);
}

fn sts_call(action: &str, body: Value) -> Call {
    let mut call = Call::new(action, body);
    call.service = "sts".to_owned();
    call.version = "2018-08-13".to_owned();
    call
}

#[test]
fn sts_assume_role_is_signed_and_web_identity_is_not() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let params = json!({"RoleArn": "qcs::cam::uin/1:roleName/migrate", "RoleSessionName": "s1", "DurationSeconds": 7200});
    let r = c.call(&sts_call("AssumeRole", params.clone()));
    assert_eq!(code(&r), "", "{r}");
    let creds = &r["Credentials"];
    let (id, key, token) = (
        creds["TmpSecretId"].as_str().unwrap(),
        creds["TmpSecretKey"].as_str().unwrap(),
        creds["Token"].as_str().unwrap(),
    );
    assert!(r["ExpiredTime"].as_i64().unwrap() > now() + 7000, "{r}");
    assert_eq!(code(&c.call(&describe_with(id, key, token))), "");

    let mut wrong = sts_call("AssumeRole", params.clone());
    wrong.secret_key = "not-the-key".into();
    assert_eq!(code(&c.call(&wrong)), "AuthFailure.SignatureFailure");
    let mut cfs_scope = sts_call("AssumeRole", params);
    cfs_scope.service = "cfs".into();
    assert_eq!(code(&c.call(&cfs_scope)), "AuthFailure.SignatureFailure");
    let r = c.call(&sts_call("AssumeRole", json!({"RoleSessionName": "s"})));
    assert_eq!(code(&r), "MissingParameter");

    let mut oidc = sts_call(
        "AssumeRoleWithWebIdentity",
        json!({"ProviderId": "p", "WebIdentityToken": "jwt-1", "RoleArn": "r", "RoleSessionName": "s"}),
    );
    oidc.authorization = Some("SKIP".into());
    let r = c.call(&oidc);
    assert_eq!(code(&r), "", "{r}");
    assert!(r["Credentials"]["Token"].as_str().is_some());
    assert_eq!(emu.web_identity_tokens(), vec!["jwt-1".to_owned()]);
    assert_eq!(emu.issued_credentials(), 2);
}
