//! What reading a manifest needs from outside the file: the default region and the environment.

use std::fmt;
use std::sync::Arc;

/// How `${NAME}` values are looked up.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Settings for [`validate`](super::validate) and [`read`](super::read).
pub struct ManifestOptions {
    /// The region for rows without a `Region` value (`--region` or `TENCENTCLOUD_REGION`).
    pub default_region: Option<String>,
    /// How a `${NAME}` value is read. Shared (an `Arc`) so a [`Reader`](super::Reader) can own it
    /// and be moved to another thread.
    pub env: EnvLookup,
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
        }
    }
}

impl fmt::Debug for ManifestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManifestOptions")
            .field("default_region", &self.default_region)
            .finish_non_exhaustive()
    }
}
