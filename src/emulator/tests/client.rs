//! A small blocking HTTP client that signs calls the way the real client does, and can also
//! get them wrong on purpose.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

use crate::api::sign::{self, SignInput};
use crate::emulator::{Emulator, EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};

/// One call to build.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub action: String,
    pub body: Vec<u8>,
    pub secret_id: String,
    pub secret_key: String,
    pub service: String,
    pub timestamp: i64,
    pub version: String,
    pub region: Option<String>,
    /// Sign `content-type;host;x-tc-action` instead of `content-type;host`.
    pub sign_action_too: bool,
    /// Replaces the Authorization header.
    pub authorization: Option<String>,
    pub extra_headers: Vec<(String, String)>,
}

impl Call {
    pub(super) fn new(action: &str, body: Value) -> Call {
        Call {
            action: action.to_owned(),
            body: serde_json::to_vec(&body).unwrap(),
            secret_id: DEFAULT_SECRET_ID.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            service: "cfs".to_owned(),
            timestamp: now(),
            version: "2019-07-19".to_owned(),
            region: Some("ap-guangzhou".to_owned()),
            sign_action_too: false,
            authorization: None,
            extra_headers: Vec::new(),
        }
    }

    /// The raw request for `host`.
    pub(super) fn bytes(&self, host: &str) -> Vec<u8> {
        let ct = "application/json";
        let auth = self.authorization.clone().unwrap_or_else(|| {
            if self.sign_action_too {
                let date = sign::utc_date(self.timestamp);
                let (canonical, signed) = sign::canonical_request(
                    &[("Content-Type", ct), ("Host", host), ("X-TC-Action", &self.action)],
                    &self.body,
                );
                let sts = sign::string_to_sign(self.timestamp, &date, &self.service, &canonical);
                let sig = sign::signature(&self.secret_key, &date, &self.service, &sts);
                format!(
                    "TC3-HMAC-SHA256 Credential={}/{date}/{}/tc3_request, SignedHeaders={signed}, Signature={sig}",
                    self.secret_id, self.service
                )
            } else {
                sign::authorization(&SignInput {
                    secret_id: &self.secret_id,
                    secret_key: &self.secret_key,
                    service: &self.service,
                    host,
                    content_type: ct,
                    timestamp: self.timestamp,
                    payload: &self.body,
                })
            }
        });
        let mut head = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {ct}\r\nAuthorization: {auth}\r\n\
             X-TC-Action: {}\r\nX-TC-Version: {}\r\nX-TC-Timestamp: {}\r\nContent-Length: {}\r\n",
            self.action,
            self.version,
            self.timestamp,
            self.body.len()
        );
        if let Some(r) = &self.region {
            head.push_str(&format!("X-TC-Region: {r}\r\n"));
        }
        for (k, v) in &self.extra_headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

pub(super) fn now() -> i64 {
    crate::emulator::clock::wall_unix_secs()
}

/// A keep-alive connection to an emulator.
pub(super) struct Client {
    stream: TcpStream,
    host: String,
    /// Bytes read past the last answer (pipelining).
    buf: Vec<u8>,
}

impl Client {
    pub(super) fn connect(emu: &Emulator) -> Client {
        let stream = TcpStream::connect(emu.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            stream,
            host: emu.addr().to_string(),
            buf: Vec::new(),
        }
    }

    pub(super) fn set_read_timeout(&self, t: Duration) {
        self.stream.set_read_timeout(Some(t)).unwrap();
    }

    /// Sends a call and reads its answer: (status, JSON body).
    pub(super) fn send(&mut self, call: &Call) -> io::Result<(u16, Value)> {
        let bytes = call.bytes(&self.host);
        self.send_raw(&bytes)
    }

    /// Sends raw bytes and reads one answer.
    pub(super) fn send_raw(&mut self, bytes: &[u8]) -> io::Result<(u16, Value)> {
        self.stream.write_all(bytes)?;
        self.read_response()
    }

    /// Reads one answer; an error (or EOF) when the connection closes first.
    pub(super) fn read_response(&mut self) -> io::Result<(u16, Value)> {
        let mut buf = std::mem::take(&mut self.buf);
        let mut chunk = [0u8; 4096];
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            if let Ok(httparse::Status::Complete(n)) = resp.parse(&buf) {
                let len: usize = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                    .unwrap_or(0);
                let status = resp.code.unwrap();
                while buf.len() < n + len {
                    let got = self.stream.read(&mut chunk)?;
                    if got == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    buf.extend_from_slice(&chunk[..got]);
                }
                let body = &buf[n..n + len];
                let v = if body.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(body).unwrap()
                };
                self.buf = buf[n + len..].to_vec();
                return Ok((status, v));
            }
            let got = self.stream.read(&mut chunk)?;
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..got]);
        }
    }

    /// Sends a call and returns the `Response` object of a 200 answer.
    pub(super) fn call(&mut self, call: &Call) -> Value {
        let (status, v) = self.send(call).unwrap();
        assert_eq!(status, 200, "{v}");
        let r = v["Response"].clone();
        assert!(
            r["RequestId"].as_str().is_some_and(|id| id.len() == 36),
            "{v}"
        );
        r
    }
}

/// The error code of a `Response`, or "" on success.
pub(super) fn code(response: &Value) -> &str {
    response["Error"]["Code"].as_str().unwrap_or("")
}

/// A valid CreateDataFlow body.
pub(super) fn create_body(fs: &str, target: &str) -> Value {
    json!({
        "FileSystemId": fs,
        "SourceStorageType": "S3_COS",
        "SourceStorageAddress": "https://bucket-1251000004.cos.ap-guangzhou.myqcloud.com",
        "SourcePath": "/data/",
        "TargetPath": target,
        "SecretId": "AKIDsource",
        "SecretKey": "source-secret-key-value",
        "DataFlowName": "flow_1",
    })
}

/// A CreateDataFlow call.
pub(super) fn create(fs: &str, target: &str) -> Call {
    Call::new("CreateDataFlow", create_body(fs, target))
}

/// A DescribeDataFlow call.
pub(super) fn describe(body: Value) -> Call {
    Call::new("DescribeDataFlow", body)
}

/// An emulator with `rate: 0` unless the test sets it, and the rest of `config`.
pub(super) fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).unwrap()
}

/// Default settings, unlimited rate.
pub(super) fn unlimited() -> EmulatorConfig {
    EmulatorConfig {
        rate: 0,
        ..EmulatorConfig::default()
    }
}

/// Polls `f` every 10 ms until it is true or 5 s pass.
pub(super) fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A CreateLifecycleDataTask call with a TaskPath.
pub(super) fn create_task(fs: &str, task_type: &str, name: &str, path: &str) -> Call {
    Call::new(
        "CreateLifecycleDataTask",
        json!({"FileSystemId": fs, "Type": task_type, "TaskName": name, "TaskPath": path}),
    )
}

/// A DescribeLifecycleDataTask call: `body` plus a window of a day either side of now, written
/// in China Standard Time, unless `body` has its own.
pub(super) fn describe_tasks(mut body: Value) -> Call {
    let (start, end) = cst_window(86_400);
    let m = body.as_object_mut().unwrap();
    m.entry("StartTime").or_insert(Value::from(start));
    m.entry("EndTime").or_insert(Value::from(end));
    Call::new("DescribeLifecycleDataTask", body)
}

/// A StopLifecycleDataTask call.
pub(super) fn stop_task(id: &str) -> Call {
    Call::new("StopLifecycleDataTask", json!({"TaskId": id}))
}

/// `secs` either side of now, written in China Standard Time (UTC+8).
pub(super) fn cst_window(secs: i64) -> (String, String) {
    let cst = |t: i64| crate::emulator::clock::service_time(t);
    (cst(now() - secs), cst(now() + secs))
}

/// The `TaskId` of a create's answer.
pub(super) fn task_id(response: &Value) -> String {
    let id = response["TaskId"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"));
    id.to_owned()
}
