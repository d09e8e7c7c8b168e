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

/// Every flag the README's rehearsal section names is one the binary has (the emulator's or
/// `run`'s or `report`'s), so the section cannot drift from `--help`.
#[test]
fn the_readme_rehearsal_section_names_only_real_flags() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("### Rehearsing a big manifest")
        .expect("the section");
    let section = &readme[start..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |i| i + 4)];
    let help = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().expect("help");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let known =
        help(&["emulator", "--help"]) + &help(&["run", "--help"]) + &help(&["report", "--help"]);
    let mut named = 0;
    for word in section.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if word.starts_with("--") && word.len() > 2 {
            named += 1;
            assert!(
                known.contains(&format!("{word} ")) || known.contains(&format!("{word}\n")),
                "{word}"
            );
        }
    }
    assert!(
        named > 20,
        "{named} flags found: is the section still there?"
    );
    for flag in [
        "--task-slots",
        "--task-queue",
        "--task-mbps",
        "--task-fail-files",
    ] {
        assert!(section.contains(flag), "{flag}");
    }
}
