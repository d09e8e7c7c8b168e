//! The temporary credentials the emulator issues as the CVM metadata service and as STS
//! ([`super::sts`]): each lives `token_ttl`, and the signature check accepts it until it
//! expires, then answers `AuthFailure.TokenFailure`.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::secret::Secret;

use super::config::EmulatorConfig;

/// Issued credentials are forgotten this long after they expired (a call with them is then
/// `AuthFailure.SecretIdNotFound`, as for any unknown id).
const FORGET_AFTER_MS: u64 = 3_600_000;
/// Web identity tokens kept for tests to read.
const KEEP_WEB_TOKENS: usize = 100;

/// Temporary credentials the emulator issued.
#[derive(Debug, Clone)]
pub(crate) struct Temporary {
    pub(crate) key: Secret,
    pub(crate) token: Secret,
    pub(crate) expires_ms: u64,
}

/// Every temporary credential issued, by id.
#[derive(Debug, Default)]
pub(crate) struct Issuer {
    inner: Mutex<IssuerInner>,
}

#[derive(Debug, Default)]
struct IssuerInner {
    by_id: HashMap<String, Temporary>,
    issued: u64,
    web_tokens: Vec<String>,
}

impl Issuer {
    fn lock(&self) -> std::sync::MutexGuard<'_, IssuerInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues credentials that expire `config.token_ttl` after `now_ms`: the `Credentials`
    /// object and `ExpiredTime` (whole seconds, rounded down: never later than the truth).
    pub(crate) fn issue(&self, config: &EmulatorConfig, now_ms: u64) -> (Temporary, String) {
        let mut inner = self.lock();
        inner.issued += 1;
        let n = inner.issued;
        let ttl_ms = u64::try_from(config.token_ttl.as_millis()).unwrap_or(u64::MAX);
        let seed = format!("{}:{}:{n}", config.seed, config.secret_key.expose());
        let id = format!(
            "AKIDtmp{n:06}{}",
            &sha256_hex(format!("{seed}:id").as_bytes())[..12]
        );
        let t = Temporary {
            key: Secret::new(sha256_hex(format!("{seed}:key").as_bytes())),
            token: Secret::new(format!(
                "tok-{}",
                sha256_hex(format!("{seed}:token").as_bytes())
            )),
            expires_ms: now_ms.saturating_add(ttl_ms),
        };
        inner
            .by_id
            .retain(|_, c| c.expires_ms.saturating_add(FORGET_AFTER_MS) > now_ms);
        inner.by_id.insert(id.clone(), t.clone());
        (t, id)
    }

    /// The credentials issued under `id`, expired or not.
    pub(crate) fn get(&self, id: &str) -> Option<Temporary> {
        self.lock().by_id.get(id).cloned()
    }

    /// How many credentials were issued.
    pub(crate) fn issued(&self) -> u64 {
        self.lock().issued
    }

    /// The web identity tokens received, oldest first (the last hundred).
    pub(crate) fn web_identity_tokens(&self) -> Vec<String> {
        self.lock().web_tokens.clone()
    }

    pub(crate) fn record_web_token(&self, token: &str) {
        let mut inner = self.lock();
        if inner.web_tokens.len() >= KEEP_WEB_TOKENS {
            inner.web_tokens.remove(0);
        }
        inner.web_tokens.push(token.to_owned());
    }
}

/// The lower-case hex SHA-256 of `data`.
fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
