use super::*;
use crate::api::untrusted::WITHHELD;
use crate::secret::Secret;
use OutcomeClass::{Fatal, Throttled, Unknown};

const JSON: Option<&str> = Some("application/json");
const API_ID: &str = "AKIDplantedApiSecretId0123";

fn read(status: u16, content_type: Option<&str>, body: &str) -> Result<(Value, String), CallError> {
    let key = Secret::new("PLANTED-KEY");
    let secrets = [&key];
    interpret(
        status,
        content_type,
        body.as_bytes(),
        &Scrubber::new(&secrets, API_ID),
    )
}

#[test]
fn interpret_classifies_odd_answers() {
    let cases: &[(u16, Option<&str>, &str, OutcomeClass, &str)] = &[
        (200, JSON, "", Unknown, codes::MALFORMED),
        (200, None, "", Unknown, codes::MALFORMED),
        (200, JSON, "{\"Response\":", Unknown, codes::MALFORMED),
        (200, JSON, "  [1,", Unknown, codes::MALFORMED),
        (200, JSON, "{\"Response\": 5}", Unknown, codes::MALFORMED),
        (200, JSON, "garbage", Unknown, codes::MALFORMED),
        // A body cut off stays unknown whatever its Content-Type says.
        (
            200,
            Some("text/plain"),
            "{\"Resp",
            Unknown,
            codes::MALFORMED,
        ),
        (
            502,
            Some("text/html"),
            "<html>bad</html>",
            Unknown,
            codes::HTTP_STATUS,
        ),
        (503, JSON, "{}", Unknown, codes::HTTP_STATUS),
        (404, None, "not found", Fatal, codes::HTTP_STATUS),
        (302, None, "", Fatal, codes::HTTP_STATUS),
        (429, None, "", Throttled, codes::HTTP_STATUS),
        (
            429,
            JSON,
            r#"{"Response":{"RequestId":"r1"}}"#,
            Throttled,
            codes::HTTP_STATUS,
        ),
        (
            404,
            JSON,
            r#"{"Response":{"RequestId":"r1"}}"#,
            Fatal,
            codes::HTTP_STATUS,
        ),
        (
            503,
            JSON,
            r#"{"Response":{"RequestId":"r1"}}"#,
            Unknown,
            codes::HTTP_STATUS,
        ),
        (
            200,
            JSON,
            r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow"},"RequestId":"r1"}}"#,
            Throttled,
            "RequestLimitExceeded",
        ),
        (
            200,
            JSON,
            r#"{"Response":{"Error":{"Code":5},"RequestId":"r1"}}"#,
            Unknown,
            codes::MALFORMED,
        ),
    ];
    for (status, ct, body, class, code) in cases {
        let e = read(*status, *ct, body).unwrap_err();
        assert_eq!(
            (e.class, e.code.as_str()),
            (*class, *code),
            "{status} {ct:?} {body}"
        );
    }
}

#[test]
fn a_complete_200_that_is_not_the_api_is_a_wrong_endpoint() {
    let cases: &[(Option<&str>, &str, &str)] = &[
        (
            Some("text/html; charset=utf-8"),
            "<!doctype html><p>login</p>",
            "HTTP 200 with text/html,",
        ),
        (Some("TEXT/HTML"), "", "HTTP 200 with text/html,"),
        (
            None,
            "\u{feff}\n <html>",
            "HTTP 200 with a body that starts with <,",
        ),
        (JSON, "<html>", "HTTP 200 with a body that starts with <,"),
        (
            JSON,
            "{}",
            "HTTP 200 with JSON that has no Response object,",
        ),
        (
            JSON,
            r#"{"foo":1}"#,
            "HTTP 200 with JSON that has no Response object,",
        ),
        (
            None,
            "[1,2]",
            "HTTP 200 with JSON that has no Response object,",
        ),
        (Some("text/plain"), "hello", "HTTP 200 with text/plain,"),
        (Some("x/\u{1b}[2J"), "hello", "HTTP 200 with x/\\x1b[2j,"),
    ];
    for (ct, body, start) in cases {
        let e = read(200, *ct, body).unwrap_err();
        assert_eq!(
            (e.class, e.code.as_str()),
            (Fatal, codes::WRONG_ENDPOINT),
            "{ct:?} {body}"
        );
        assert!(e.message.starts_with(start), "{ct:?} {body}: {}", e.message);
        assert!(e.message.ends_with("is --endpoint right?"), "{}", e.message);
    }
    // The API's answer under an odd Content-Type is still the API's answer: it may have acted.
    let (resp, id) = read(
        200,
        Some("text/plain"),
        r#"{"Response":{"DataFlowId":"d","RequestId":"r"}}"#,
    )
    .expect("an answer");
    assert_eq!((resp["DataFlowId"].as_str(), id.as_str()), (Some("d"), "r"));
}

#[test]
fn server_messages_are_scrubbed() {
    let body = r#"{"Response":{"Error":{"Code":"InvalidParameterValue.InvalidDataFlowSourceInfo","Message":"key PLANTED-KEY is wrong"},"RequestId":"r"}}"#;
    let e = read(200, JSON, body).unwrap_err();
    assert_eq!(
        e.message,
        "the server's message for InvalidParameterValue.InvalidDataFlowSourceInfo is not kept: it quoted a secret sent with the call"
    );
    assert_eq!(e.class, OutcomeClass::Row);

    // The code is classified as it came, and shown only without the secret.
    let body = r#"{"Response":{"Error":{"Code":"AuthFailure.PLANTED-KEY","Message":"m"},"RequestId":"PLANTED-KEY"}}"#;
    let e = read(200, JSON, body).unwrap_err();
    assert_eq!((e.class, e.code.as_str()), (Fatal, WITHHELD));
    assert_eq!(e.request_id.as_deref(), Some(WITHHELD));

    // The body echoed JSON-escaped, escaped twice, upper-cased, or in part.
    for echo in [
        r#"{\"SecretKey\":\"PLANTED-KEY\"}"#,
        r#"{\\\"SecretKey\\\":\\\"PLANTED-KEY\\\"}"#,
        r#"{\"SECRETKEY\":\"PLANTED-KEY\"}"#,
        "key lanted-k",
    ] {
        let body = format!(
            r#"{{"Response":{{"Error":{{"Code":"InvalidParameter","Message":"{echo}"}},"RequestId":"r"}}}}"#
        );
        let e = read(200, JSON, &body).unwrap_err();
        assert!(
            e.message.ends_with("quoted a secret sent with the call"),
            "{echo}: {e}"
        );
    }
}

#[test]
fn the_api_secret_id_is_masked_and_line_breaks_escaped_everywhere() {
    let body = format!(
        r#"{{"Response":{{"Error":{{"Code":"AuthFailure.SecretIdNotFound\r\nX","Message":"id {API_ID} unknown\r\nERROR forged line\u2028\u001b[2J"}},"RequestId":"r\n1"}}}}"#
    );
    let e = read(200, JSON, &body).unwrap_err();
    assert_eq!(e.class, Fatal);
    assert_eq!(e.code, "AuthFailure.SecretIdNotFound\\r\\nX");
    assert_eq!(
        e.message,
        "id AKID*** unknown\\r\\nERROR forged line\\u{2028}\\x1b[2J"
    );
    assert_eq!(e.request_id.as_deref(), Some("r\\n1"));
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(API_ID) && !shown.contains('\n'), "{shown}");

    // A success is cleaned too: every string a listing holds is shown or stored later.
    let body = format!(
        r#"{{"Response":{{"TotalCount":1,"DataFlows":[{{"DataFlowName":"n\nm","SourcePath":"{API_ID}"}}],"RequestId":"r"}}}}"#
    );
    let (resp, _) = read(200, JSON, &body).expect("an answer");
    assert_eq!(resp["DataFlows"][0]["DataFlowName"], "n\\nm");
    assert_eq!(resp["DataFlows"][0]["SourcePath"], "AKID***");
}
