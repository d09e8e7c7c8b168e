//! TC3-HMAC-SHA256, the Tencent Cloud API 3.0 signature (`shared/api/README.md`).
//!
//! The client signs `content-type;host`; the emulator verifies any set of signed headers, as the
//! service does. Both go through the same functions here.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The algorithm name that starts every Authorization header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The headers bulkflow signs.
pub const SIGNED_HEADERS: &str = "content-type;host";

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex of the SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The three derived keys: `SecretDate`, `SecretService`, `SecretSigning`.
pub fn derive_keys(secret_key: &str, date: &str, service: &str) -> [[u8; 32]; 3] {
    let secret_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac(&secret_date, service.as_bytes());
    let secret_signing = hmac(&secret_service, b"tc3_request");
    [secret_date, secret_service, secret_signing]
}

/// The canonical request of a `POST /` with no query string.
///
/// `headers` are the signed headers as `(name, value)`, in any order and any case; they are
/// lower-cased, trimmed and sorted here, and `SignedHeaders` is derived from them.
pub fn canonical_request(headers: &[(&str, &str)], payload: &[u8]) -> (String, String) {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
        .collect();
    hs.sort();
    let mut canonical_headers = String::new();
    for (k, v) in &hs {
        canonical_headers.push_str(k);
        canonical_headers.push(':');
        canonical_headers.push_str(v);
        canonical_headers.push('\n');
    }
    let signed: Vec<&str> = hs.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let request = format!(
        "POST\n/\n\n{canonical_headers}\n{signed}\n{}",
        sha256_hex(payload)
    );
    (request, signed)
}

/// `StringToSign` for a canonical request.
pub fn string_to_sign(
    timestamp: i64,
    date: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The hex signature of `string_to_sign`.
pub fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let [_, _, signing] = derive_keys(secret_key, date, service);
    hex::encode(hmac(&signing, string_to_sign.as_bytes()))
}

/// What a request needs to be signed.
pub struct SignInput<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    pub service: &'a str,
    pub host: &'a str,
    pub content_type: &'a str,
    pub timestamp: i64,
    pub payload: &'a [u8],
}

/// The `Authorization` header value for a request signed over `content-type;host`.
pub fn authorization(input: &SignInput<'_>) -> String {
    let date = utc_date(input.timestamp);
    let (request, signed) = canonical_request(
        &[("content-type", input.content_type), ("host", input.host)],
        input.payload,
    );
    let sts = string_to_sign(input.timestamp, &date, input.service, &request);
    let sig = signature(input.secret_key, &date, input.service, &sts);
    format!(
        "{ALGORITHM} Credential={}/{date}/{}/tc3_request, SignedHeaders={signed}, Signature={sig}",
        input.secret_id, input.service
    )
}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub secret_id: String,
    pub date: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX`.
/// `None` when it is not of that form.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
    let (mut credential, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => sig = Some(v),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let secret_id = scope.next()?.to_owned();
    let date = scope.next()?.to_owned();
    let service = scope.next()?.to_owned();
    if scope.next()? != "tc3_request" || scope.next().is_some() || secret_id.is_empty() {
        return None;
    }
    let signed_headers: Vec<String> = signed?.split(';').map(|s| s.to_ascii_lowercase()).collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return None;
    }
    Some(ParsedAuthorization {
        secret_id,
        date,
        service,
        signed_headers,
        signature: sig?.to_owned(),
    })
}

/// `YYYY-MM-DD`, the UTC date of a unix timestamp.
pub fn utc_date(timestamp: i64) -> String {
    let (y, m, d) = crate::clock::civil_from_days(timestamp.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1_BODY: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const V1_CT: &str = "application/json; charset=utf-8";

    #[test]
    fn vector_1_intermediates() {
        assert_eq!(
            sha256_hex(V1_BODY.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let (request, signed) = canonical_request(
            &[("content-type", V1_CT), ("host", "cvm.tencentcloudapi.com")],
            V1_BODY.as_bytes(),
        );
        assert_eq!(signed, "content-type;host");
        assert_eq!(
            sha256_hex(request.as_bytes()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let [d, s, k] = derive_keys("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", "cvm");
        assert_eq!(
            hex::encode(d),
            "d1308c81fe71cfd4e06437bbc067b2b8a3d2d8c0e375d547f15c41d5214b395a"
        );
        assert_eq!(
            hex::encode(s),
            "3c7cb7c7795393edc14fd2e0e6434a518564b4504b88e94f5d11bf59ba3e7050"
        );
        assert_eq!(
            hex::encode(k),
            "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1"
        );
    }

    #[test]
    fn vector_1_signature() {
        let auth = authorization(&SignInput {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            content_type: V1_CT,
            timestamp: 1_551_113_065,
            payload: V1_BODY.as_bytes(),
        });
        assert_eq!(
            auth,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn vector_2_signature() {
        let auth = authorization(&SignInput {
            secret_id: "test-secret-id",
            secret_key: "test-secret-key",
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            content_type: "application/json",
            timestamp: 1_640_995_200,
            payload: br#"{"Action":"DescribeInstances","Version":"2017-03-12"}"#,
        });
        let parsed = parse_authorization(&auth).expect("parses");
        assert_eq!(parsed.date, "2022-01-01");
        assert_eq!(
            parsed.signature,
            "96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3"
        );
    }

    #[test]
    fn parse_rejects_malformed_headers() {
        for bad in [
            "",
            "HMAC x",
            "TC3-HMAC-SHA256 Credential=a/b/c, SignedHeaders=x, Signature=y",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=y",
            "TC3-HMAC-SHA256 Credential=/d/cfs/tc3_request, SignedHeaders=host, Signature=y",
            "TC3-HMAC-SHA256 Credential=a/d/cfs/tc3_request, SignedHeaders=host;;x, Signature=y",
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(
            crate::clock::datetime(1_749_551_008_000, 0),
            "2025-06-10 10:23:28"
        );
        assert_eq!(utc_date(-1), "1969-12-31");
    }
}
