//! bulkflow processes of this machine that pace the same calls (one account, host and action)
//! find each other, so that they share the budget evenly from their first call instead of
//! learning of each other from the service's throttles.
//!
//! Each process registers a file in a directory named by a hash of the account, host and action,
//! and holds an exclusive `flock` on it while it runs. The live peers are the files whose lock is
//! held: a process that died (even by `SIGKILL`) released its lock with its descriptors, and the
//! next count removes its file. Nothing here is needed for correctness: without the directory
//! (no home, a read-only disk, `BULKFLOW_PEERS_DIR=""`), each process paces alone and adapts to
//! the others from the throttles, as it does to clients on other machines.
//!
//! The directory is trusted only when it is this user's own: the root and the key's directory
//! must be real directories (not links) that this user owns and no one else can write, or the
//! process says so once and paces alone. In it, only regular files this user owns are counted,
//! opened without blocking and without following a link, so that a planted FIFO, device or link
//! can neither hang a run nor count as a peer.

use std::ffi::OsStr;
use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The environment variable naming the directory of registrations; empty turns sharing off.
pub const DIR_ENV: &str = "BULKFLOW_PEERS_DIR";

/// The processes (this one included) pacing the same calls now: how many, and where this one
/// stands among them (0-based, the same order for all of them), which decides who takes the
/// remainder when the ceiling does not divide evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peering {
    pub n: usize,
    pub rank: usize,
}

impl Peering {
    pub const ALONE: Peering = Peering { n: 1, rank: 0 };

    /// This process's share of `cap` calls per window: whole calls, so that the shares add up
    /// to the ceiling (20 among 3 is 7, 7 and 6; an even 6.67 each would be held to 6 by the
    /// window check, and leave 10% of the budget unused); an even split of a ceiling smaller
    /// than the peers.
    pub fn share(self, cap: f64) -> f64 {
        let n = self.n.max(1) as f64;
        let base = (cap / n).floor();
        if base < 1.0 {
            return cap / n;
        }
        let extra = (cap - base * n).floor();
        if (self.rank as f64) < extra {
            base + 1.0
        } else {
            base
        }
    }
}

/// Counts the processes pacing the same calls.
pub trait PeerCount: Send + Sync + std::fmt::Debug {
    fn count(&self) -> Peering;
}

/// This process's registration: removed when dropped.
#[derive(Debug)]
pub struct Peers {
    dir: PathBuf,
    path: PathBuf,
    /// The user whose registrations count.
    uid: u32,
    /// Holds the lock that says this process is alive.
    _file: File,
}

/// The registration directory's name for an account, a host and an action: a hash, so that
/// neither the key's id nor the host shows in the file system.
pub fn key(account: &str, host: &str, action: &str) -> String {
    let mut h = Sha256::new();
    for part in ["bulkflow-peers-1", account, host, action] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..12])
}

/// Where registrations live: `$BULKFLOW_PEERS_DIR`, else `$XDG_RUNTIME_DIR/bulkflow/peers`, else
/// `$HOME/.cache/bulkflow/peers`; `None` when sharing is off or there is no such place.
pub fn root() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = std::env::var_os(DIR_ENV) {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    if let Some(run) = var("XDG_RUNTIME_DIR") {
        return Some(Path::new(&run).join("bulkflow").join("peers"));
    }
    var("HOME").map(|home| {
        Path::new(&home)
            .join(".cache")
            .join("bulkflow")
            .join("peers")
    })
}

/// The user this process acts as: the owner of a file it creates (no unsafe `geteuid`).
fn effective_uid() -> Option<u32> {
    static UID: OnceLock<Option<u32>> = OnceLock::new();
    *UID.get_or_init(|| Some(tempfile::tempfile().ok()?.metadata().ok()?.uid()))
}

/// Why a directory of registrations cannot be trusted, if it cannot: a link, not a directory,
/// another user's, or writable by others.
fn untrusted_dir(path: &Path, uid: u32) -> Option<String> {
    let m = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return Some(format!("cannot be read ({e})")),
    };
    if m.file_type().is_symlink() {
        Some("is a symbolic link".into())
    } else if !m.is_dir() {
        Some("is not a directory".into())
    } else if m.uid() != uid {
        Some(format!("belongs to another user (uid {})", m.uid()))
    } else if m.mode() & 0o022 != 0 {
        Some(format!(
            "can be written by others (mode {:o})",
            m.mode() & 0o7777
        ))
    } else {
        None
    }
}

/// Says once per process that the machine's runs do not share the rate, and why.
fn warn_untrusted(dir: &Path, why: &str) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "the peer directory {} {why}: this run paces alone, without sharing the rate with this machine's other runs (make it yours and private, chmod 700, or name another with {DIR_ENV}=DIR; {DIR_ENV}= turns sharing off)",
            dir.display()
        );
    }
}

/// Opens a registration to test its lock: only a regular file this user owns, never blocking
/// (a FIFO would block an open for reading) and never through a link.
fn open_registration(path: &Path, uid: u32) -> Option<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let m = file.metadata().ok()?;
    (m.file_type().is_file() && m.uid() == uid).then_some(file)
}

impl Peers {
    /// Registers this process under `key` in `root`; `None` when that cannot be done (then the
    /// process paces alone). A directory this user does not own alone is not used (said once).
    pub fn join(root: &Path, key: &str) -> Option<Peers> {
        let uid = effective_uid()?;
        let dir = root.join(key);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .ok()?;
        for d in [root, &dir] {
            if let Some(why) = untrusted_dir(d, uid) {
                warn_untrusted(d, &why);
                return None;
            }
        }
        let name = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        // Locked before it is given the name others count, so that no count ever finds it
        // unlocked and takes it for a dead process's.
        let tmp = dir.join(format!("{name}.tmp"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .ok()?;
        if file.try_lock().is_err() {
            let _ = fs::remove_file(&tmp);
            return None;
        }
        let path = dir.join(format!("{name}.peer"));
        if fs::rename(&tmp, &path).is_err() {
            let _ = fs::remove_file(&tmp);
            return None;
        }
        Some(Peers {
            dir,
            path,
            uid,
            _file: file,
        })
    }
}

impl PeerCount for Peers {
    /// The live registrations, this one included; removes those of processes that are gone.
    fn count(&self) -> Peering {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Peering::ALONE;
        };
        let mut live: Vec<PathBuf> = vec![self.path.clone()];
        for entry in entries.flatten() {
            let path = entry.path();
            if path == self.path || path.extension() != Some(OsStr::new("peer")) {
                continue;
            }
            let Some(file) = open_registration(&path, self.uid) else {
                continue;
            };
            match file.try_lock() {
                // No one holds it: its process is gone.
                Ok(()) => {
                    let _ = fs::remove_file(&path);
                }
                Err(TryLockError::WouldBlock) => live.push(path),
                Err(TryLockError::Error(_)) => {}
            }
        }
        live.sort();
        Peering {
            n: live.len(),
            rank: live.iter().position(|p| *p == self.path).unwrap_or(0),
        }
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        // Only when empty: another process may be registered there.
        let _ = fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_count_each_other_and_a_dead_ones_file_is_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        let k = key("AKIDx", "cfs.example:443", "CreateDataFlow");
        let a = Peers::join(root.path(), &k).expect("join");
        assert_eq!(a.count(), Peering::ALONE);
        let b = Peers::join(root.path(), &k).expect("join");
        let (ca, cb) = (a.count(), b.count());
        assert_eq!((ca.n, cb.n), (2, 2));
        assert_eq!(ca.rank + cb.rank, 1, "one order for both");
        // Another key is another budget.
        let other = Peers::join(
            root.path(),
            &key("AKIDx", "cfs.example:443", "DeleteDataFlow"),
        )
        .expect("join");
        assert_eq!((a.count().n, other.count().n), (2, 1));
        // A registration whose process died holds no lock: it is not counted, and it goes.
        let dead = root.path().join(&k).join("1-0000000000000000.peer");
        File::create(&dead).expect("file");
        assert_eq!(a.count().n, 2);
        assert!(!dead.exists());
        drop(b);
        assert_eq!(a.count(), Peering::ALONE);
        drop(a);
        assert!(
            !root.path().join(&k).exists(),
            "the empty directory is removed"
        );
    }

    #[test]
    fn whole_shares_add_up_to_the_ceiling() {
        let shares = |cap: f64, n: usize| -> Vec<f64> {
            (0..n).map(|rank| Peering { n, rank }.share(cap)).collect()
        };
        assert_eq!(shares(20.0, 1), vec![20.0]);
        assert_eq!(shares(20.0, 2), vec![10.0, 10.0]);
        assert_eq!(shares(20.0, 3), vec![7.0, 7.0, 6.0]);
        assert_eq!(shares(20.0, 5), vec![4.0; 5]);
        assert_eq!(shares(19.5, 2), vec![10.0, 9.0], "never above the ceiling");
        assert_eq!(shares(2.0, 4), vec![0.5; 4]);
        for n in 1..=40 {
            let total: f64 = shares(20.0, n).iter().sum();
            assert!(total <= 20.0 + 1e-9 && total > 19.0, "{n}: {total}");
        }
    }

    #[test]
    fn the_key_hides_the_account_and_host() {
        let k = key(
            "AKIDsecretid",
            "cfs.ap-guangzhou.tencentcloudapi.com",
            "CreateDataFlow",
        );
        assert_eq!(k.len(), 24);
        assert!(!k.contains("AKID") && !k.contains("cfs"));
        assert_ne!(
            k,
            key(
                "AKIDother",
                "cfs.ap-guangzhou.tencentcloudapi.com",
                "CreateDataFlow"
            )
        );
    }
}

#[cfg(test)]
#[path = "peers_tests.rs"]
mod planted_tests;
