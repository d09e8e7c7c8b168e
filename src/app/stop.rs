//! What a stop signal (SIGINT, SIGTERM, SIGHUP) does to a command: the first stops it
//! gracefully, the second quits at once. Quitting is `app::main`'s to do: the command runs on a
//! thread of its own ([`run_until_quit`]), and a handler that quits tells the main thread
//! ([`quit`]), which returns [`Failure::Quit`] (exit 4) whatever the command is doing. Nothing
//! but `main` ends the process.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use tokio_util::sync::CancellationToken;

use super::failure::{Failure, Outcome};
use super::quit::{self, quit, Ended};
use super::stdin_spool;
use crate::report::diag;

/// The command's stack: what the main thread would have had.
const STACK: usize = 8 << 20;

/// Runs `command` on a thread of its own until it ends or [`quit`] is called; a panic in it
/// goes on here.
pub(super) fn run_until_quit(command: impl FnOnce() -> Outcome + Send + 'static) -> Outcome {
    let (tx, rx) = mpsc::channel();
    quit::listen(tx.clone());
    let spawned = std::thread::Builder::new()
        .name("bulkflow".into())
        .stack_size(STACK)
        .spawn(move || {
            let ended = panic::catch_unwind(AssertUnwindSafe(command));
            let _ = tx.send(Ended::Done(ended));
        });
    let worker = match spawned {
        Ok(w) => w,
        Err(e) => {
            return Err(Failure::Usage(format!(
                "cannot start the command's thread: {e}"
            )))
        }
    };
    match rx.recv() {
        Ok(Ended::Done(Ok(outcome))) => {
            let _ = worker.join();
            outcome
        }
        Ok(Ended::Done(Err(panicked))) => panic::resume_unwind(panicked),
        Ok(Ended::Quit) | Err(_) => {
            // What `exit` skips: the copy of a manifest read from stdin goes now.
            stdin_spool::remove_now();
            Err(Failure::Quit)
        }
    }
}

/// First Ctrl-C, SIGTERM or SIGHUP: stop starting calls and finish those in flight. Second: quit
/// at once. After a hangup stderr may be gone: what is said here may be lost, never panics.
///
/// The handlers are installed before this returns (call it inside the runtime), so that a
/// command starts its work only once they listen; the future it returns does the watching.
pub(super) fn watch_signals(cancel: CancellationToken) -> impl std::future::Future<Output = ()> {
    let signals = crate::signals::StopSignals::listen().ok();
    if signals.is_some() {
        // From here on a signal is this handler's, not the stdin copy's watcher's.
        stdin_spool::hand_over();
    }
    async move {
        let Some(mut signals) = signals else {
            return;
        };
        for n in 0..2 {
            let Some(name) = signals.recv().await else {
                return;
            };
            if n == 0 {
                cancel.cancel();
                diag::warn(format_args!(
                    "{name}: stopping: finishing the calls in flight (again to quit at once)"
                ));
            } else {
                diag::warn(format_args!("{name}: quitting at once; the rows in flight are `unknown` and the next run resolves them"));
                quit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::ExitCode;

    /// One test: the quit channel is the process's.
    #[test]
    fn a_command_ends_with_its_outcome_its_panic_or_a_quit() {
        assert!(run_until_quit(|| Ok(())).is_ok());
        let failed = run_until_quit(|| Err(Failure::Outcome(ExitCode::FailedRows)));
        assert_eq!(failed.map_err(|f| f.exit_code()), Err(ExitCode::FailedRows));
        let panicked = panic::catch_unwind(|| run_until_quit(|| panic!("the command's own")));
        let payload = panicked.map(|_| ()).unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"the command's own"));
        // A command that never ends: the quit ends the wait.
        let (started, wait) = mpsc::channel();
        let quitter = std::thread::spawn(move || {
            let _ = wait.recv();
            quit();
        });
        let quitted = run_until_quit(move || {
            let _ = started.send(());
            loop {
                std::thread::park();
            }
        });
        assert!(matches!(quitted, Err(Failure::Quit)));
        quitter.join().expect("quitter");
    }
}
