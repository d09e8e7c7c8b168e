//! Matching a column name or JSON key to a known field: case-insensitive, snake_case allowed, and a
//! did-you-mean suggestion by edit distance when nothing matches.

use super::fields::{Field, ALL};
use super::problem::quote;

/// The comparison form of a name: ASCII letters lower-cased, `_`, `-` and spaces dropped, so
/// `file_system_id`, `FILESYSTEMID` and `FileSystemId` are the same.
fn fold(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The field a name stands for, if any.
pub(crate) fn lookup(name: &str) -> Option<Field> {
    let folded = fold(name);
    ALL.into_iter().find(|f| fold(f.name()) == folded)
}

/// The message for a name that matches no field; `position` says where it is (`column 10`,
/// `key 3`). The name is quoted only beside the known field it nearly spells: a name far from
/// every field may be data (a first row joined to the header line by a lost line end, say), and
/// data may be a secret.
pub(crate) fn unknown_message(name: &str, position: &str) -> String {
    match suggest(name) {
        Some(f) => format!("unknown field {} (did you mean {}?)", quote(name), f.name()),
        None => format!("unknown field name in {position} (not shown, as it may be data)"),
    }
}

/// The known field nearest to `name`, when it is at most two edits away (one for short names).
/// Edits are counted as optimal string alignment: insertions, deletions, substitutions and swaps
/// of two neighbours each cost one, so `DataFlowNmae` is one edit from `DataFlowName`.
fn suggest(name: &str) -> Option<Field> {
    let folded = fold(name);
    let len = folded.chars().count();
    if len == 0 || len > 64 {
        return None;
    }
    let limit = if len <= 5 { 1 } else { 2 };
    ALL.into_iter()
        .map(|f| (strsim::osa_distance(&folded, &fold(f.name())), f))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_in_any_case_and_snake_case() {
        for n in [
            "FileSystemId",
            "file_system_id",
            "FILESYSTEMID",
            "filesystemid",
            " FileSystemId ",
        ] {
            assert_eq!(lookup(n), Some(Field::FileSystemId), "{n}");
        }
        assert_eq!(lookup("region"), Some(Field::Region));
        assert_eq!(lookup("auto_refresh"), Some(Field::AutoRefresh));
        assert_eq!(lookup("user_kafka_topic"), Some(Field::UserKafkaTopic));
        assert_eq!(lookup("SourcePth"), None);
    }

    #[test]
    fn unknown_names_suggest_the_closest_field() {
        assert_eq!(
            unknown_message("SourcePth", "column 4"),
            r#"unknown field "SourcePth" (did you mean SourcePath?)"#
        );
        assert_eq!(
            unknown_message("DataFlowNmae", "key 2"),
            r#"unknown field "DataFlowNmae" (did you mean DataFlowName?)"#
        );
        assert_eq!(
            unknown_message("target_pahts", "column 1"),
            r#"unknown field "target_pahts" (did you mean TargetPath?)"#
        );
        assert_eq!(
            unknown_message("Colour", "column 9"),
            "unknown field name in column 9 (not shown, as it may be data)"
        );
        assert_eq!(
            unknown_message("", "key 1"),
            "unknown field name in key 1 (not shown, as it may be data)"
        );
    }

    #[test]
    fn only_near_misspellings_are_suggested() {
        // A swap is one edit; short names get one edit, longer ones two.
        assert_eq!(suggest("Regoin"), Some(Field::Region));
        assert_eq!(suggest("Rgion"), Some(Field::Region));
        assert_eq!(suggest("Regn"), None);
        assert_eq!(suggest("SoruceBath"), Some(Field::SourcePath));
        assert_eq!(suggest("SoruceBathX"), None);
        assert_eq!(suggest("数据数据数据"), None);
        assert_eq!(suggest(&"a".repeat(65)), None);
    }
}
