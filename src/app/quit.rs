//! Quitting at once: a handler of the second stop signal (or of the first, while stdin is still
//! being copied) tells the main thread, which ends the command with `Failure::Quit` (exit 4).
//! `stop` runs the command and listens; anyone may [`quit`].

use std::io::Write;
use std::sync::mpsc::Sender;
use std::sync::Mutex;

use super::failure::Outcome;

/// How the command's thread ended, or that it is to be left behind.
pub(super) enum Ended {
    Done(std::thread::Result<Outcome>),
    Quit,
}

/// Where [`quit`] tells the main thread; set while a command runs.
static QUIT: Mutex<Option<Sender<Ended>>> = Mutex::new(None);

/// From now on [`quit`] tells `tx`.
pub(super) fn listen(tx: Sender<Ended>) {
    *QUIT.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
}

/// Quits at once: the main thread returns `Failure::Quit`. The calls in flight are already
/// recorded as `unknown`, and the next run resolves them.
pub(super) fn quit() {
    let _ = std::io::stderr().flush();
    if let Some(tx) = QUIT.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        let _ = tx.send(Ended::Quit);
    }
}
