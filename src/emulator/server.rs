//! The accept loop, and [`Emulator`]: an emulator on its own thread and runtime, for tests.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::api::DataFlowInfo;

use super::config::EmulatorConfig;
use super::conn::serve_connection;
use super::counters::Counters;
use super::flow::FlowRecord;
use super::shared::Shared;

/// Accepts connections on `listener` and serves each on its own task, until
/// [`Shared::shutdown`] is called.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let mut stopping = shared.stopping();
    loop {
        tokio::select! {
            _ = stopping.wait_for(|stop| *stop) => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(Arc::clone(&shared), stream));
                }
                // Out of descriptors, or a connection reset before it was accepted: go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// A running emulator on its own thread, with its own two-worker tokio runtime. Dropping it
/// stops it.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `config.listen` (port 0 picks one) and starts serving; returns once bound. Flows
    /// of `config.preexisting` that cannot be (a directory or an id twice) are an
    /// `InvalidInput` error naming the flow.
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        let shared =
            Shared::new(config).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = std::net::TcpListener::bind(shared.config().listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bulkflow-emulator")
            .enable_all()
            .build()?;
        let serving = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("bulkflow-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(listener) {
                        let _ = serve(listener, serving).await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Emulator {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// How many temporary credentials it issued (as the metadata service and STS).
    pub fn issued_credentials(&self) -> u64 {
        self.shared.issuer().issued()
    }

    /// The web identity tokens `AssumeRoleWithWebIdentity` received, oldest first.
    pub fn web_identity_tokens(&self) -> Vec<String> {
        self.shared.issuer().web_identity_tokens()
    }

    /// Every flow that exists (`deleting` ones too), listed or not yet, in creation order.
    pub fn flows(&self) -> Vec<DataFlowInfo> {
        self.shared.flows()
    }

    /// Every flow that exists, with what no listing shows: the SecretId it was created or last
    /// modified with, and how many ModifyDataFlow calls changed it, its keys, its password.
    pub fn flow_records(&self) -> Vec<FlowRecord> {
        self.shared.flow_records()
    }

    /// Stops accepting, ends open connections and the thread.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
