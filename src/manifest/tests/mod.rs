//! Tests of the whole module through its public functions, on files written to a temp dir.

mod csv;
mod hostile;
mod jsonl;
mod paths;
mod samples;
mod secrets;
mod split;

use std::path::{Path, PathBuf};

use super::{validate, ManifestError, ManifestOptions, Plan};

/// A valid CSV header with a Region column.
pub(super) const HEADER: &str =
    "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region";

/// A valid CSV row `i` for [`HEADER`].
pub(super) fn csv_row(i: u32) -> String {
    format!(
        "cfs-1,S3_COS,https://b-1251000004.cos.ap-guangzhou.myqcloud.com,/src/{i},/cfs/t{i},AKIDtest,keytest,flow_{i},ap-guangzhou"
    )
}

/// A valid JSONL row `i`.
pub(super) fn json_row(i: u32) -> String {
    format!(
        r#"{{"FileSystemId":"cfs-1","SourceStorageType":"S3_COS","SourceStorageAddress":"https://b","SourcePath":"/src/{i}","TargetPath":"/cfs/t{i}","SecretId":"AKIDtest","SecretKey":"keytest","Region":"ap-guangzhou"}}"#
    )
}

/// A temp dir holding one manifest.
pub(super) struct Manifest {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// Writes `content` to a file called `name` in a fresh temp dir.
pub(super) fn write(name: &str, content: impl AsRef<[u8]>) -> Manifest {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    Manifest { _dir: dir, path }
}

/// Options with no default region and a fake environment.
pub(super) fn opts() -> ManifestOptions {
    opts_with_region(None)
}

/// Options with a default region and a fake environment holding SRC_ID and SRC_KEY.
pub(super) fn opts_with_region(region: Option<&str>) -> ManifestOptions {
    ManifestOptions::with_env(region.map(str::to_owned), |name| match name {
        "SRC_ID" => Some("AKIDfromenv".into()),
        "SRC_KEY" => Some("key-from-env".into()),
        _ => None,
    })
}

/// The problems `validate` reports, as Display lines with the directory stripped.
pub(super) fn problems_with(m: &Manifest, opts: &ManifestOptions) -> Vec<String> {
    match validate(&m.path, opts) {
        Ok(plan) => panic!("expected problems, got {plan:?}"),
        Err(ManifestError::Invalid { problems, total }) => {
            assert_eq!(total, problems.len() as u64);
            problems
                .iter()
                .map(|p| strip(&p.to_string(), &m.path))
                .collect()
        }
        Err(e) => panic!("{e}"),
    }
}

/// The problems `validate` reports with [`opts`].
pub(super) fn problems(m: &Manifest) -> Vec<String> {
    problems_with(m, &opts())
}

/// The plan of a manifest that must be valid.
pub(super) fn plan(m: &Manifest, opts: &ManifestOptions) -> Plan {
    match validate(&m.path, opts) {
        Ok(plan) => plan,
        Err(ManifestError::Invalid { problems, .. }) => {
            let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            panic!("unexpected problems:\n{}", lines.join("\n"))
        }
        Err(e) => panic!("{e}"),
    }
}

/// `text` with the manifest's directory removed from its path.
pub(super) fn strip(text: &str, path: &Path) -> String {
    let dir = format!("{}/", path.parent().unwrap().display());
    text.replace(&dir, "")
}
