//! What reading a manifest needs from outside the file: the default region, the environment,
//! and, for a manifest that came on stdin, its format and the name its problems give it.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A manifest's format: CSV with a header row, or JSON Lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// The format a file's extension names (case-insensitive): `.csv`; `.jsonl` or `.ndjson`
    /// (the other common name of JSON Lines). `None` for any other name.
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// How `${NAME}` values are looked up.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Settings for [`validate`](super::validate) and [`read`](super::read).
pub struct ManifestOptions {
    /// The region for rows without a `Region` value (`--region` or `TENCENTCLOUD_REGION`).
    pub default_region: Option<String>,
    /// How a `${NAME}` value is read. Shared (an `Arc`) so a [`Reader`](super::Reader) can own it
    /// and be moved to another thread.
    pub env: EnvLookup,
    /// The format, whatever the file's name says (`--format`); `None`: from the extension.
    pub format: Option<Format>,
    /// The name problems and errors give the manifest instead of its path: a manifest read from
    /// stdin is read from a temporary copy whose name means nothing to the user.
    pub name: Option<String>,
    /// Accept a `Region` value that is not in `api::regions` (`--allow-unknown-region`). The
    /// default region is the caller's to check: it is one value, not one per row.
    pub allow_unknown_region: bool,
}

impl ManifestOptions {
    /// Options that read `${NAME}` from the process environment.
    pub fn from_env(default_region: Option<String>) -> Self {
        Self::with_env(default_region, |name| std::env::var(name).ok())
    }

    /// Options with a custom lookup, for tests and for callers that resolve variables themselves.
    pub fn with_env(
        default_region: Option<String>,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        ManifestOptions {
            default_region,
            env: Arc::new(env),
            format: None,
            name: None,
            allow_unknown_region: false,
        }
    }

    /// The same options, reading the manifest as `format` whatever its name.
    pub fn with_format(mut self, format: Option<Format>) -> Self {
        self.format = format;
        self
    }

    /// The same options, accepting (`true`) a region not in the list of Tencent Cloud regions.
    pub fn allowing_unknown_regions(mut self, allow: bool) -> Self {
        self.allow_unknown_region = allow;
        self
    }

    /// The same options, naming the manifest `name` in problems and errors.
    pub fn named(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }
}

impl fmt::Debug for ManifestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManifestOptions")
            .field("default_region", &self.default_region)
            .field("format", &self.format)
            .field("name", &self.name)
            .field("allow_unknown_region", &self.allow_unknown_region)
            .finish_non_exhaustive()
    }
}
