//! Where the manifest comes from (a file, or stdin as `-`), its format, and the files a run
//! writes for scripts (`--summary-file`, `--metrics-file`): checked without touching the disk.
//! Whether an output file is the state file or the manifest under another name needs the disk;
//! `app` checks that before the run.

use std::path::{Path, PathBuf};

use crate::cli::ManifestFormat;
use crate::manifest::Format;

use super::UsageError;

/// Where the manifest is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The manifest as named on the command line.
    pub manifest: PathBuf,
    /// Read from stdin (`-`): spooled to a private temporary file first, as a run reads the
    /// manifest more than once.
    pub stdin: bool,
    /// The format `--format` gave; required for stdin.
    pub format: Option<Format>,
}

impl Input {
    /// The name problems and messages give the manifest: `<stdin>` for stdin, else `None` (its
    /// path).
    pub fn display_name(&self) -> Option<String> {
        self.stdin.then(|| STDIN_NAME.to_owned())
    }

    /// The manifest as a person named it: `-` for stdin, else the path.
    pub fn shown(&self) -> String {
        if self.stdin {
            "-".to_owned()
        } else {
            self.manifest.display().to_string()
        }
    }
}

/// How problems of a manifest read from stdin name it.
pub const STDIN_NAME: &str = "<stdin>";

/// `--format` as the manifest reader takes it.
pub fn format(f: Option<ManifestFormat>) -> Option<Format> {
    f.map(|f| match f {
        ManifestFormat::Csv => Format::Csv,
        ManifestFormat::Jsonl => Format::Jsonl,
    })
}

/// The manifest argument and `--format`: `-` is stdin, and needs `--format`.
pub fn input(manifest: &Path, f: Option<ManifestFormat>) -> Result<Input, UsageError> {
    let stdin = manifest.as_os_str() == "-";
    let format = format(f);
    if stdin && format.is_none() {
        return Err(UsageError::StdinFormat);
    }
    Ok(Input {
        manifest: manifest.to_owned(),
        stdin,
        format,
    })
}

/// The files a run writes for scripts: neither may be empty, and they must be two files.
pub fn outputs(
    summary: Option<&Path>,
    metrics: Option<&Path>,
) -> Result<(Option<PathBuf>, Option<PathBuf>), UsageError> {
    for (flag, p) in [("--summary-file", summary), ("--metrics-file", metrics)] {
        if p.is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(UsageError::EmptyPath(flag));
        }
    }
    if let (Some(s), Some(m)) = (summary, metrics) {
        if s == m {
            return Err(UsageError::SameOutput(s.to_owned()));
        }
    }
    Ok((summary.map(Path::to_owned), metrics.map(Path::to_owned)))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{resolve, Settings};
    use super::*;
    use crate::cli::{Cli, Command};

    fn resolved(args: &[&str]) -> Result<Settings, UsageError> {
        let argv = ["bulkflow", "run"].into_iter().chain(args.iter().copied());
        match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Command::Run(a)) => resolve(&a, &|_| None, None),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn stdin_needs_a_format_and_a_state_file_unless_a_dry_run() {
        assert_eq!(
            resolved(&["-", "--state", "s.db"]),
            Err(UsageError::StdinFormat)
        );
        assert_eq!(
            resolved(&["-", "--format", "csv"]),
            Err(UsageError::StdinState)
        );
        let s = resolved(&["-", "--format", "jsonl", "--state", "s.db"]).expect("settings");
        assert!(s.input.stdin);
        assert_eq!(s.input.format, Some(Format::Jsonl));
        assert_eq!(s.input.shown(), "-");
        assert_eq!(s.input.display_name().as_deref(), Some(STDIN_NAME));
        let dry = resolved(&["-", "--format", "csv", "--dry-run"]).expect("a dry run");
        assert!(dry.dry_run && dry.input.stdin);
    }

    #[test]
    fn a_file_keeps_its_name_and_may_be_given_a_format() {
        let s = resolved(&["m.txt", "--format", "csv"]).expect("settings");
        assert!(!s.input.stdin);
        assert_eq!(s.input.format, Some(Format::Csv));
        assert_eq!(s.input.display_name(), None);
        assert_eq!(resolved(&["m.csv"]).expect("settings").input.format, None);
    }

    #[test]
    fn output_files_are_two_and_named() {
        let s = resolved(&[
            "m.csv",
            "--summary-file",
            "s.json",
            "--metrics-file",
            "m.prom",
        ])
        .expect("settings");
        assert_eq!(s.summary_file, Some(PathBuf::from("s.json")));
        assert_eq!(s.metrics_file, Some(PathBuf::from("m.prom")));
        assert_eq!(
            resolved(&["m.csv", "--summary-file", "x", "--metrics-file", "x"]),
            Err(UsageError::SameOutput(PathBuf::from("x")))
        );
        // clap refuses an empty path; a `RunArgs` built by hand is held to the same.
        assert_eq!(
            outputs(None, Some(Path::new(""))),
            Err(UsageError::EmptyPath("--metrics-file"))
        );
    }
}
