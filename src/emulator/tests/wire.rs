//! HTTP itself: keep-alive, pipelining, malformed and oversized requests never crash it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

use super::client::*;

fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn malformed_requests_get_400_and_a_closed_connection() {
    let emu = start(unlimited());
    for bad in [
        &b"NOT HTTP AT ALL\r\n\r\n"[..],
        b"\xff\xfe\x00\x01\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ] {
        let out = raw_exchange(emu.addr(), bad);
        assert!(
            out.starts_with(b"HTTP/1.1 400"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    let mut huge = b"POST / HTTP/1.1\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 100 * 1024));
    let out = raw_exchange(emu.addr(), &huge);
    assert!(out.starts_with(b"HTTP/1.1 400"));
    let mut many = b"POST / HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        many.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert!(raw_exchange(emu.addr(), &many).starts_with(b"HTTP/1.1 400"));
    // Still serving.
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&describe(json!({})))), "");
}

#[test]
fn oversized_body_is_refused() {
    let emu = start(unlimited());
    let mut call = create("cfs-1", "/cfs/a");
    call.body = vec![b' '; 1024 * 1024 + 1];
    let mut c = Client::connect(&emu);
    let (status, v) = c.send(&call).unwrap();
    assert_eq!(status, 200);
    assert_eq!(code(&v["Response"]), "RequestSizeLimitExceeded");
    assert_eq!(emu.counters().rejected, 1);
}

#[test]
fn wrong_method_or_path() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let (status, _) = c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(status, 405);
    let (status, _) = c
        .send_raw(b"POST /v2 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        .unwrap();
    assert_eq!(status, 404);
    assert_eq!(code(&c.call(&describe(json!({})))), "");
}

#[test]
fn keep_alive_pipelining_and_connection_close() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let host = emu.addr().to_string();
    let mut two = create("cfs-1", "/cfs/a").bytes(&host);
    two.extend(create("cfs-1", "/cfs/b").bytes(&host));
    let (_, first) = c.send_raw(&two).unwrap();
    let (_, second) = c.read_response().unwrap();
    assert_eq!(code(&first["Response"]), "");
    assert_eq!(code(&second["Response"]), "");
    assert_eq!(emu.flows().len(), 2);

    let mut closing = describe(json!({}));
    closing
        .extra_headers
        .push(("Connection".into(), "close".into()));
    let out = raw_exchange(emu.addr(), &closing.bytes(&host));
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Type: application/json\r\n"));
    assert!(text.contains("\"TotalCount\":2"));
}

#[test]
fn shutdown_stops_accepting() {
    let emu = start(unlimited());
    let addr = emu.addr();
    assert!(emu.url().starts_with("http://127.0.0.1:"));
    emu.shutdown();
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn shutdown_does_not_wait_for_a_held_connection() {
    let emu = start(crate::emulator::EmulatorConfig {
        late_create: 1.0,
        ..unlimited()
    });
    let mut c = Client::connect(&emu);
    c.set_read_timeout(Duration::from_millis(100));
    assert!(c.send(&create("cfs-1", "/cfs/a")).is_err());
    let t0 = std::time::Instant::now();
    emu.shutdown();
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(c.read_response().is_err());
}

#[test]
fn expect_continue_gets_100_before_the_body() {
    let emu = start(unlimited());
    let mut c = Client::connect(&emu);
    let mut call = describe(json!({}));
    call.extra_headers
        .push(("Expect".into(), "100-continue".into()));
    let bytes = call.bytes(&emu.addr().to_string());
    let (head, body) = bytes.split_at(bytes.len() - call.body.len());
    let (status, _) = c.send_raw(head).unwrap();
    assert_eq!(status, 100);
    let (status, v) = c.send_raw(body).unwrap();
    assert_eq!(status, 200);
    assert_eq!(v["Response"]["TotalCount"], 0);
}

#[test]
fn mutated_requests_never_crash() {
    use rand::{RngExt, SeedableRng};
    let emu = start(unlimited());
    let host = emu.addr().to_string();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let valid = create("cfs-1", "/cfs/a").bytes(&host);
    for _ in 0..300 {
        let mut bytes = valid.clone();
        for _ in 0..rng.random_range(1..6) {
            let i = rng.random_range(0..bytes.len());
            match rng.random_range(0..3) {
                0 => bytes[i] = rng.random(),
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, rng.random()),
            }
        }
        let mut s = TcpStream::connect(emu.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(&bytes);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(out.is_empty() || out.starts_with(b"HTTP/1.1 "));
    }
    let mut c = Client::connect(&emu);
    assert_eq!(code(&c.call(&describe(json!({})))), "");
}
