//! Common headers and the signature check.

use serde_json::json;

use super::client::*;
use crate::emulator::EmulatorConfig;
use crate::secret::Secret;

#[test]
fn every_auth_failure() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let base = || create("cfs-1", "/cfs/a");
    let mut cases: Vec<(Call, &str)> = Vec::new();
    let mut wrong_key = base();
    wrong_key.secret_key = "not-the-key".into();
    cases.push((wrong_key, "AuthFailure.SignatureFailure"));
    let mut wrong_service = base();
    wrong_service.service = "cvm".into();
    cases.push((wrong_service, "AuthFailure.SignatureFailure"));
    let mut late = base();
    late.timestamp -= 360;
    cases.push((late, "AuthFailure.SignatureExpire"));
    let mut early = base();
    early.timestamp += 360;
    cases.push((early, "AuthFailure.SignatureExpire"));
    let mut unknown_id = base();
    unknown_id.secret_id = "AKIDsomeoneelse".into();
    cases.push((unknown_id, "AuthFailure.SecretIdNotFound"));
    for bad in [
        "",
        "Basic dXNlcjpwYXNz",
        "TC3-HMAC-SHA256 Credential=AKIDbulkflowEMULATOR/2024-01-01/cfs, SignedHeaders=host, Signature=00",
        "TC3-HMAC-SHA256 Signature=00",
    ] {
        let mut malformed = base();
        malformed.authorization = Some(bad.into());
        cases.push((malformed, "AuthFailure.InvalidAuthorization"));
    }
    let mut wrong_date = base();
    let other_day = crate::api::sign::utc_date(wrong_date.timestamp - 86_400);
    wrong_date.authorization = Some(format!(
        "TC3-HMAC-SHA256 Credential=AKIDbulkflowEMULATOR/{other_day}/cfs/tc3_request, SignedHeaders=content-type;host, Signature=00"
    ));
    cases.push((wrong_date, "AuthFailure.SignatureFailure"));
    let mut missing_signed = base();
    let date = crate::api::sign::utc_date(missing_signed.timestamp);
    missing_signed.authorization = Some(format!(
        "TC3-HMAC-SHA256 Credential=AKIDbulkflowEMULATOR/{date}/cfs/tc3_request, SignedHeaders=content-type;host;x-custom, Signature=00"
    ));
    cases.push((missing_signed, "AuthFailure.SignatureFailure"));
    let mut tampered = base();
    tampered.body = serde_json::to_vec(&create_body("cfs-1", "/cfs/b")).unwrap();
    tampered.authorization = Some(
        String::from_utf8_lossy(&base().bytes(&emu.addr().to_string()))
            .lines()
            .find_map(|l| l.strip_prefix("Authorization: ").map(str::to_owned))
            .unwrap(),
    );
    cases.push((tampered, "AuthFailure.SignatureFailure"));

    for (call, want) in &cases {
        let r = c.call(call);
        assert_eq!(code(&r), *want, "{:?}", call.authorization);
        assert!(!r["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("bulkflow-emulator-secret-key"));
    }
    let n = emu.counters();
    assert_eq!(n.auth_failures, cases.len() as u64);
    assert_eq!((n.created, n.rejected), (0, 0));
    assert!(emu.flows().is_empty());
}

#[test]
fn more_signed_headers_and_skew_within_limits_are_accepted() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let mut more = create("cfs-1", "/cfs/a");
    more.sign_action_too = true;
    assert_eq!(code(&c.call(&more)), "");
    let mut skewed = create("cfs-1", "/cfs/b");
    skewed.timestamp -= 240;
    assert_eq!(code(&c.call(&skewed)), "");
    assert_eq!(emu.counters().created, 2);
}

#[test]
fn common_header_errors() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let mut no_action = describe(json!({}));
    no_action.action = "DescribeDataFlows".into();
    assert_eq!(code(&c.call(&no_action)), "InvalidAction");
    let mut version = describe(json!({}));
    version.version = "2017-03-12".into();
    assert_eq!(code(&c.call(&version)), "NoSuchVersion");
    let mut region = describe(json!({}));
    region.region = None;
    assert_eq!(code(&c.call(&region)), "InvalidParameter");
    let mut blank_region = describe(json!({}));
    blank_region.region = Some(" ".into());
    assert_eq!(code(&c.call(&blank_region)), "InvalidParameter");
    assert_eq!(emu.counters().rejected, 4);
    assert_eq!(emu.counters().describe_calls, 3);
}

#[test]
fn token_must_match_when_configured() {
    let emu = start(EmulatorConfig {
        token: Some(Secret::new("session-token")),
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    let none = describe(json!({}));
    assert_eq!(code(&c.call(&none)), "AuthFailure.TokenFailure");
    let mut wrong = describe(json!({}));
    wrong
        .extra_headers
        .push(("X-TC-Token".into(), "other".into()));
    assert_eq!(code(&c.call(&wrong)), "AuthFailure.TokenFailure");
    let mut right = describe(json!({}));
    right
        .extra_headers
        .push(("X-TC-Token".into(), "session-token".into()));
    assert_eq!(code(&c.call(&right)), "");
}
