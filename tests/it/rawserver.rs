//! Tiny hostile or odd HTTP servers on `127.0.0.1:0`: each reads one request per connection,
//! records its bytes, and answers the way it was told. Every read and write is bounded in time,
//! and dropping the server stops it and its connections.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Longest a server spends reading one request.
const READ_LIMIT: Duration = Duration::from_secs(5);
/// Longest a server spends answering one request.
const ANSWER_LIMIT: Duration = Duration::from_secs(10);
/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// How a server answers, given the connection after the request was read.
pub type Answer = Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How a server answers, given the request it read and the connection.
type AnswerTo =
    Arc<dyn Fn(&[u8], TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// One raw server. Dropping it aborts the accept loop and every open connection.
pub struct RawServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Binds port 0 and serves every connection with `answer`.
    pub async fn start(answer: Answer) -> RawServer {
        RawServer::serve(Arc::new(move |_: &[u8], stream| answer(stream))).await
    }

    /// Answers each request by its `X-TC-Action` header: `answers` holds complete HTTP answers
    /// per action; any other action gets `other`.
    pub async fn by_action(answers: Vec<(&'static str, Vec<u8>)>, other: Vec<u8>) -> RawServer {
        let answers = Arc::new(answers);
        let other = Arc::new(other);
        RawServer::serve(Arc::new(move |request: &[u8], mut stream: TcpStream| {
            let parsed = parse(request);
            let action = parsed.all("X-TC-Action").first().map(|a| a.to_string());
            let bytes = answers
                .iter()
                .find(|(a, _)| Some(*a) == action.as_deref())
                .map_or_else(|| other.to_vec(), |(_, b)| b.clone());
            Box::pin(async move {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            })
        }))
        .await
    }

    /// Answers each request with the complete HTTP answer `answer` makes of it.
    pub async fn answering(
        answer: impl Fn(&Parsed) -> Vec<u8> + Send + Sync + 'static,
    ) -> RawServer {
        let answer = Arc::new(answer);
        RawServer::serve(Arc::new(move |request: &[u8], mut stream: TcpStream| {
            let bytes = answer(&parse(request));
            Box::pin(async move {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            })
        }))
        .await
    }

    async fn serve(answer: AnswerTo) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let recorded = Arc::clone(&recorded);
                let answer = Arc::clone(&answer);
                conns.spawn(async move {
                    let Ok(Some(request)) =
                        tokio::time::timeout(READ_LIMIT, read_request(&mut stream)).await
                    else {
                        return;
                    };
                    recorded.lock().unwrap().push(request.clone());
                    let _ = tokio::time::timeout(ANSWER_LIMIT, answer(&request, stream)).await;
                });
            }
        });
        RawServer {
            addr,
            requests,
            task,
        }
    }

    /// Answers every request with exactly `bytes`, then closes the connection.
    pub async fn canned(bytes: impl Into<Vec<u8>>) -> RawServer {
        let bytes: Arc<Vec<u8>> = Arc::new(bytes.into());
        RawServer::start(Arc::new(move |mut stream: TcpStream| {
            let bytes = Arc::clone(&bytes);
            Box::pin(async move {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            })
        }))
        .await
    }

    /// Answers with a status line, headers and a body (adds `Content-Length` and
    /// `Connection: close`).
    pub async fn http(status: &str, headers: &[(&str, &str)], body: &str) -> RawServer {
        RawServer::canned(response(status, headers, body)).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request read so far, in arrival order.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TLS server for `localhost` with a fresh self-signed certificate, which no client trusts. It
/// counts the connections it accepts and completes no request. Dropping it stops it.
pub struct SelfSignedTls {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SelfSignedTls {
    /// Binds `127.0.0.1:0` and serves TLS handshakes.
    pub async fn start() -> SelfSignedTls {
        use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        use tokio_rustls::rustls::{crypto::ring, ServerConfig};

        let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = key.cert.der().clone();
        let private =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], private)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    let _ = tokio::time::timeout(READ_LIMIT, acceptor.accept(stream)).await;
                });
            }
        });
        SelfSignedTls {
            addr,
            connections,
            task,
        }
    }

    /// `https://localhost:PORT`.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SelfSignedTls {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A complete HTTP/1.1 answer with `Content-Length` and `Connection: close`.
pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// Reads one request: the head up to the blank line and `Content-Length` bytes of body. `None`
/// when the connection ends first or the head is too large.
async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

/// A request split into its parts.
#[derive(Debug)]
pub struct Parsed {
    pub method: String,
    pub path: String,
    /// Names as sent, values as sent (trimmed of the separator's whitespace).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Parsed {
    /// Every value of header `name` (any case).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of header `name`; panics when it is missing or repeated.
    pub fn one(&self, name: &str) -> &str {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "header {name}: {all:?}");
        all[0]
    }
}

/// Parses a recorded request.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let status = req.parse(bytes).unwrap();
    let httparse::Status::Complete(head_len) = status else {
        panic!("incomplete request head");
    };
    Parsed {
        method: req.method.unwrap_or_default().to_owned(),
        path: req.path.unwrap_or_default().to_owned(),
        headers: req
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect(),
        body: bytes[head_len..].to_vec(),
    }
}
