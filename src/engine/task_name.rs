//! The name of a row's data task: made from the state file's nonce, the row's identity, the
//! type and the generation, so that a create whose answer was lost is found by its name, and
//! a task no run of this state file started can never carry it. At most 64 characters of
//! letters, digits, `-` and `_`.

use sha2::{Digest, Sha256};

use crate::api::tasks::TaskType;
use crate::manifest::Row;

/// `bf-NONCE-ROW-TYPE-GENERATION`, e.g. `bf-3f2a9c1d-9a8b7c6d5e4f-metaload-1`.
pub fn name(nonce: &str, row: &Row, kind: TaskType, generation: u32) -> String {
    let mut h = Sha256::new();
    h.update(row.request.file_system_id.as_bytes());
    h.update([0]);
    h.update(row.target_key().as_bytes());
    let digest = h.finalize();
    let nonce: String = nonce
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    format!(
        "bf-{nonce}-{}-{}-{generation}",
        hex::encode(&digest[..6]),
        kind.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fs: &str, path: &str) -> Row {
        Row {
            line: 2,
            region: "ap-x".into(),
            request: crate::api::CreateDataFlowRequest {
                file_system_id: fs.into(),
                target_path: path.into(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn names_differ_by_row_type_generation_and_state_file_and_fit_the_api() {
        let a = name("3f2a9c1d", &row("cfs-1", "/cfs/a"), TaskType::Metaload, 1);
        assert_eq!(a.len(), 35, "{a}");
        assert!(
            a.starts_with("bf-3f2a9c1d-") && a.ends_with("-metaload-1"),
            "{a}"
        );
        let others = [
            name("3f2a9c1d", &row("cfs-1", "/cfs/b"), TaskType::Metaload, 1),
            name("3f2a9c1d", &row("cfs-2", "/cfs/a"), TaskType::Metaload, 1),
            name("3f2a9c1d", &row("cfs-1", "/cfs/a"), TaskType::Restore, 1),
            name("3f2a9c1d", &row("cfs-1", "/cfs/a"), TaskType::Metaload, 2),
            name("00000000", &row("cfs-1", "/cfs/a"), TaskType::Metaload, 1),
        ];
        for o in &others {
            assert_ne!(&a, o);
        }
        // Trailing slashes do not make another directory.
        assert_eq!(
            a,
            name("3f2a9c1d", &row("cfs-1", "/cfs/a/"), TaskType::Metaload, 1)
        );
        let longest = name(
            &"f".repeat(40),
            &row("c", "/cfs/x"),
            TaskType::Metaload,
            u32::MAX,
        );
        assert!(longest.len() <= 64, "{longest}");
        assert!(longest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
