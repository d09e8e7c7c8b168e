//! The signals that stop a run: SIGINT (Ctrl-C), SIGTERM, and SIGHUP (the terminal or the ssh
//! session closed). A run ended by a hangup would otherwise die without its summary and leave its
//! calls in flight `unknown`. A SIGHUP ignored when bulkflow starts (`nohup bulkflow run ...`)
//! stays ignored: that is what the user asked for.

/// Listens for the stop signals from its creation on.
pub struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers; call it inside a tokio runtime.
    #[cfg(unix)]
    pub fn listen() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let hup = if ignored(&status, 1) {
            None
        } else {
            Some(signal(SignalKind::hangup())?)
        };
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup,
        })
    }

    /// Installs the handlers; call it inside a tokio runtime.
    #[cfg(not(unix))]
    pub fn listen() -> std::io::Result<StopSignals> {
        Ok(StopSignals {})
    }

    /// Waits for the next stop signal and names it; `None` when none can come any more.
    #[cfg(unix)]
    pub async fn recv(&mut self) -> Option<&'static str> {
        let hup = async {
            match &mut self.hup {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(()) = self.term.recv() => Some("SIGTERM"),
            Some(()) = self.int.recv() => Some("SIGINT"),
            Some(()) = hup => Some("SIGHUP"),
            else => None,
        }
    }

    /// Waits for the next stop signal and names it; `None` when none can come any more.
    #[cfg(not(unix))]
    pub async fn recv(&mut self) -> Option<&'static str> {
        tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
    }
}

/// Whether signal `signum` is ignored, by the `SigIgn` mask of a `/proc/PID/status` text (Linux).
/// Where there is no such text, no signal counts as ignored.
pub fn ignored(status: &str, signum: u32) -> bool {
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    (1..=64).contains(&signum) && mask & (1 << (signum - 1)) != 0
}

#[cfg(test)]
mod tests {
    use super::ignored;

    #[test]
    fn the_ignored_mask_is_read_from_proc_status() {
        let nohup = "Name:\tbulkflow\nSigQ:\t0/63\nSigPnd:\t0000000000000000\nSigIgn:\t0000000000000001\nSigCgt:\t0000000000000400\n";
        assert!(ignored(nohup, 1), "SIGHUP under nohup");
        assert!(!ignored(nohup, 2), "SIGINT");
        assert!(!ignored(nohup, 15), "SIGTERM");
        let bg = "SigIgn:\t0000000000000006\n";
        assert!(!ignored(bg, 1) && ignored(bg, 2) && ignored(bg, 3));
        assert!(ignored("SigIgn:\t8000000000000000\n", 64));
        for garbage in ["", "SigIgn:\tzz\n", "SigIgn:\n", "SigIgn:\t1\n"] {
            assert!(!ignored(garbage, 0) && !ignored(garbage, 65) && !ignored(garbage, 2));
        }
    }
}
