//! The peer directory through the binary: a FIFO planted where a registration would be does not
//! hang a run, and a directory others can write is not used (one warning, the run goes on).

use std::os::unix::fs::PermissionsExt;

use bulkflow::engine::peers;

use super::bin_helpers::{creds, run, s, EmulatorProc, Sandbox, API_ID};
use super::common::write_manifest;

#[test]
fn a_planted_fifo_does_not_hang_a_run_and_an_open_directory_is_not_used() {
    let sb = Sandbox::new();
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let manifest = write_manifest(sb.path(), 4, 1);
    let root = sb.path().join("peers");
    std::fs::create_dir(&root).expect("dir");
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let host = emu.url.trim_start_matches("http://");
    for action in ["CreateDataFlow", "DescribeDataFlow"] {
        let dir = root.join(peers::key(API_ID, host, action));
        std::fs::create_dir(&dir).expect("key dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("1-planted.peer"))
            .status()
            .expect("mkfifo");
        assert!(made.success());
    }
    let mut env = creds();
    env.push(("BULKFLOW_PEERS_DIR", s(&root)));
    let args = ["run", s(&manifest), "--endpoint", &emu.url];
    let out = run(&args, &env, &sb.home);
    out.expect_code(0);
    assert!(!out.stderr.contains("peer directory"), "{}", out.stderr);

    // Anyone may write to it now: not used, said once, and the run still does its work (four
    // rows more).
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    write_manifest(sb.path(), 8, 1);
    let out = run(&args, &env, &sb.home);
    out.expect_code(0);
    assert!(
        out.stderr
            .contains("4 calls: 4 created, 4 settled earlier."),
        "{}",
        out.stderr
    );
    let said = out
        .stderr
        .matches("can be written by others (mode 777)")
        .count();
    assert_eq!(said, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("this run paces alone"),
        "{}",
        out.stderr
    );
}
