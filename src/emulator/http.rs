//! Just enough HTTP/1.1 over a tokio TCP stream: keep-alive, `Content-Length` bodies, and full
//! control of the connection (close with no response, hold it open).

use std::io;
use std::ops::Range;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest request head (request line and headers) read before answering 400.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted; a longer one is answered `RequestSizeLimitExceeded`.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
const MAX_HEADERS: usize = 64;
const READ_CHUNK: usize = 8 * 1024;

/// Where one request lies in the connection's buffer.
#[derive(Debug, Default)]
pub(crate) struct Head {
    post: bool,
    get: bool,
    root: bool,
    /// The request target, when it is UTF-8.
    path: String,
    keep_alive: bool,
    expect_continue: bool,
    headers: Vec<(Range<usize>, Range<usize>)>,
    body: Range<usize>,
}

/// One request, borrowed from the connection's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    buf: &'a [u8],
    head: &'a Head,
}

impl<'a> Request<'a> {
    /// The first value of header `name` (any case), as received.
    pub(crate) fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.head
            .headers
            .iter()
            .find(|(n, _)| self.buf[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &self.buf[v.clone()])
    }

    /// The first value of header `name` when it is UTF-8.
    pub(crate) fn header_str(&self, name: &str) -> Option<&'a str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The body bytes.
    pub(crate) fn body(&self) -> &'a [u8] {
        &self.buf[self.head.body.clone()]
    }

    /// Whether the method is `POST`.
    pub(crate) fn is_post(&self) -> bool {
        self.head.post
    }

    /// Whether the path is `/`.
    pub(crate) fn is_root(&self) -> bool {
        self.head.root
    }

    /// Whether the method is `GET` (the metadata service).
    pub(crate) fn is_get(&self) -> bool {
        self.head.get
    }

    /// The request target as sent.
    pub(crate) fn path(&self) -> &'a str {
        &self.head.path
    }
}

/// What reading the next request gave.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A complete request; see [`Conn::request`].
    Request(Head),
    /// The body is longer than [`MAX_BODY`]; the connection must close after the answer.
    TooLarge,
    /// Not HTTP we understand; answer 400 and close.
    Malformed,
    /// The client closed the connection between requests (or mid-request).
    Closed,
}

/// One client connection and its read buffer.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
    /// Bytes of the request last returned, dropped before reading the next.
    consumed: usize,
    out: Vec<u8>,
}

impl Conn {
    /// Wraps an accepted stream.
    pub(crate) fn new(stream: TcpStream) -> Self {
        let _ = stream.set_nodelay(true);
        Conn {
            stream,
            buf: vec![0; READ_CHUNK],
            filled: 0,
            consumed: 0,
            out: Vec::with_capacity(1024),
        }
    }

    /// Reads until one whole request is buffered.
    pub(crate) async fn next(&mut self) -> Incoming {
        if self.consumed > 0 {
            self.buf.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
        let (mut head, head_len, body_len) = loop {
            match parse_head(&self.buf[..self.filled]) {
                Parsed::Complete(head, len, body) => break (head, len, body),
                Parsed::Invalid => return Incoming::Malformed,
                Parsed::Partial if self.filled >= MAX_HEAD => return Incoming::Malformed,
                Parsed::Partial => {
                    if !self.fill().await {
                        return Incoming::Closed;
                    }
                }
            }
        };
        if body_len > MAX_BODY {
            return Incoming::TooLarge;
        }
        let end = head_len + body_len;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        if head.expect_continue && self.filled < end {
            // curl waits a second for this before sending a body over 1 KiB.
            if self
                .stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
            {
                return Incoming::Closed;
            }
        }
        while self.filled < end {
            if !self.fill().await {
                return Incoming::Closed;
            }
        }
        head.body = head_len..end;
        self.consumed = end;
        Incoming::Request(head)
    }

    /// The request `head` describes, borrowed from the buffer.
    pub(crate) fn request<'a>(&'a self, head: &'a Head) -> Request<'a> {
        Request {
            buf: &self.buf,
            head,
        }
    }

    /// Reads more bytes; false on EOF or error.
    async fn fill(&mut self) -> bool {
        if self.buf.len() - self.filled < READ_CHUNK / 2 {
            let grown = (self.buf.len() * 2).min(MAX_HEAD + MAX_BODY + READ_CHUNK);
            self.buf.resize(grown.max(self.filled + READ_CHUNK / 2), 0);
        }
        match self.stream.read(&mut self.buf[self.filled..]).await {
            Ok(n) if n > 0 => {
                self.filled += n;
                true
            }
            _ => false,
        }
    }

    /// Writes an answer with a JSON body; `close` adds `Connection: close`.
    pub(crate) async fn respond(
        &mut self,
        status: &str,
        body: &[u8],
        close: bool,
    ) -> io::Result<()> {
        self.out.clear();
        self.out.extend_from_slice(b"HTTP/1.1 ");
        self.out.extend_from_slice(status.as_bytes());
        self.out
            .extend_from_slice(b"\r\nContent-Type: application/json\r\nContent-Length: ");
        self.out
            .extend_from_slice(body.len().to_string().as_bytes());
        if close {
            self.out.extend_from_slice(b"\r\nConnection: close");
        }
        self.out.extend_from_slice(b"\r\n\r\n");
        self.out.extend_from_slice(body);
        self.stream.write_all(&self.out).await
    }

    /// Answers 400 with no body; the caller then drops the connection.
    pub(crate) async fn bad_request(&mut self) {
        let _ = self
            .stream
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await;
        let _ = self.stream.shutdown().await;
    }

    /// Reads and discards until the client closes the connection, an error, or `max` passes.
    pub(crate) async fn wait_for_close(&mut self, max: Duration) {
        let mut scratch = [0u8; 1024];
        let _ = tokio::time::timeout(max, async {
            while matches!(self.stream.read(&mut scratch).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// The outcome of parsing the buffered bytes.
enum Parsed {
    /// The head, its length, and the body length.
    Complete(Head, usize, usize),
    Partial,
    Invalid,
}

fn parse_head(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Invalid,
    };
    let base = buf.as_ptr() as usize;
    let offset = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        start..start + s.len()
    };
    let http11 = req.version == Some(1);
    let mut head = Head {
        post: req.method == Some("POST"),
        get: req.method == Some("GET"),
        root: req.path == Some("/"),
        path: req.path.unwrap_or_default().to_owned(),
        keep_alive: http11,
        expect_continue: false,
        headers: Vec::with_capacity(req.headers.len()),
        body: 0..0,
    };
    let mut content_length: Option<usize> = None;
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let Some(n) = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
            else {
                return Parsed::Invalid;
            };
            if content_length.is_some_and(|c| c != n) {
                return Parsed::Invalid;
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("expect") {
            head.expect_continue = h.value.eq_ignore_ascii_case(b"100-continue");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Invalid;
        } else if name.eq_ignore_ascii_case("connection") {
            let v = h.value.to_ascii_lowercase();
            if v.windows(5).any(|w| w == b"close") {
                head.keep_alive = false;
            } else if v.windows(10).any(|w| w == b"keep-alive") {
                head.keep_alive = true;
            }
        }
        head.headers
            .push((offset(name.as_bytes()), offset(h.value)));
    }
    Parsed::Complete(head, head_len, content_length.unwrap_or(0))
}

impl Head {
    /// True when the connection may serve another request after this one.
    pub(crate) fn keep_alive(&self) -> bool {
        self.keep_alive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_head_and_refuses_chunked() {
        let raw = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
        let Parsed::Complete(head, len, body) = parse_head(raw) else {
            panic!("complete")
        };
        assert!(head.post && head.root && head.keep_alive);
        assert_eq!((len, body), (raw.len() - 2, 2));
        assert!(matches!(
            parse_head(b"POST / HTTP/1.1\r\nHost: x\r\n"),
            Parsed::Partial
        ));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(parse_head(chunked), Parsed::Invalid));
        let bad_len = b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n";
        assert!(matches!(parse_head(bad_len), Parsed::Invalid));
        assert!(matches!(
            parse_head(b"\x00\x01garbage\r\n\r\n"),
            Parsed::Invalid
        ));
        let close = b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n";
        let Parsed::Complete(head, _, _) = parse_head(close) else {
            panic!("complete")
        };
        assert!(!head.post && !head.root && !head.keep_alive);
    }
}
