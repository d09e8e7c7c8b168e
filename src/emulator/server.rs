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
use super::counters::TaskCounters;
use super::flow::FlowRecord;
use super::service::Service;
use super::tasks::{NewTask, TaskRecord};

/// Accepts connections on `listener` and serves each on its own task, until
/// [`Service::shutdown`] is called.
pub async fn serve(listener: TcpListener, service: Arc<Service>) -> io::Result<()> {
    let mut stopping = service.stopping();
    loop {
        tokio::select! {
            _ = stopping.wait_for(|stop| *stop) => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(Arc::clone(&service), stream));
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
    service: Arc<Service>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `config.listen` (port 0 picks one) and starts serving; returns once bound. Flows
    /// of `config.preexisting` that cannot be (a directory or an id twice) are an
    /// `InvalidInput` error naming the flow.
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        let service =
            Service::new(config).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = std::net::TcpListener::bind(service.config().listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bulkflow-emulator")
            .enable_all()
            .build()?;
        let serving = Arc::clone(&service);
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
            service,
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
        self.service.counters()
    }

    /// How many temporary credentials it issued (as the metadata service and STS).
    pub fn issued_credentials(&self) -> u64 {
        self.service.issuer().issued()
    }

    /// The web identity tokens `AssumeRoleWithWebIdentity` received, oldest first.
    pub fn web_identity_tokens(&self) -> Vec<String> {
        self.service.issuer().web_identity_tokens()
    }

    /// Every flow that exists (`deleting` ones too), listed or not yet, in creation order.
    pub fn flows(&self) -> Vec<DataFlowInfo> {
        self.service.flows()
    }

    /// Every flow that exists, with what no listing shows: the SecretId it was created or last
    /// modified with, and how many ModifyDataFlow calls changed it, its keys, its password.
    pub fn flow_records(&self) -> Vec<FlowRecord> {
        self.service.flow_records()
    }

    /// A snapshot of the data-task counters.
    pub fn task_counters(&self) -> TaskCounters {
        self.service.task_counters()
    }

    /// Every data task (ended ones too), listed or not yet, in creation order: id, name, file
    /// system, path, type, flow, status, files and bytes, and how often a stop named it.
    pub fn tasks(&self) -> Vec<TaskRecord> {
        self.service.tasks()
    }

    /// Makes a data task directly, as another client of the account would (for tests that
    /// check a client never touches a task it did not start): no call, no fault, listed at
    /// once; its flow (when it names one) must be `available` and its file system's queue have
    /// room. Its id, or `"Code: message"` as a create would be answered.
    pub fn add_task(&self, new: NewTask) -> Result<String, String> {
        self.service.add_task(new)
    }

    /// Moves the emulator's time forward by `by`: flows' Status life, tasks' progress and the
    /// times it writes (`CreationTime`, `FinishTime`) go on as if that much time had passed; the
    /// signature check keeps the real time.
    pub fn fast_forward(&self, by: Duration) {
        self.service.fast_forward(by);
    }

    /// Stops accepting, ends open connections and the thread.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.service.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
