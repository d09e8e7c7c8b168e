//! Driving the real `bulkflow` binary: an emulator child process, and commands run with a clean
//! environment and a hard timeout so that no test can hang.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_bulkflow");

/// The API credentials every emulator of these tests checks signatures against.
pub const API_ID: &str = "AKIDbinarytest";
pub const API_KEY: &str = "APIKEY-binary-Secret-9d4e1f";

/// How long one command may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A `bulkflow emulator` child process; killed when dropped.
pub struct EmulatorProc {
    child: Child,
    pub url: String,
    // Keeps the pipe open (and drained) so that the emulator never blocks or dies on a write.
    _drain: JoinHandle<()>,
}

impl EmulatorProc {
    /// Starts `bulkflow emulator --listen 127.0.0.1:0 --secret-id API_ID --secret-key API_KEY
    /// FLAGS` and waits for its `listening on URL` line.
    pub fn start(flags: &[&str]) -> EmulatorProc {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--secret-id",
            API_ID,
            "--secret-key",
            API_KEY,
        ])
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        clean_env(&mut cmd);
        let mut child = cmd.spawn().expect("spawn the emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let drain = std::thread::spawn(move || first_line_then_drain(stdout, tx));
        let line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the emulator printed no first line: {e}");
            }
        };
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the emulator: {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        EmulatorProc {
            child,
            url,
            _drain: drain,
        }
    }
}

fn first_line_then_drain(stdout: ChildStdout, tx: std::sync::mpsc::Sender<String>) {
    let mut r = BufReader::new(stdout);
    let mut line = String::new();
    let _ = r.read_line(&mut line);
    let _ = tx.send(line);
    let _ = std::io::copy(&mut r, &mut std::io::sink());
}

impl Drop for EmulatorProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished command left.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The raw bytes, for checks of control characters and secrets.
    pub raw: Vec<u8>,
}

impl Output {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Removes everything from the environment that could change what the binary does, and points
/// HOME at `home` (so no real `~/.tccli` is read).
pub fn clean_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("TENCENTCLOUD_")
            || k.starts_with("BULKFLOW_")
            || k.starts_with("TKE_")
            || k == "TCCLI_PROFILE"
            || k == "CI"
            || k == "NO_COLOR"
        {
            cmd.env_remove(&k);
        }
    }
    cmd.env_remove("RUST_LOG");
}

/// A `bulkflow` command in flight.
pub struct Running {
    child: Child,
    out: Option<JoinHandle<Vec<u8>>>,
    err: Option<JoinHandle<Vec<u8>>>,
    stdin: Option<std::process::ChildStdin>,
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Starts `bulkflow ARGS` with a clean environment plus `env`, HOME set to `home`.
pub fn spawn<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)], home: &Path) -> Running {
    spawn_through(&[], args, env, home)
}

/// [`spawn`], through `wrapper` (a program and its arguments that execs the rest of its command
/// line, such as `nohup` or `setpriv ... --`).
pub fn spawn_through<S: AsRef<OsStr>>(
    wrapper: &[&str],
    args: &[S],
    env: &[(&str, &str)],
    home: &Path,
) -> Running {
    spawn_fed(wrapper, args, env, home, None, false)
}

/// [`spawn`] with `input` written to its stdin (then closed).
pub fn spawn_with_stdin<S: AsRef<OsStr>>(
    args: &[S],
    env: &[(&str, &str)],
    home: &Path,
    input: Vec<u8>,
) -> Running {
    spawn_fed(&[], args, env, home, Some(input), false)
}

/// [`spawn`] with its stdin a pipe that the caller writes to, and closes when it wants (or
/// never: a stdin that does not end).
pub fn spawn_piped<S: AsRef<OsStr>>(
    args: &[S],
    env: &[(&str, &str)],
    home: &Path,
) -> (Running, std::process::ChildStdin) {
    let mut running = spawn_fed(&[], args, env, home, Some(Vec::new()), true);
    let stdin = running.stdin.take().expect("a piped stdin");
    (running, stdin)
}

fn spawn_fed<S: AsRef<OsStr>>(
    wrapper: &[&str],
    args: &[S],
    env: &[(&str, &str)],
    home: &Path,
    input: Option<Vec<u8>>,
    keep_open: bool,
) -> Running {
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut cmd = Command::new(program);
            cmd.args(rest).arg(BIN);
            cmd
        }
        None => Command::new(BIN),
    };
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut cmd);
    cmd.env("HOME", home);
    // No test asks the real metadata service: a loopback port where nothing listens, unless
    // `env` names a fake one.
    cmd.env(
        "BULKFLOW_METADATA_URL",
        "http://127.0.0.1:9/latest/meta-data/",
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn bulkflow");
    let mut kept = None;
    match (input, child.stdin.take()) {
        // The caller writes ([`spawn_piped`]).
        (Some(_), Some(stdin)) if keep_open => kept = Some(stdin),
        (Some(input), Some(mut stdin)) => {
            std::thread::spawn(move || {
                use std::io::Write;
                let _ = stdin.write_all(&input);
            });
        }
        _ => {}
    }
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    Running {
        child,
        out,
        err,
        stdin: kept,
    }
}

impl Running {
    /// The process id, for `kill`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to [`TIMEOUT`]; kills the process and fails the test after that.
    pub fn wait(mut self) -> Output {
        let started = Instant::now();
        let status = loop {
            match self.child.try_wait().expect("try_wait") {
                Some(status) => break status,
                None if started.elapsed() > TIMEOUT => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let stderr = self
                        .err
                        .take()
                        .map(|h| h.join().unwrap_or_default())
                        .unwrap_or_default();
                    panic!(
                        "bulkflow did not finish in {TIMEOUT:?}; stderr:\n{}",
                        String::from_utf8_lossy(&stderr)
                    );
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let stdout = self
            .out
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        let stderr = self
            .err
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        // A death by signal (no code) is never one of SPEC's codes.
        let code = status.code().unwrap_or(-1);
        let mut raw = stdout.clone();
        raw.extend_from_slice(&stderr);
        Output {
            code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            raw,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `bulkflow ARGS` to completion (see [`spawn`]).
pub fn run<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)], home: &Path) -> Output {
    spawn(args, env, home).wait()
}

/// Runs `program args` in `dir` with a clean environment plus `env`, `bulkflow` on PATH and
/// HOME at `home`; waits at most [`TIMEOUT`].
pub fn run_in(
    dir: &Path,
    home: &Path,
    env: &[(&str, &str)],
    program: &str,
    args: &[&str],
) -> Output {
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut cmd);
    cmd.env("PATH", path).env("HOME", home).env(
        "BULKFLOW_METADATA_URL",
        "http://127.0.0.1:9/latest/meta-data/",
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn");
    let started = std::time::Instant::now();
    let out = child.wait_with_output().expect("wait");
    assert!(
        started.elapsed() < TIMEOUT,
        "{program} {args:?} took too long"
    );
    let mut raw = out.stdout.clone();
    raw.extend_from_slice(&out.stderr);
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw,
    }
}

/// The environment with the emulator's credentials.
pub fn creds() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TENCENTCLOUD_SECRET_ID", API_ID),
        ("TENCENTCLOUD_SECRET_KEY", API_KEY),
    ]
}

/// A temp dir with an empty `home` inside it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir(&home).expect("home");
        Sandbox { dir, home }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A loopback URL with nothing listening on it.
pub fn dead_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// `path` as `&str` (temp dirs are UTF-8 here).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Waits until `cond` holds, up to `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}
