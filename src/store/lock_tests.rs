use super::*;

fn locked(path: &Path) -> bool {
    match acquire(path) {
        Err(StoreError::Locked { path: named }) => {
            assert_eq!(named, path, "the error names the state file as given");
            true
        }
        Ok(_) => false,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

#[test]
fn a_second_holder_is_refused_and_a_dropped_lock_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.db");
    let first = acquire(&state).unwrap();
    assert!(locked(&state));
    drop(first);
    acquire(&state).unwrap();
}

#[cfg(unix)]
#[test]
fn every_name_of_the_state_file_meets_the_same_lock() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.db");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let first = acquire(&state).unwrap();

    let symlink = dir.path().join("link.db");
    std::os::unix::fs::symlink(&state, &symlink).unwrap();
    let linked_dir = dir.path().join("elsewhere");
    std::os::unix::fs::symlink(dir.path(), &linked_dir).unwrap();
    let mut names = vec![
        symlink,
        dir.path().join(".").join("s.db"),
        dir.path().join("sub").join("..").join("s.db"),
        linked_dir.join("s.db"),
    ];
    if cfg!(any(target_os = "linux", target_os = "android")) {
        let hard = dir.path().join("hard.db");
        std::fs::hard_link(&state, &hard).unwrap();
        names.push(hard);
    }
    for name in &names {
        assert!(locked(name), "{} got the lock", name.display());
    }
    drop(first);
    for name in &names {
        drop(acquire(name).unwrap());
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use super::*;
    use crate::store::open;

    /// The kinds (`FLOCK`, `POSIX`) of the locks this process holds on `path`, from /proc/locks.
    /// The kinds of lock this process holds on the file, each once (SQLite may hold its POSIX
    /// locks on more than one byte range at a moment: they are one kind).
    ///
    /// /proc/locks is generated a page at a time: while other tests take and drop locks, a read
    /// can skip a line that was there all along. So it is read a few times and what any read
    /// saw counts (a lock that is really gone is in none of them).
    fn lock_kinds(path: &Path) -> Vec<String> {
        let ino = std::fs::metadata(path).unwrap().ino();
        let pid = std::process::id().to_string();
        let inode = format!(":{ino}");
        let mut kinds: Vec<String> = (0..5)
            .flat_map(|_| {
                std::fs::read_to_string("/proc/locks")
                    .unwrap()
                    .lines()
                    .filter_map(|l| {
                        let f: Vec<&str> = l.split_whitespace().collect();
                        let ours = f.len() > 5 && f[4] == pid && f[5].ends_with(&inode);
                        ours.then(|| f[1].to_owned())
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    #[test]
    fn the_lock_is_a_flock_on_the_state_file_created_private() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let _lock = acquire(&state).unwrap();
        assert_eq!(lock_kinds(&state), ["FLOCK"]);
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!lock_path(&state).exists(), "no lock file beside it");
    }

    #[test]
    fn sqlite_closing_its_descriptors_keeps_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let lock = acquire(&state).unwrap();
        let conn = open(&state, true).unwrap();
        conn.execute_batch(
            "INSERT INTO runs (started_at_ms, manifest, manifest_rows) VALUES (1, 'm', 1)",
        )
        .unwrap();
        drop(conn);
        assert!(locked(&state));
        drop(lock);
    }

    #[test]
    fn releasing_the_lock_leaves_sqlites_own_locks_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let conn = open(&state, true).unwrap();
        // In WAL mode an open connection keeps a POSIX read lock on the database file.
        assert_eq!(lock_kinds(&state), ["POSIX"]);
        let lock = acquire(&state).unwrap();
        assert!(locked(&state));
        drop(lock);
        assert_eq!(
            lock_kinds(&state),
            ["POSIX"],
            "closing the lock's descriptor dropped SQLite's lock"
        );
        let id = {
            let m = std::fs::metadata(&state).unwrap();
            (m.dev(), m.ino())
        };
        assert_eq!(imp::parked_count(id), 2, "both descriptors wait, unlocked");
        drop(conn);
        drop(acquire(&state).unwrap());
        assert_eq!(imp::parked_count(id), 0, "closed once SQLite let go");
    }

    #[test]
    fn a_state_file_that_may_not_be_written_is_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        drop(open(&state, true).unwrap());
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o400)).unwrap();
        if std::fs::OpenOptions::new().write(true).open(&state).is_ok() {
            eprintln!("skipped: this process may write any file (root); tests/it/trust.rs checks it without the privilege");
            return;
        }
        let e = acquire(&state).unwrap_err();
        assert!(matches!(e, StoreError::ReadOnly(_)), "{e:?}");
        assert!(e
            .to_string()
            .starts_with(&format!("{} is read-only", state.display())));
    }
}
