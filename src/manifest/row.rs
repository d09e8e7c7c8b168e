//! A validated manifest row, its identity, and the fingerprint that tells an edited row apart.

use sha2::{Digest, Sha256};

use crate::api::{normalize_target_path, CreateDataFlowRequest};

/// One manifest row, validated, with `${NAME}` values resolved. `Debug` never shows a secret: the
/// request holds them as [`Secret`](crate::secret::Secret)s.
#[derive(Debug, Clone)]
pub struct Row {
    /// The 1-based line in the file where the record starts.
    pub line: u64,
    /// The `Region` value, or the default region.
    pub region: String,
    /// The CreateDataFlow call this row asks for.
    pub request: CreateDataFlowRequest,
}

impl Row {
    /// The directory this row claims: the target path with trailing slashes removed. Together
    /// with the file system it is the row's identity (one data flow per directory).
    pub fn target_key(&self) -> &str {
        normalize_target_path(&self.request.target_path)
    }

    /// A short hash of the row's source (storage type, address, path, as the service compares
    /// them): a created flow's source cannot change, so a manifest that changes it drifts.
    pub fn source_key(&self) -> String {
        hex16(&self.source_hash())
    }

    /// [`Row::source_key`] as bytes, for comparing with many listed flows ([`source_hash`]).
    pub fn source_hash(&self) -> SourceHash {
        let r = &self.request;
        source_hash(
            &r.source_storage_type,
            &r.source_storage_address,
            &r.source_path,
        )
    }

    /// 16 hex digits (64 bits) of a SHA-256 over every non-secret field and the region, each
    /// length-prefixed, so that an edited row is told apart from the one recorded in the state
    /// file. Secrets (SecretId, SecretKey, Password) never enter it: editing only a secret does
    /// not change it. State files of earlier versions kept all 64 digits; migration 0005 keeps
    /// their first 16, which are these.
    pub fn fingerprint(&self) -> String {
        let r = &self.request;
        let auto_refresh = r.auto_refresh.map(|a| a.to_string());
        let parts: [Option<&str>; 11] = [
            Some(&self.region),
            Some(&r.file_system_id),
            Some(&r.source_storage_type),
            Some(&r.source_storage_address),
            Some(&r.source_path),
            Some(&r.target_path),
            r.data_flow_name.as_deref(),
            auto_refresh.as_deref(),
            r.user_kafka_topic.as_deref(),
            r.server_addr.as_deref(),
            r.user_name.as_deref(),
        ];
        let mut h = Sha256::new();
        h.update(b"bulkflow-row-v1\0");
        for part in parts {
            match part {
                None => h.update([0u8]),
                Some(text) => {
                    h.update([1u8]);
                    h.update((text.len() as u64).to_be_bytes());
                    h.update(text.as_bytes());
                }
            }
        }
        let mut out = [0u8; 8];
        out.copy_from_slice(&h.finalize()[..8]);
        hex16(&out)
    }
}

/// Eight bytes as 16 lower-case hex digits (what `hex::encode` writes, without its iterator: this
/// runs twice for every row of every run).
fn hex16(bytes: &[u8; 8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(16);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// 64 bits of SHA-256 over a source: what [`Row::source_key`] writes in hex.
pub type SourceHash = [u8; 8];

/// The hash of a source (storage type, address, path) as the service compares them: trailing
/// slashes of the address and slashes around the path do not count. Equal for a row and a listed
/// flow exactly when `engine::op::create::is_ours` finds their sources equal (but for a
/// collision, at 64 bits).
pub fn source_hash(storage_type: &str, address: &str, path: &str) -> SourceHash {
    let mut h = Sha256::new();
    h.update(b"bulkflow-source-v1\0");
    for part in [
        storage_type,
        address.trim_end_matches('/'),
        crate::api::types::normalize_source_path(path),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&h.finalize()[..8]);
    out
}

/// A compact identity: 128 bits of SHA-256 over the file system and the normalized target path.
pub(crate) type Identity = [u8; 16];

/// The identity of a row with this file system and target path.
pub(crate) fn identity(file_system_id: &str, target_path: &str) -> Identity {
    let target = normalize_target_path(target_path);
    let mut h = Sha256::new();
    for part in [file_system_id, target] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn row() -> Row {
        Row {
            line: 2,
            region: "ap-guangzhou".into(),
            request: CreateDataFlowRequest {
                file_system_id: "cfs-1".into(),
                source_storage_type: "S3_COS".into(),
                source_storage_address: "https://b".into(),
                source_path: "/src".into(),
                target_path: "/cfs/a/".into(),
                secret_id: Secret::new("AKID-PLANTED"),
                secret_key: Secret::new("PLANTED-SECRET-xyz"),
                ..Default::default()
            },
        }
    }

    #[test]
    fn hex16_is_hex_encode() {
        for bytes in [
            [0u8; 8],
            [0xff; 8],
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
        ] {
            assert_eq!(hex16(&bytes), hex::encode(bytes));
        }
        assert_eq!(row().source_key(), hex::encode(row().source_hash()));
    }

    #[test]
    fn target_key_drops_trailing_slashes() {
        assert_eq!(row().target_key(), "/cfs/a");
        assert_eq!(identity("cfs-1", "/cfs/a/"), identity("cfs-1", "/cfs/a"));
        assert_ne!(identity("cfs-1", "/cfs/a"), identity("cfs-2", "/cfs/a"));
        // Length prefixes keep the two parts apart.
        assert_ne!(identity("cfs-1/cfs", "/a"), identity("cfs-1", "/cfs/a"));
    }

    #[test]
    fn fingerprint_tracks_non_secret_fields_only() {
        let base = row();
        let fp = base.fingerprint();
        assert_eq!(fp.len(), 16);
        assert_eq!(fp, row().fingerprint());

        let mut secret_edit = row();
        secret_edit.request.secret_key = Secret::new("other");
        secret_edit.request.password = Some(Secret::new("pw"));
        assert_eq!(secret_edit.fingerprint(), fp);

        let mut edits: Vec<Row> = Vec::new();
        let mut r = row();
        r.region = "ap-shanghai".into();
        edits.push(r);
        let mut r = row();
        r.request.source_path = "/src2".into();
        edits.push(r);
        let mut r = row();
        r.request.data_flow_name = Some(String::new());
        edits.push(r);
        let mut r = row();
        r.request.auto_refresh = Some(0);
        edits.push(r);
        let mut r = row();
        r.request.user_name = Some("u".into());
        edits.push(r);
        for e in edits {
            assert_ne!(e.fingerprint(), fp, "{e:?}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", row());
        assert!(!text.contains("PLANTED"), "{text}");
    }
}
