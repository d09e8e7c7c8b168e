//! The file a mistyped path most likely meant: a file of the same directory with a close name,
//! for a did-you-mean (`flows.cvs` -> `flows.csv`).

use std::path::{Path, PathBuf};

/// How many entries of a directory are looked at, at most: a huge directory is not read whole
/// for a hint.
const MAX_ENTRIES: usize = 10_000;

/// The file of `path`'s directory whose name is closest to `path`'s (Jaro-Winkler above 0.8, as
/// clap and cargo suggest), named as `path` names its directory. State files and their
/// companions are not suggested. `None` when nothing is close, or the directory cannot be read.
pub fn closest_file(path: &Path) -> Option<PathBuf> {
    let wanted = path.file_name()?.to_str()?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let entries = std::fs::read_dir(dir.unwrap_or(Path::new("."))).ok()?;
    let mut best: Option<(f64, String)> = None;
    for entry in entries.take(MAX_ENTRIES).flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name == wanted || name.contains(".bulkflow.db") || name.starts_with('.') {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let score = strsim::jaro_winkler(wanted, &name);
        if score > 0.8 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, name));
        }
    }
    let (_, name) = best?;
    Some(match dir {
        Some(d) => d.join(name),
        None => PathBuf::from(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_name_of_the_same_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in [
            "flows.csv",
            "flows.csv.bulkflow.db",
            "other.jsonl",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(f), "").expect("write");
        }
        std::fs::create_dir(dir.path().join("flows.cs")).expect("dir");
        let near = |n: &str| closest_file(&dir.path().join(n));
        assert_eq!(near("flows.cvs"), Some(dir.path().join("flows.csv")));
        assert_eq!(near("flow.csv"), Some(dir.path().join("flows.csv")));
        assert_eq!(near("othr.jsonl"), Some(dir.path().join("other.jsonl")));
        assert_eq!(near("zzzz.csv"), None);
        assert_eq!(closest_file(&dir.path().join("nowhere/flows.cvs")), None);
    }
}
