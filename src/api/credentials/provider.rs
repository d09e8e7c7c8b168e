//! The credentials a client signs with, shared by every call of a run: fixed keys, or temporary
//! ones fetched again before they expire (and at once after the service calls them invalid).
//!
//! Refresh policy, for credentials that live `L` and expire at `E`: refreshed from
//! `E - min(300 s, L/2)` on (the SDKs refresh when fewer than 300 s remain; the half keeps
//! short-lived test credentials from being fetched for every call), by the first call that
//! finds them due, while the others go on with the current ones. From `E - min(10 s, L/10)` on
//! they are no longer used: calls wait for the new ones, since a call signed then could arrive
//! after the expiry.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Credentials;

/// The current time in Unix milliseconds; tests pass a fake.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system's clock, in Unix milliseconds.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    })
}

/// Temporary credentials, as a source issued them.
#[derive(Debug, Clone)]
pub struct Issued {
    pub credentials: Credentials,
    /// When they stop working, Unix milliseconds (the sources say `ExpiredTime` in seconds).
    pub expires_at_ms: u64,
}

/// Why a source gave no credentials. The message names the source and the failure, never a
/// secret; `retry` says whether asking again soon may help (a refusal will not).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub message: String,
    pub retry: bool,
}

impl FetchError {
    /// A failure that may pass (no connection, a server error).
    pub fn transient(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
            retry: true,
        }
    }

    /// A refusal or a broken answer: asking again gives the same.
    pub fn permanent(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
            retry: false,
        }
    }
}

/// A boxed future, for [`Fetch`] to be usable as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of temporary credentials (the metadata service, STS), asked at every refresh.
pub trait Fetch: Send + Sync {
    /// Asks the source for credentials, anew.
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>>;
}

/// A shared source is a source: a test can keep a handle on the one it hands over.
impl<T: Fetch + ?Sized> Fetch for Arc<T> {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>> {
        (**self).fetch()
    }
}

/// What to sign one call with: the credentials, and which fetch gave them (to tell whether a
/// rejected call's credentials have been replaced already).
#[derive(Debug, Clone)]
pub struct Signing {
    pub credentials: Arc<Credentials>,
    pub generation: u64,
}

/// The credentials of a run, shared (cheap to clone) by the client and whoever reports on it.
/// `Debug` shows the description only.
#[derive(Clone)]
pub struct CredentialProvider {
    inner: Arc<Inner>,
}

struct Inner {
    description: String,
    refreshes: AtomicU64,
    kind: Kind,
}

enum Kind {
    Fixed(Arc<Credentials>),
    Refreshing(Refreshing),
}

struct Refreshing {
    fetch: Box<dyn Fetch>,
    clock: Clock,
    state: Mutex<State>,
    /// Held while fetching, so that one fetch serves every call that needs it.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct State {
    current: Arc<Credentials>,
    generation: u64,
    obtained_ms: u64,
    expires_ms: u64,
    /// After a failed refresh: no new attempt before this while the current ones last.
    quiet_until_ms: u64,
    /// The last failed fetch and when, so that calls queued behind it do not repeat it at once.
    failed: Option<(u64, FetchError)>,
}

impl State {
    fn lifetime(&self) -> u64 {
        self.expires_ms.saturating_sub(self.obtained_ms)
    }

    /// From when a refresh is due.
    fn refresh_at(&self) -> u64 {
        self.expires_ms
            .saturating_sub((self.lifetime() / 2).min(300_000))
    }

    /// Until when the credentials may sign a call.
    fn usable_until(&self) -> u64 {
        self.expires_ms
            .saturating_sub((self.lifetime() / 10).min(10_000))
    }

    fn signing(&self) -> Signing {
        Signing {
            credentials: Arc::clone(&self.current),
            generation: self.generation,
        }
    }
}

/// Attempts of one refresh, and the pauses between them.
const PAUSES: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];
/// After a refresh failed while the current credentials still last, the next attempt waits
/// this long (or until they are unusable).
const QUIET_AFTER_FAILURE_MS: u64 = 5_000;
/// A failure this recent is given to the calls that queued behind it, instead of a new fetch.
const FAILURE_SHARED_MS: u64 = 1_000;

impl CredentialProvider {
    /// Keys that never change (the environment's, a profile's). `description` names the source
    /// for the run's first line.
    pub fn fixed(credentials: Credentials, description: impl Into<String>) -> Self {
        CredentialProvider {
            inner: Arc::new(Inner {
                description: description.into(),
                refreshes: AtomicU64::new(0),
                kind: Kind::Fixed(Arc::new(credentials)),
            }),
        }
    }

    /// Temporary credentials from `fetch`, fetched once now (an error when that fails) and
    /// again before they expire, by `clock`.
    pub async fn refreshing(
        fetch: Box<dyn Fetch>,
        description: impl Into<String>,
        clock: Clock,
    ) -> Result<Self, FetchError> {
        let first = fetch_with_retries(&*fetch).await?;
        let now = clock();
        let state = install(first, now, 0)?;
        Ok(CredentialProvider {
            inner: Arc::new(Inner {
                description: description.into(),
                refreshes: AtomicU64::new(0),
                kind: Kind::Refreshing(Refreshing {
                    fetch,
                    clock,
                    state: Mutex::new(state),
                    refreshing: tokio::sync::Mutex::new(()),
                }),
            }),
        })
    }

    /// Where the credentials come from, for the run's first line; never a secret.
    pub fn description(&self) -> &str {
        &self.inner.description
    }

    /// What tells this run's account apart from another's, for processes of this machine that
    /// share its budget (never shown, only hashed): the key's id, or for temporary credentials
    /// (whose ids change) where they come from (a role).
    pub fn account_hint(&self) -> &str {
        match &self.inner.kind {
            Kind::Fixed(c) => &c.secret_id,
            Kind::Refreshing(_) => &self.inner.description,
        }
    }

    /// True for temporary credentials that are fetched again before they expire.
    pub fn refreshes_itself(&self) -> bool {
        matches!(self.inner.kind, Kind::Refreshing(_))
    }

    /// How many times the credentials were fetched again (the first fetch is not counted).
    pub fn refreshes(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// The credentials to sign a call with now: fresh enough to be valid when the call
    /// arrives. Fetches new ones first when the current ones are due, or waits for the fetch
    /// another call started.
    pub async fn current(&self) -> Result<Signing, FetchError> {
        let r = match &self.inner.kind {
            Kind::Fixed(c) => {
                return Ok(Signing {
                    credentials: Arc::clone(c),
                    generation: 0,
                })
            }
            Kind::Refreshing(r) => r,
        };
        let snap = r.snapshot();
        let now = (r.clock)();
        if now < snap.usable_until() {
            if now < snap.refresh_at() || now < snap.quiet_until_ms {
                return Ok(snap.signing());
            }
            // Due: the first call to see it refreshes; the others go on with these meanwhile.
            if let Ok(_guard) = r.refreshing.try_lock() {
                if r.snapshot().generation == snap.generation {
                    if let Err(e) = self.refresh_locked(r).await {
                        tracing::warn!(
                            "could not refresh the credentials ({}): {e}; going on with the current ones",
                            self.inner.description
                        );
                    }
                }
            }
            return Ok(r.snapshot().signing());
        }
        // No longer usable: every call waits for the new ones.
        let _guard = r.refreshing.lock().await;
        let snap = r.snapshot();
        let now = (r.clock)();
        if now < snap.usable_until() {
            return Ok(snap.signing());
        }
        if let Some((at, e)) = &snap.failed {
            if now.saturating_sub(*at) < FAILURE_SHARED_MS {
                return Err(e.clone());
            }
        }
        self.refresh_locked(r).await?;
        Ok(r.snapshot().signing())
    }

    /// The service rejected a call signed with the credentials of `generation`
    /// (`AuthFailure.TokenFailure`): fetches new ones, unless another call did already. An
    /// error for fixed credentials, which cannot be refreshed.
    pub async fn rejected(&self, generation: u64) -> Result<(), FetchError> {
        let r = match &self.inner.kind {
            Kind::Fixed(_) => {
                return Err(FetchError::permanent(
                    "these credentials are not temporary ones bulkflow can refresh",
                ))
            }
            Kind::Refreshing(r) => r,
        };
        let _guard = r.refreshing.lock().await;
        if r.snapshot().generation != generation {
            return Ok(());
        }
        self.refresh_locked(r).await
    }

    /// Fetches and installs new credentials; the caller holds `r.refreshing`.
    async fn refresh_locked(&self, r: &Refreshing) -> Result<(), FetchError> {
        let result = fetch_with_retries(&*r.fetch).await;
        let now = (r.clock)();
        let mut state = r.state.lock().unwrap_or_else(|p| p.into_inner());
        let installed = result.and_then(|issued| install(issued, now, state.generation + 1));
        match installed {
            Ok(new) => {
                *state = new;
                self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    "credentials refreshed ({}); valid for {} ms more",
                    self.inner.description,
                    state.expires_ms.saturating_sub(now)
                );
                Ok(())
            }
            Err(e) => {
                state.quiet_until_ms = now.saturating_add(QUIET_AFTER_FAILURE_MS);
                state.failed = Some((now, e.clone()));
                Err(e)
            }
        }
    }
}

impl Refreshing {
    fn snapshot(&self) -> State {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The state for newly issued credentials; an error when they have expired already.
fn install(issued: Issued, now: u64, generation: u64) -> Result<State, FetchError> {
    let state = State {
        current: Arc::new(issued.credentials),
        generation,
        obtained_ms: now,
        expires_ms: issued.expires_at_ms,
        quiet_until_ms: 0,
        failed: None,
    };
    if now >= state.usable_until() {
        return Err(FetchError::permanent(format!(
            "the credentials issued expire at {} (Unix seconds), which is not after this machine's time {}: is its clock right?",
            issued.expires_at_ms / 1000,
            now / 1000
        )));
    }
    Ok(state)
}

/// One fetch, tried again after a pause when it failed in a way that may pass.
async fn fetch_with_retries(fetch: &dyn Fetch) -> Result<Issued, FetchError> {
    let mut pauses = PAUSES.iter();
    loop {
        match fetch.fetch().await {
            Ok(issued) => return Ok(issued),
            Err(e) if e.retry => match pauses.next() {
                Some(pause) => tokio::time::sleep(*pause).await,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

impl From<Credentials> for CredentialProvider {
    /// Fixed keys, described by their `source`.
    fn from(credentials: Credentials) -> Self {
        let description = credentials.source.clone();
        CredentialProvider::fixed(credentials, description)
    }
}

impl std::fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialProvider")
            .field("source", &self.inner.description)
            .field("refreshes", &self.refreshes())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "provider_tests.rs"]
mod tests;
