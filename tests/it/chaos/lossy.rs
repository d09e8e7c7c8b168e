//! A loopback proxy in front of an emulator that loses the answers a rule picks: the call
//! reaches the emulator and acts, and the client's connection is closed with no answer. A seed
//! decides faults by the order of arrival; this decides them by the call itself (lose the first
//! create of every directory), so that a test knows exactly which calls were lost.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

/// Longest the proxy waits for a read or a write.
const IO_LIMIT: Duration = Duration::from_secs(30);
/// Largest message the proxy reads.
const MAX_MESSAGE: usize = 4 << 20;

/// Decides, from a call's action (`X-TC-Action`) and its JSON body, whether its answer is lost.
pub type Rule = Arc<dyn Fn(&str, &Value) -> bool + Send + Sync>;

/// The proxy; dropping it stops accepting (connections already open end with their client).
pub struct LossyProxy {
    addr: SocketAddr,
    lost: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl LossyProxy {
    /// Listens on `127.0.0.1:0` and forwards every call to `upstream`.
    pub fn start(upstream: SocketAddr, rule: Rule) -> LossyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let lost = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (lost.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let (rule, lost) = (rule.clone(), l.clone());
                std::thread::spawn(move || {
                    let _ = relay(client, upstream, &rule, &lost);
                });
            }
        });
        LossyProxy {
            addr,
            lost,
            stop,
            accept: Some(accept),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers lost so far.
    pub fn lost(&self) -> usize {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Loses the answer to the first CreateDataFlow of each target path (as the client wrote it).
pub fn first_create_of_each_directory() -> Rule {
    let seen = Mutex::new(std::collections::HashSet::new());
    Arc::new(move |action, body| {
        action == "CreateDataFlow"
            && seen
                .lock()
                .unwrap()
                .insert(body["TargetPath"].as_str().unwrap_or("").to_owned())
    })
}

/// Relays the calls of one client connection, each over the same upstream connection, until
/// either side closes or an answer is lost.
fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    rule: &Rule,
    lost: &AtomicUsize,
) -> io::Result<()> {
    client.set_read_timeout(Some(IO_LIMIT))?;
    client.set_write_timeout(Some(IO_LIMIT))?;
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(IO_LIMIT))?;
    server.set_write_timeout(Some(IO_LIMIT))?;
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    loop {
        let Some((request, body)) = read_message(&mut client, &mut from_client)? else {
            return Ok(());
        };
        let action = header(&request, "x-tc-action").unwrap_or_default();
        let json: Value = serde_json::from_slice(&request[body..]).unwrap_or(Value::Null);
        server.write_all(&request)?;
        let Some((answer, _)) = read_message(&mut server, &mut from_server)? else {
            // The emulator closed it unanswered: so does the proxy.
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        };
        if rule(&action, &json) {
            lost.fetch_add(1, Ordering::SeqCst);
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        client.write_all(&answer)?;
    }
}

/// Reads one HTTP/1.1 message with a `Content-Length` body (or none); returns its bytes and
/// where its body starts, or `None` when the peer closed before a new message.
fn read_message(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head_len = end + 4;
            let len: usize = header(&buf[..head_len], "content-length")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < head_len + len {
                let n = s.read(&mut chunk)?;
                if n == 0 {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let message: Vec<u8> = buf.drain(..head_len + len).collect();
            return Ok(Some((message, head_len)));
        }
        if buf.len() > MAX_MESSAGE {
            return Err(io::Error::other("message too large"));
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The value of header `name` (lower case) in a message head.
fn header(head: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    text.split("\r\n").skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}
