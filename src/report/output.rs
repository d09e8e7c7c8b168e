//! Files a person names for bulkflow to write (`report --output`, and any later `--summary-file`
//! or `--metrics-file`): never one of the files bulkflow reads or needs, and never left half
//! written.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::lock_path;

/// The files that go with a state file: itself, SQLite's `-wal`, `-shm` and `-journal`, and the
/// `.lock` of earlier versions. No output may land on any of them.
pub fn state_files(state: &Path) -> Vec<PathBuf> {
    let with = |suffix: &str| {
        let mut s = state.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    vec![
        state.to_owned(),
        with("-wal"),
        with("-shm"),
        with("-journal"),
        lock_path(state),
    ]
}

/// Refuses `out` when it is one of `protected`: the same file (device and inode) when both
/// exist, or the same path once symlinks, `.` and `..` are resolved when one does not exist yet.
/// Checked before anything is written; the message names both.
pub fn check_output_path(out: &Path, protected: &[&Path]) -> Result<(), String> {
    let out_id = identity(out);
    let out_path = resolve(out);
    for p in protected {
        let same_file = matches!((out_id, identity(p)), (Some(a), Some(b)) if a == b);
        if same_file || out_path == resolve(p) {
            return Err(format!(
                "{}: refusing to write there: it is the same file as {}, which bulkflow needs; choose another file",
                out.display(),
                p.display()
            ));
        }
    }
    Ok(())
}

/// Writes `out` whole or not at all: into a temporary file beside it, synced and then renamed
/// over it, so a failure leaves the file that was there (the temporary file is removed). A
/// symlink is followed and the file it names replaced; a FIFO or a device (`/dev/stdout`) is
/// written directly, as there is nothing to replace.
pub fn write_atomically<E>(
    out: &Path,
    write: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), OutputError<E>> {
    let file_err = |path: &Path| {
        let path = path.to_owned();
        move |source| OutputError::File { path, source }
    };
    if let Ok(m) = std::fs::metadata(out) {
        if m.is_dir() {
            let source = io::Error::new(io::ErrorKind::IsADirectory, "is a directory");
            return Err(file_err(out)(source));
        }
        if !m.is_file() {
            let mut f = OpenOptions::new()
                .write(true)
                .open(out)
                .map_err(file_err(out))?;
            write(&mut f).map_err(OutputError::Content)?;
            return f.flush().map_err(file_err(out));
        }
    }
    let target = resolve(out);
    let temp = temp_beside(&target);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(file_err(&temp))?;
    let result = (|| {
        if let Ok(m) = std::fs::metadata(&target) {
            f.set_permissions(m.permissions())
                .map_err(file_err(&temp))?;
        }
        write(&mut f).map_err(OutputError::Content)?;
        f.sync_all().map_err(file_err(&temp))?;
        std::fs::rename(&temp, &target).map_err(file_err(out))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Why [`write_atomically`] failed: the file itself, or the content's writer.
#[derive(Debug, thiserror::Error)]
pub enum OutputError<E> {
    #[error("{}: {source}", .path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Content(E),
}

/// `.NAME.PID-N.tmp` beside `target`: unique in this process, and hidden.
fn temp_beside(target: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = format!(".{name}.{}-{n}.tmp", std::process::id());
    match target.parent() {
        Some(dir) => dir.join(temp),
        None => PathBuf::from(temp),
    }
}

/// Device and inode (elsewhere: none) of the file `path` names, following symlinks.
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// `path` absolute, with every symlink followed (a dangling one too) and `.`/`..` resolved,
/// whether or not the file exists.
fn resolve(path: &Path) -> PathBuf {
    let mut path = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_owned(),
    };
    for _ in 0..40 {
        if let Ok(c) = std::fs::canonicalize(&path) {
            return c;
        }
        match std::fs::read_link(&path) {
            Ok(target) => path = path.parent().unwrap_or(Path::new("/")).join(target),
            Err(_) => break,
        }
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => resolve_dir(dir).join(name),
        _ => resolve_dir(&path),
    }
}

/// A directory, canonical as far as it exists, lexically cleaned beyond.
fn resolve_dir(dir: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(dir) {
        return c;
    }
    let parent = dir.parent().unwrap_or(Path::new("/"));
    match dir.components().next_back() {
        Some(Component::ParentDir) => {
            let mut p = resolve_dir(parent);
            p.pop();
            p
        }
        Some(Component::Normal(name)) => resolve_dir(parent).join(name),
        _ => dir.to_owned(),
    }
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
