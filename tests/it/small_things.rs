//! Small words that must be right: each command's help lists only the flags it takes,
//! `delete --dry-run` writes its preview where its help says, JSON logs carry a row's state and
//! a numeric `eta`, `status --json` times in RFC 3339, `--version` names the commit and target,
//! and the emulator never checks against keys exported in the shell.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::bin_helpers::{clean_env, creds, run, s, EmulatorProc, Sandbox, BIN};
use super::common::write_manifest;

/// The long flags `bulkflow ARGS --help` lists.
fn flags_of(args: &[&str]) -> Vec<String> {
    let out = run(
        &[args, &["--help"]].concat(),
        &[],
        std::path::Path::new("/"),
    );
    out.expect_code(0);
    out.stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .filter_map(|l| l.split([' ', ',']).next())
        .map(|f| format!("--{f}"))
        .collect()
}

#[test]
fn each_command_lists_only_its_flags_and_refuses_the_others() {
    let delete = flags_of(&["delete"]);
    let run_flags = flags_of(&["run"]);
    let plan = flags_of(&["plan"]);
    let task = flags_of(&["task"]);
    for pass in ["--update", "--rotate-keys", "--json", "--dry-run", "--task"] {
        assert!(!task.contains(&pass.to_owned()), "task lists {pass}");
    }
    for own in [
        "--type",
        "--stop",
        "--retry-failed",
        "--wait",
        "--wait-timeout",
        "--max-runtime",
        "--emulator",
    ] {
        assert!(task.contains(&own.to_owned()), "task lacks {own}");
    }
    for pass in [
        "--wait",
        "--wait-timeout",
        "--update",
        "--rotate-keys",
        "--retry-failed",
        "--json",
    ] {
        assert!(!delete.contains(&pass.to_owned()), "delete lists {pass}");
        assert!(run_flags.contains(&pass.to_owned()), "run lacks {pass}");
    }
    for exec in [
        "--max-runtime",
        "--summary-file",
        "--max-attempts",
        "--adopt-state",
    ] {
        assert!(delete.contains(&exec.to_owned()), "delete lacks {exec}");
        assert!(!plan.contains(&exec.to_owned()), "plan lists {exec}");
    }
    for api in [
        "--endpoint",
        "--region",
        "--allow-unknown-region",
        "--emulator",
    ] {
        for (cmd, flags) in [("run", &run_flags), ("plan", &plan), ("delete", &delete)] {
            assert!(flags.contains(&api.to_owned()), "{cmd} lacks {api}");
        }
    }
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 2, 1);
    let out = run(
        &["delete", s(&manifest), "--emulator", "--wait"],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    // The completion script knows the same: no pass flag after `delete`.
    let bash = run(&["completions", "bash"], &[], &sb.home);
    bash.expect_code(0);
    let delete_opts = bash
        .stdout
        .split("bulkflow__subcmd__delete)")
        .nth(1)
        .and_then(|rest| rest.lines().find(|l| l.contains("opts=")))
        .expect("delete's options in the bash completions")
        .to_owned();
    assert!(delete_opts.contains("--yes"), "{delete_opts}");
    assert!(!delete_opts.contains("--rotate-keys"), "{delete_opts}");
}

#[test]
fn delete_dry_run_writes_its_preview_on_stdout_as_its_help_says() {
    let help = run(&["delete", "--help"], &[], std::path::Path::new("/"));
    assert!(
        help.stdout
            .contains("Print what would be deleted (rows per region and file system) on stdout"),
        "{}",
        help.stdout
    );
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 4, 2);
    let out = run(
        &["delete", s(&manifest), "--emulator", "--dry-run"],
        &[],
        &sb.home,
    );
    out.expect_code(0);
    assert!(out.stdout.contains("cfs-00000001"), "{}", out.stdout);
    assert!(
        out.stdout.contains("delete the data flows of 4 rows"),
        "{}",
        out.stdout
    );
    assert!(!out.stderr.contains("cfs-00000001"), "{}", out.stderr);
    assert!(
        out.stderr.contains("dry run: nothing deleted"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_logs_carry_the_row_state_and_a_numeric_eta() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 30, 2);
    let emu = EmulatorProc::start(&["--rate", "0", "--file-systems", "cfs-00000000"]);
    let mut env = creds();
    env.push(("BULKFLOW_PLAIN_INTERVAL_MS", "100"));
    let out = run(
        &[
            "-vv",
            "--log-format",
            "json",
            "run",
            s(&manifest),
            "--endpoint",
            &emu.url,
            "--rate",
            "15",
            "--progress",
            "plain",
        ],
        &env,
        &sb.home,
    );
    out.expect_code(1);
    let lines: Vec<Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let failed = lines
        .iter()
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("row failed"))
        })
        .expect("a failed row");
    assert_eq!(failed["state"], "failed", "{failed}");
    let created = lines
        .iter()
        .find(|v| v["data_flow_id"].is_string())
        .expect("a created row (-vv)");
    assert_eq!(created["state"], "created", "{created}");
    let etas: Vec<&Value> = lines.iter().filter_map(|v| v.get("eta")).collect();
    assert!(
        !etas.is_empty(),
        "no progress line with an eta:\n{}",
        out.stderr
    );
    assert!(etas.iter().all(|e| e.is_u64()), "{etas:?}");
}

#[test]
fn status_json_gives_times_in_rfc_3339_beside_the_epoch() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 2, 1);
    run(&["run", s(&manifest), "--emulator"], &[], &sb.home).expect_code(0);
    let out = run(&["status", s(&manifest), "--json"], &[], &sb.home);
    out.expect_code(0);
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let r = &v["last_run"];
    for (text, ms) in [
        ("started_at", "started_at_ms"),
        ("finished_at", "finished_at_ms"),
    ] {
        let t = r[text].as_str().unwrap_or_else(|| panic!("{text} in {r}"));
        // 2025-05-01T02:30:11.204Z, the same instant as the epoch milliseconds.
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
        let millis = r[ms].as_i64().expect("ms");
        assert!(
            t.ends_with(&format!("{:03}Z", millis % 1000)),
            "{t} {millis}"
        );
    }
}

#[test]
fn version_names_the_commit_and_the_target() {
    let out = run(&["--version"], &[], std::path::Path::new("/"));
    out.expect_code(0);
    let line = out.stdout.trim();
    let rest = line
        .strip_prefix(&format!("bulkflow {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, target) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", "))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
    assert!(target.starts_with(std::env::consts::ARCH), "{line}");
    assert!(target.contains(std::env::consts::OS), "{line}");
}

#[test]
fn keys_exported_in_the_shell_change_nothing_for_the_emulator() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let real = [
        ("TENCENTCLOUD_SECRET_ID", "AKIDrealKEYexportedLongAgo"),
        ("TENCENTCLOUD_SECRET_KEY", "real-secret-key"),
        ("TENCENTCLOUD_TOKEN", "real-session-token"),
    ];
    let mut cmd = Command::new(BIN);
    cmd.args(["emulator", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut cmd);
    cmd.envs(real);
    let mut child = cmd.spawn().expect("emulator");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("line");
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("url")
        .to_owned();
    // The rehearsal as the README writes it: the emulator's own key, inline.
    let out = run(
        &[
            "run",
            s(&manifest),
            "--endpoint",
            &url,
            "--state",
            s(&sb.path().join("r.db")),
        ],
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDbulkflowEMULATOR"),
            ("TENCENTCLOUD_SECRET_KEY", "bulkflow-emulator-secret-key"),
        ],
        &sb.home,
    );
    let _ = child.kill();
    let stderr = child
        .stderr
        .take()
        .map(|mut e| {
            let _ = child.wait();
            let mut t = String::new();
            let _ = std::io::Read::read_to_string(&mut e, &mut t);
            t
        })
        .unwrap_or_default();
    out.expect_code(0);
    assert!(!stderr.contains("AKIDrealKEY"), "{stderr}");
    assert!(stderr.contains("secret id AKID***"), "{stderr}");
}
