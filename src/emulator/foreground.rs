//! `bulkflow emulator`: one emulator served in the foreground until a signal.

use std::io::Write;
use std::path::Path;

use super::config::EmulatorConfig;
use super::preexisting::{self, PreexistingError};
use super::server::serve;
use super::service::Service;

/// Why `bulkflow emulator` cannot serve, or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The `--preexisting` file cannot be read, or holds a flow that cannot be.
    #[error("--preexisting {0}")]
    Preexisting(#[from] PreexistingError),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the bound address: {0}")]
    Address(std::io::Error),
    /// Serving failed after it started.
    #[error("{0}")]
    Serve(std::io::Error),
}

/// Serves `config`, with the flows of the `preexisting` file, until SIGINT or SIGTERM. Prints
/// `listening on http://HOST:PORT` as the first line of stdout. An error before that (the file,
/// the runtime, the address) means nothing was served.
pub fn run(mut config: EmulatorConfig, preexisting: Option<&Path>) -> Result<(), EmulatorError> {
    if let Some(path) = preexisting {
        config.preexisting = preexisting::load(path)?;
    }
    let service = Service::new(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(EmulatorError::Runtime)?;
    let served = runtime.block_on(async move {
        let config = service.config();
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(EmulatorError::Address)?;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
        drop(out);
        eprintln!("{}", banner(config));
        let stopper = std::sync::Arc::clone(&service);
        tokio::spawn(async move {
            wait_for_signal().await;
            stopper.shutdown();
        });
        serve(listener, service).await.map_err(EmulatorError::Serve)
    });
    // Connections still open (a late create holds one) are dropped, not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    served
}

/// The line on stderr after `listening on`: what it accepts, naming the secret id only by its
/// first four characters (`AKID***`), as every log of bulkflow does.
pub(crate) fn banner(config: &EmulatorConfig) -> String {
    format!(
        "bulkflow emulator: accepting requests signed by secret id {} (rate {}/s per action, seed {}), and temporary credentials of {} s from its metadata service and STS",
        crate::secret::mask_id(&config.secret_id),
        config.rate,
        config.seed,
        config.token_ttl.as_secs()
    )
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
