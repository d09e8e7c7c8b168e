//! The `bulkflow emulator` binary: what it prints about its keys.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::bin_helpers::BIN;

/// The secret id from the environment is shown by its first four characters only, as the
/// README promises for every log line (issue 20).
#[test]
fn the_emulator_names_the_secret_id_from_the_environment_by_four_characters() {
    let home = tempfile::tempdir().expect("home");
    let mut child = Command::new(BIN)
        .args(["emulator", "--listen", "127.0.0.1:0"])
        .env("HOME", home.path())
        .env("TENCENTCLOUD_SECRET_ID", "AKIDplantedREALid4242")
        .env("TENCENTCLOUD_SECRET_KEY", "planted-real-key-4242")
        .env_remove("TENCENTCLOUD_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the emulator");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("the emulator's first line on stderr");
    assert!(line.contains("secret id AKID*** ("), "{line}");
    assert!(!line.contains("planted"), "{line}");
    assert!(!line.contains("REALid"), "{line}");
}
