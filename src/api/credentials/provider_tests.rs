//! The refresh policy with a fake clock and a fake source: no real time, no network.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::*;
use crate::secret::Secret;

/// A source that issues `AKIDtmp<n>` credentials living `ttl_ms` by the fake clock, or fails.
struct FakeSource {
    now: Arc<AtomicU64>,
    ttl_ms: u64,
    fetches: AtomicU64,
    fail: AtomicBool,
    /// Fail in a way worth retrying.
    transient: bool,
}

impl FakeSource {
    fn new(now: &Arc<AtomicU64>, ttl_ms: u64) -> Arc<FakeSource> {
        Arc::new(FakeSource {
            now: Arc::clone(now),
            ttl_ms,
            fetches: AtomicU64::new(0),
            fail: AtomicBool::new(false),
            transient: false,
        })
    }
}

impl Fetch for FakeSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, FetchError>> {
        Box::pin(async move {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(if self.transient {
                    FetchError::transient("the source is down")
                } else {
                    FetchError::permanent("the source refused")
                });
            }
            // A little real waiting, so that concurrent callers overlap.
            tokio::task::yield_now().await;
            Ok(Issued {
                credentials: Credentials {
                    secret_id: format!("AKIDtmp{n}"),
                    secret_key: Secret::new(format!("KEY-SECRET-{n}")),
                    token: Some(Secret::new(format!("TOKEN-SECRET-{n}"))),
                    source: "fake".into(),
                },
                expires_at_ms: self.now.load(Ordering::SeqCst) + self.ttl_ms,
            })
        })
    }
}

fn clock(now: &Arc<AtomicU64>) -> Clock {
    let now = Arc::clone(now);
    Arc::new(move || now.load(Ordering::SeqCst))
}

async fn provider(now: &Arc<AtomicU64>, source: &Arc<FakeSource>) -> CredentialProvider {
    CredentialProvider::refreshing(Box::new(Arc::clone(source)), "fake role", clock(now))
        .await
        .unwrap()
}

async fn id(p: &CredentialProvider) -> String {
    p.current().await.unwrap().credentials.secret_id.clone()
}

const T0: u64 = 1_700_000_000_000;

#[tokio::test]
async fn refreshed_when_fewer_than_300_seconds_remain() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = FakeSource::new(&now, 3_600_000);
    let p = provider(&now, &source).await;
    assert_eq!((id(&p).await, p.refreshes()), ("AKIDtmp0".into(), 0));
    now.store(T0 + 3_600_000 - 300_001, Ordering::SeqCst);
    assert_eq!((id(&p).await, p.refreshes()), ("AKIDtmp0".into(), 0));
    now.store(T0 + 3_600_000 - 299_000, Ordering::SeqCst);
    assert_eq!((id(&p).await, p.refreshes()), ("AKIDtmp1".into(), 1));
    // The new ones last an hour from now: no refresh on the next call.
    assert_eq!((id(&p).await, p.refreshes()), ("AKIDtmp1".into(), 1));
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn short_lived_credentials_are_refreshed_at_half_their_life() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = FakeSource::new(&now, 2_000);
    let p = provider(&now, &source).await;
    now.store(T0 + 999, Ordering::SeqCst);
    assert_eq!(id(&p).await, "AKIDtmp0");
    now.store(T0 + 1_000, Ordering::SeqCst);
    assert_eq!(id(&p).await, "AKIDtmp1");
    // Twenty lifetimes, a call every 100 ms: each lifetime refreshed once, never a call signed
    // with credentials in their last tenth.
    for step in 1..=400u64 {
        now.store(T0 + 1_000 + step * 100, Ordering::SeqCst);
        let s = p.current().await.unwrap();
        let n: u64 = s.credentials.secret_id["AKIDtmp".len()..].parse().unwrap();
        assert!(n >= 1 && n <= 1 + step / 10, "step {step}: {n}");
    }
    assert_eq!(p.refreshes(), 41);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_current_ones_while_they_last() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = FakeSource::new(&now, 1_000_000);
    let p = provider(&now, &source).await;
    source.fail.store(true, Ordering::SeqCst);
    now.store(T0 + 800_000, Ordering::SeqCst);
    assert_eq!(id(&p).await, "AKIDtmp0");
    // The next attempt waits a few seconds: no fetch for every call.
    assert_eq!(id(&p).await, "AKIDtmp0");
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
    now.store(T0 + 806_000, Ordering::SeqCst);
    assert_eq!(id(&p).await, "AKIDtmp0");
    assert_eq!(source.fetches.load(Ordering::SeqCst), 3);
    // Too close to the expiry to sign with: the error, with the source's message.
    now.store(T0 + 995_000, Ordering::SeqCst);
    let e = p.current().await.unwrap_err();
    assert_eq!(e.message, "the source refused");
    assert_eq!(p.refreshes(), 0);
    source.fail.store(false, Ordering::SeqCst);
    now.store(T0 + 997_000, Ordering::SeqCst);
    assert_eq!((id(&p).await, p.refreshes()), ("AKIDtmp4".into(), 1));
}

#[tokio::test(start_paused = true)]
async fn a_source_that_is_down_is_asked_three_times() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = Arc::new(FakeSource {
        transient: true,
        ..Arc::into_inner(FakeSource::new(&now, 1_000)).unwrap()
    });
    source.fail.store(true, Ordering::SeqCst);
    let e = CredentialProvider::refreshing(Box::new(Arc::clone(&source)), "fake", clock(&now))
        .await
        .unwrap_err();
    assert!(e.retry);
    assert_eq!(source.fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_rejection_refreshes_once_for_every_call_it_hit() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = FakeSource::new(&now, 3_600_000);
    let p = provider(&now, &source).await;
    let old = p.current().await.unwrap();
    // Ten calls signed with the old ones are rejected: one refresh serves them all.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (p, generation) = (p.clone(), old.generation);
        tasks.push(tokio::spawn(async move { p.rejected(generation).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!((id(&p).await, p.refreshes()), ("AKIDtmp1".into(), 1));
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn expired_credentials_are_fetched_once_for_all_waiting_calls() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = FakeSource::new(&now, 60_000);
    let p = provider(&now, &source).await;
    now.store(T0 + 61_000, Ordering::SeqCst);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move { id(&p).await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), "AKIDtmp1");
    }
    assert_eq!(p.refreshes(), 1);
}

#[tokio::test]
async fn fixed_keys_are_never_refreshed_and_never_shown() {
    let p = CredentialProvider::from(Credentials {
        secret_id: "AKIDfixed-PLANTED".into(),
        secret_key: Secret::new("KEY-PLANTED"),
        token: Some(Secret::new("TOKEN-PLANTED")),
        source: "environment (AKID***)".into(),
    });
    assert!(!p.refreshes_itself());
    assert_eq!(p.description(), "environment (AKID***)");
    let s = p.current().await.unwrap();
    assert!(p.rejected(s.generation).await.is_err());
    assert_eq!(p.refreshes(), 0);
    let shown = format!("{p:?} {:?} {s:?}", s.credentials);
    assert!(!shown.contains("PLANTED"), "{shown}");
}

#[tokio::test]
async fn credentials_issued_already_expired_are_refused() {
    let now = Arc::new(AtomicU64::new(T0));
    let source = FakeSource::new(&now, 0);
    let e = CredentialProvider::refreshing(Box::new(source), "fake", clock(&now))
        .await
        .unwrap_err();
    assert!(e.message.contains("clock"), "{}", e.message);
}
