//! The keys a row's flow was rotated to, as the state file keeps them: never the keys, only a
//! keyed digest of them. A rotation compares the digest of the manifest's keys now with the
//! recorded one, so that a rotation resumed after the manifest's keys changed rotates again the
//! rows it had rotated to the older keys.
//!
//! The digest is HMAC-SHA256 over the SecretId, the SecretKey and the Kafka Password (each
//! length-prefixed), keyed with a random salt of the state file's own (kept in `meta`),
//! truncated to 64 bits: enough to tell one set of keys from another, and a digest that no
//! other state file shares and that names no key.

use std::fmt;

use hmac::{Hmac, Mac};
use rusqlite::{params, Connection};
use sha2::Sha256;

use crate::api::CreateDataFlowRequest;
use crate::secret::Secret;

/// Bytes of a digest.
const DIGEST_LEN: usize = 8;
/// Bytes of a salt.
const SALT_LEN: usize = 16;

/// A digest of one row's keys.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDigest([u8; DIGEST_LEN]);

impl KeyDigest {
    /// As stored: 16 hex digits.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// From its stored form; `None` for anything else (a hand-edited file).
    pub fn from_hex(s: &str) -> Option<KeyDigest> {
        let bytes = hex::decode(s).ok()?;
        Some(KeyDigest(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyDigest({})", self.to_hex())
    }
}

/// The state file's salt for key digests.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySalt([u8; SALT_LEN]);

impl fmt::Debug for KeySalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySalt(***)")
    }
}

/// A row's keys as the manifest gives them now.
#[derive(Debug, Clone, Copy)]
pub struct RowKeys<'a> {
    pub secret_id: &'a Secret,
    pub secret_key: &'a Secret,
    pub password: Option<&'a Secret>,
}

impl RowKeys<'static> {
    /// Empty keys, for the tests of decisions that do not look at them.
    pub fn none() -> RowKeys<'static> {
        static EMPTY: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
        let empty = EMPTY.get_or_init(Secret::default);
        RowKeys {
            secret_id: empty,
            secret_key: empty,
            password: None,
        }
    }
}

impl<'a> RowKeys<'a> {
    /// The keys of a manifest row's request.
    pub fn of(r: &'a CreateDataFlowRequest) -> RowKeys<'a> {
        RowKeys {
            secret_id: &r.secret_id,
            secret_key: &r.secret_key,
            password: r.password.as_ref(),
        }
    }
}

impl KeySalt {
    /// A salt given as bytes (tests).
    pub fn new(bytes: [u8; SALT_LEN]) -> KeySalt {
        KeySalt(bytes)
    }

    /// The digest of `keys`.
    pub fn digest(&self, keys: RowKeys<'_>) -> KeyDigest {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any size");
        let password = keys.password.map(Secret::expose);
        // Length-prefixed, so that no two different sets of keys feed the same bytes; an absent
        // password differs from an empty one.
        for field in [
            Some(keys.secret_id.expose()),
            Some(keys.secret_key.expose()),
            password,
        ] {
            match field {
                Some(v) => {
                    mac.update(&(v.len() as u64).to_be_bytes());
                    mac.update(v.as_bytes());
                }
                None => mac.update(&u64::MAX.to_be_bytes()),
            }
        }
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; DIGEST_LEN];
        out.copy_from_slice(&full[..DIGEST_LEN]);
        KeyDigest(out)
    }
}

/// The state file's salt, made on first use.
pub fn salt(conn: &Connection) -> rusqlite::Result<KeySalt> {
    let fresh: [u8; SALT_LEN] = rand::random();
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('key_salt', ?1)",
        params![hex::encode(fresh)],
    )?;
    let stored: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'key_salt'", [], |r| {
            r.get(0)
        })?;
    // A salt edited by hand into something else is replaced: the digests made with it no
    // longer match, and the rows they describe are rotated again (never the other way).
    match hex::decode(&stored).ok().and_then(|b| b.try_into().ok()) {
        Some(bytes) => Ok(KeySalt(bytes)),
        None => {
            conn.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'key_salt'",
                params![hex::encode(fresh)],
            )?;
            Ok(KeySalt(fresh))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(id: &'a Secret, key: &'a Secret, pw: Option<&'a Secret>) -> RowKeys<'a> {
        RowKeys {
            secret_id: id,
            secret_key: key,
            password: pw,
        }
    }

    #[test]
    fn a_digest_tells_keys_apart_and_names_none() {
        let salt = KeySalt::new([7; SALT_LEN]);
        let (id, key, pw) = (Secret::new("AKID1"), Secret::new("KEY1"), Secret::new("pw"));
        let (id2, key2, empty) = (Secret::new("AKID2"), Secret::new("KEY2"), Secret::new(""));
        let d = salt.digest(keys(&id, &key, None));
        assert_eq!(d, salt.digest(keys(&id, &key, None)));
        for other in [
            keys(&id2, &key, None),
            keys(&id, &key2, None),
            keys(&id, &key, Some(&pw)),
            keys(&id, &key, Some(&empty)),
        ] {
            assert_ne!(d, salt.digest(other));
        }
        // The fields cannot slide into one another.
        let (a, b) = (Secret::new("AKID1K"), Secret::new("EY1"));
        assert_ne!(d, salt.digest(keys(&a, &b, None)));
        // Another state file's salt, another digest.
        assert_ne!(d, KeySalt::new([8; SALT_LEN]).digest(keys(&id, &key, None)));
        let hex = d.to_hex();
        assert_eq!(hex.len(), 16);
        assert_eq!(KeyDigest::from_hex(&hex), Some(d));
        assert_eq!(KeyDigest::from_hex("zz"), None);
        assert!(!format!("{:?}", salt).contains('7'));
    }

    #[test]
    fn the_salt_is_made_once_per_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let conn = crate::store::open(&path, true).unwrap();
        let first = salt(&conn).unwrap();
        assert_eq!(salt(&conn).unwrap(), first);
        let other = crate::store::open(&dir.path().join("t.db"), true).unwrap();
        assert_ne!(salt(&other).unwrap(), first);
    }
}
