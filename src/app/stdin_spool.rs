//! A manifest on stdin (`-`), copied to a private temporary file, because a run reads its
//! manifest more than once (validation, then one feed per pass) and stdin can be read only once.
//!
//! The copy may hold secrets (a `SecretKey` written in the manifest), so it is created readable
//! by its owner only (mode 600), hidden (`.bulkflow-stdin-XXXXXX.csv`), in the state file's
//! directory for a run (else `$TMPDIR`), and removed on every way out bulkflow controls: the
//! normal end, every error, a panic (the guard is dropped), and every stop signal. From before
//! the copy is made until the command's own handler listens (the run's graceful stop), a
//! SIGINT, SIGTERM or SIGHUP quits at once, exit 4 ([`watch_signals`]): nothing was sent yet.
//! After that, the second signal quits at once. A quit ends the process from the main thread
//! without the command's destructors, so it removes the copy first ([`remove_now`]). Only a
//! signal bulkflow does not catch (`SIGKILL`, `SIGQUIT`) or a crash of the process or of the
//! machine can leave it behind.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use tempfile::TempPath;

use crate::manifest::Format;
use crate::report::diag;

/// The copy now on disk, for [`remove_now`].
static SPOOLED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Set once the command's own stop handler listens: from then on it decides what a signal does.
static HANDED_OVER: AtomicBool = AtomicBool::new(false);

/// Whether the watcher of [`watch_signals`] listens (it is started once).
static WATCHING: OnceLock<bool> = OnceLock::new();

/// The temporary copy of stdin; removed when dropped.
#[derive(Debug)]
pub(super) struct Spool {
    path: Option<TempPath>,
}

impl Spool {
    /// Where the copy is.
    pub(super) fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        *SPOOLED.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if let Some(p) = self.path.take() {
            let _ = p.close();
        }
    }
}

/// Copies all of `input` into a new private file in `dir` whose extension says `format`.
pub(super) fn spool(input: &mut impl io::Read, dir: &Path, format: Format) -> io::Result<Spool> {
    let suffix = match format {
        Format::Csv => ".csv",
        Format::Jsonl => ".jsonl",
    };
    watch_signals();
    let mut file = tempfile::Builder::new()
        .prefix(".bulkflow-stdin-")
        .suffix(suffix)
        .tempfile_in(dir)?;
    // Registered before the first byte lands, so that a hard exit while copying removes it too.
    *SPOOLED.lock().unwrap_or_else(|p| p.into_inner()) = Some(file.path().to_owned());
    // Clears the registration if the copy fails (the file itself goes with `file`).
    let mut spool = Spool { path: None };
    io::copy(input, file.as_file_mut())?;
    file.as_file_mut().flush()?;
    spool.path = Some(file.into_temp_path());
    Ok(spool)
}

/// From now until [`hand_over`], a stop signal quits at once (exit 4; the copy, if any, is
/// removed): the command has sent nothing yet. A thread with its own small runtime listens, so that the copy,
/// which blocks on stdin, needs no care; it is started once, and returns once it listens.
fn watch_signals() {
    WATCHING.get_or_init(|| {
        let (ready, listening) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("bulkflow-stdin-signals".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let Ok(rt) = rt else {
                    let _ = ready.send(false);
                    return;
                };
                rt.block_on(async {
                    let Ok(mut signals) = crate::signals::StopSignals::listen() else {
                        let _ = ready.send(false);
                        return;
                    };
                    let _ = ready.send(true);
                    while let Some(name) = signals.recv().await {
                        if HANDED_OVER.load(Ordering::SeqCst) {
                            continue;
                        }
                        diag::warn(format_args!(
                            "{name}: stopped before the first call; nothing was sent"
                        ));
                        super::quit::quit();
                    }
                });
            });
        spawned.is_ok() && listening.recv().unwrap_or(false)
    });
}

/// The command's own stop handler listens now: signals are its to handle (the first stops the
/// run gracefully, the second quits at once).
pub(super) fn hand_over() {
    HANDED_OVER.store(true, Ordering::SeqCst);
}

/// The directory of the copy: the state file's for a run (kept with the run's other files, on
/// a disk the user chose), `$TMPDIR` when there is no state file (`validate`, a dry run).
pub(super) fn dir_for(state: Option<&Path>) -> PathBuf {
    match state.map(|s| s.parent().unwrap_or(Path::new(""))) {
        Some(dir) if dir.as_os_str().is_empty() => PathBuf::from("."),
        Some(dir) => dir.to_owned(),
        None => std::env::temp_dir(),
    }
}

/// Removes the copy now, for a way out that skips destructors (a quit).
pub(super) fn remove_now() {
    if let Some(p) = SPOOLED.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_is_private_and_goes_away() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = spool(&mut &b"a,b\n1,2\n"[..], dir.path(), Format::Csv).expect("spool");
        let path = spool.path().to_owned();
        assert_eq!(std::fs::read(&path).expect("read"), b"a,b\n1,2\n");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(
            name.starts_with(".bulkflow-stdin-") && name.ends_with(".csv"),
            "{name}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        drop(spool);
        assert!(!path.exists());

        // One test, as the registration is the process's: a hard exit removes the copy too.
        let spool = super::spool(&mut &b"{}\n"[..], dir.path(), Format::Jsonl).expect("spool");
        let path = spool.path().to_owned();
        assert!(path.exists());
        remove_now();
        assert!(!path.exists());
        drop(spool);
    }

    #[test]
    fn the_directory_is_the_state_files() {
        assert_eq!(dir_for(Some(Path::new("s.db"))), PathBuf::from("."));
        assert_eq!(dir_for(Some(Path::new("/x/y/s.db"))), PathBuf::from("/x/y"));
        assert_eq!(dir_for(None), std::env::temp_dir());
    }
}
