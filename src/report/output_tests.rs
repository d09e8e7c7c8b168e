use super::*;

struct Files {
    dir: tempfile::TempDir,
    state: PathBuf,
    manifest: PathBuf,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let manifest = dir.path().join("m.jsonl");
        std::fs::write(&state, "state").unwrap();
        std::fs::write(&manifest, "manifest").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        Files {
            dir,
            state,
            manifest,
        }
    }

    fn at(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn check(&self, out: &Path) -> Result<(), String> {
        let mut protected = state_files(&self.state);
        protected.push(self.manifest.clone());
        let protected: Vec<&Path> = protected.iter().map(PathBuf::as_path).collect();
        check_output_path(out, &protected)
    }
}

#[test]
fn every_name_of_a_needed_file_is_refused() {
    let f = Files::new();
    let mut refused = vec![
        f.state.clone(),
        f.manifest.clone(),
        f.at("./s.db"),
        f.at("sub/../s.db"),
        // Files that do not exist (yet): the same path is enough.
        f.at("s.db-wal"),
        f.at("sub/../s.db-shm"),
        f.at("s.db-journal"),
        f.at("s.db.lock"),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&f.state, f.at("link.db")).unwrap();
        std::os::unix::fs::symlink(f.at("s.db-wal"), f.at("dangling")).unwrap();
        std::os::unix::fs::symlink(f.dir.path(), f.at("elsewhere")).unwrap();
        std::fs::hard_link(&f.manifest, f.at("hard.jsonl")).unwrap();
        refused.extend([
            f.at("link.db"),
            f.at("dangling"),
            f.at("elsewhere/m.jsonl"),
            f.at("elsewhere/s.db-wal"),
            f.at("hard.jsonl"),
        ]);
    }
    for out in &refused {
        let e = f.check(out).expect_err(&out.display().to_string());
        assert!(e.contains("refusing to write there"), "{e}");
        assert!(e.starts_with(&out.display().to_string()), "{e}");
    }
}

#[test]
fn other_files_are_fine() {
    let f = Files::new();
    std::fs::write(f.at("old.csv"), "old").unwrap();
    for out in [
        f.at("report.csv"),
        f.at("old.csv"),
        f.at("sub/s.db"),
        f.at("s.db.csv"),
        f.at("no/such/dir/r.csv"),
    ] {
        f.check(&out).unwrap();
    }
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_temporary_one() {
    let f = Files::new();
    let out = f.at("report.csv");
    std::fs::write(&out, "the good report\n").unwrap();
    let result = write_atomically(&out, |w| {
        w.write_all(b"half a rep").map_err(|e| e.to_string())?;
        Err("the state file went away".to_owned())
    });
    assert!(matches!(result, Err(OutputError::Content(_))), "{result:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "the good report\n");
    let names: Vec<String> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_good_write_replaces_the_file() {
    let f = Files::new();
    let out = f.at("report.csv");
    std::fs::write(&out, "old, and longer than the new one\n").unwrap();
    write_atomically(&out, |w| w.write_all(b"new\n")).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
    write_atomically(&f.at("fresh.csv"), |w| w.write_all(b"x")).unwrap();
    assert_eq!(std::fs::read_to_string(f.at("fresh.csv")).unwrap(), "x");
}

#[cfg(unix)]
#[test]
fn a_symlink_is_followed_and_keeps_pointing_at_the_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let f = Files::new();
    let real = f.at("sub/real.csv");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&real, f.at("link.csv")).unwrap();
    write_atomically(&f.at("link.csv"), |w| w.write_all(b"new")).unwrap();
    assert!(std::fs::symlink_metadata(f.at("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "the replaced file keeps its mode");
}

#[cfg(unix)]
#[test]
fn a_device_is_written_in_place_and_a_directory_refused() {
    write_atomically(Path::new("/dev/null"), |w| w.write_all(b"gone")).unwrap();
    let f = Files::new();
    let e = write_atomically(&f.at("sub"), |w| w.write_all(b"x")).unwrap_err();
    assert!(matches!(e, OutputError::File { .. }), "{e:?}");
    assert!(f.at("sub").is_dir());
}
