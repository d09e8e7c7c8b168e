//! What others may plant in the peer directory: a FIFO, a link, a directory anyone can write or
//! another user's. Nothing hangs, nothing planted counts, and an untrusted directory is not used.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use super::*;

/// `count()` of `peers`, or a failure when it does not return within ten seconds.
fn count_within_bound(peers: Peers) -> (Peers, Peering) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let n = peers.count();
        let _ = tx.send((peers, n));
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("count() hung on a planted file")
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(made.success());
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_planted_fifo_or_link_neither_hangs_nor_counts() {
    let root = tempfile::tempdir().expect("tempdir");
    let k = key("AKIDx", "cfs.example:443", "CreateDataFlow");
    let a = Peers::join(root.path(), &k).expect("join");
    let b = Peers::join(root.path(), &k).expect("join");
    let dir = root.path().join(&k);
    let fifo = dir.join("1-fifo.peer");
    mkfifo(&fifo);
    // A link to a live registration would count it twice; a link to a file elsewhere would be
    // opened (and, unlocked, removed).
    symlink(&b.path, dir.join("2-link.peer")).expect("symlink");
    let outside = root.path().join("outside");
    fs::write(&outside, b"").expect("file");
    symlink(&outside, dir.join("3-out.peer")).expect("symlink");
    let (a, n) = count_within_bound(a);
    assert_eq!(n.n, 2, "only the two live registrations count");
    assert!(
        fifo.exists() && outside.exists(),
        "nothing planted is removed"
    );
    drop((a, b));
}

#[test]
fn a_directory_others_can_write_or_that_is_a_link_is_not_used() {
    let k = key("AKIDx", "cfs.example:443", "CreateDataFlow");
    // The root writable by anyone.
    let root = tempfile::tempdir().expect("tempdir");
    chmod(root.path(), 0o777);
    assert!(Peers::join(root.path(), &k).is_none());
    chmod(root.path(), 0o700);
    assert!(Peers::join(root.path(), &k).is_some());
    // A key directory made beforehand by someone else, writable by the group, or a link.
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join(&k);
    fs::create_dir(&dir).expect("dir");
    chmod(&dir, 0o770);
    assert!(Peers::join(root.path(), &k).is_none());
    fs::remove_dir(&dir).expect("rmdir");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    symlink(elsewhere.path(), &dir).expect("symlink");
    assert!(Peers::join(root.path(), &k).is_none());
    assert_eq!(
        fs::read_dir(elsewhere.path()).expect("dir").count(),
        0,
        "nothing registered through the link"
    );
}

#[test]
fn another_users_directory_is_not_used() {
    let root = tempfile::tempdir().expect("tempdir");
    let k = key("AKIDx", "cfs.example:443", "CreateDataFlow");
    let dir = root.path().join(&k);
    fs::create_dir(&dir).expect("dir");
    chmod(&dir, 0o700);
    // Only root may give a directory away; elsewhere this case cannot be made.
    if std::os::unix::fs::chown(&dir, Some(54321), None).is_err() {
        return;
    }
    assert!(Peers::join(root.path(), &k).is_none());
    std::os::unix::fs::chown(&dir, Some(effective_uid().expect("uid")), None).expect("chown");
    assert!(Peers::join(root.path(), &k).is_some());
}
