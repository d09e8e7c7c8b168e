//! Every fenced block of README.md is a promise kept by a test: each block is claimed by exactly
//! one check below (a new block without one fails `every_readme_block_is_claimed`), and each
//! check runs its block with bash in a sandbox, `bulkflow` on PATH, against an emulator where
//! the block talks to the API. What a check changes in a block before it runs it (a free port
//! for 8080, the sandbox for /srv/migration, the emulator's keys for `AKID...`) is written
//! beside it.

use std::path::Path;

use serde_json::Value;

use super::bin_helpers::{run_in, s, EmulatorProc, Output, Sandbox, API_ID, API_KEY, BIN};
use super::common::write_manifest;
use super::prom_text;

/// A fenced block: its info string, its text, and the line of its opening fence.
#[derive(Debug, Clone)]
struct Block {
    lang: String,
    body: String,
    line: usize,
}

fn blocks() -> Vec<Block> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_owned(),
                    body: String::new(),
                    line: n + 1,
                })
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(b), _) => {
                b.body.push_str(line);
                b.body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed block in README.md");
    out
}

/// What claims a block: a piece of text only it holds.
const CLAIMS: [(&str, &str); 10] = [
    (
        "quick start",
        "cargo run --release -- run samples/flows.csv --emulator",
    ),
    (
        "for real",
        "generate-manifest | bulkflow run - --format jsonl",
    ),
    ("migration", "# 1. Rehearse against the built-in emulator"),
    ("csv", "FileSystemId,SourceStorageType,SourceStorageAddress"),
    (
        "cron cvm role",
        "*/30 * * * * cd /srv/migration && /usr/local/bin/bulkflow run",
    ),
    ("plan json", "{\"summary\":{\"create\":"),
    (
        "cron monitoring",
        ". ./bulkflow.env && /usr/local/bin/bulkflow run",
    ),
    ("rehearsal", "bulkflow emulator --listen 127.0.0.1:8080"),
    // Run by tests/it/readme_tasks.rs, command by command.
    (
        "data tasks",
        "bulkflow task flows.csv --type metaload --wait",
    ),
    // Not run: it fetches the RustSec database from GitHub, which CI cannot reach (the README
    // says so beside it).
    ("cargo audit", "cargo install cargo-audit --locked"),
];

fn block(claim: &str) -> Block {
    let needle = CLAIMS
        .iter()
        .find(|(name, _)| *name == claim)
        .map(|(_, n)| *n)
        .expect("a claim");
    let found: Vec<Block> = blocks()
        .into_iter()
        .filter(|b| b.body.contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "{claim}: {found:?}");
    found.into_iter().next().expect("one")
}

#[test]
fn every_readme_block_is_claimed() {
    for b in blocks() {
        let claims: Vec<&str> = CLAIMS
            .iter()
            .filter(|(_, needle)| b.body.contains(needle))
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(
            claims.len(),
            1,
            "README.md:{}: a ```{} block claimed by {claims:?}: give it a check here",
            b.line,
            b.lang
        );
    }
    for (name, _) in CLAIMS {
        block(name);
    }
}

/// `script` run by `bash -e` in the sandbox, with `bulkflow` on PATH: any command that fails
/// fails the block.
fn bash(sb: &Sandbox, env: &[(&str, &str)], script: &str) -> Output {
    run_in(sb.path(), &sb.home, env, "bash", &["-e", "-c", script])
}

/// A crontab command as cron runs it: `SHELL -c`, no `-e` (here with bash, whose `$?` the
/// README's line must not lose).
fn cron(sb: &Sandbox, env: &[(&str, &str)], command: &str) -> Output {
    run_in(sb.path(), &sb.home, env, "bash", &["-c", command])
}

fn copy_samples(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    std::fs::create_dir_all(to.join("samples")).expect("samples");
    for e in std::fs::read_dir(from).expect("samples").flatten() {
        std::fs::copy(e.path(), to.join("samples").join(e.file_name())).expect("copy");
    }
}

fn keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TENCENTCLOUD_SECRET_ID", API_ID),
        ("TENCENTCLOUD_SECRET_KEY", API_KEY),
    ]
}

#[test]
fn quick_start() {
    let b = block("quick start");
    let sb = Sandbox::new();
    copy_samples(sb.path());
    // `cargo run --release --` is this binary; `cargo test` is what .ci/run runs.
    let script: String = b
        .body
        .lines()
        .filter(|l| !l.trim_start().starts_with("cargo test"))
        .map(|l| l.replace("cargo run --release -- ", "bulkflow "))
        .collect::<Vec<_>>()
        .join("\n");
    let first = bash(&sb, &[], &script);
    first.expect_code(0);
    assert!(
        first.stderr.contains("120 rows: 120 created"),
        "{}",
        first.stderr
    );
    // "Run it again: it resumes ..., finds every row done, and makes no call."
    let again = bash(&sb, &[], &script);
    again.expect_code(0);
    assert!(again.stderr.contains(" 0 calls in "), "{}", again.stderr);
}

#[test]
fn running_it_for_real() {
    let b = block("for real");
    let sb = Sandbox::new();
    write_manifest(sb.path(), 6, 2);
    let jsonl: String = (0..4)
        .map(|i| {
            format!(
                "{{\"FileSystemId\":\"cfs-00000000\",\"SourceStorageType\":\"S3_COS\",\"SourceStorageAddress\":\"https://s.cos.ap-guangzhou.myqcloud.com\",\"SourcePath\":\"j/{i}\",\"TargetPath\":\"/cfs/j{i}\",\"SecretId\":\"AKIDs\",\"SecretKey\":\"k\",\"Region\":\"ap-guangzhou\"}}\n"
            )
        })
        .collect();
    std::fs::write(sb.path().join("generated.jsonl"), jsonl).expect("jsonl");
    let emu = EmulatorProc::start(&["--rate", "0"]);
    // The API is the emulator (BULKFLOW_ENDPOINT); `AKID...` and `...` are its keys;
    // `generate-manifest` is a program that prints a JSON Lines manifest.
    let script = format!(
        "generate-manifest() {{ cat generated.jsonl; }}\n{}",
        b.body.replace(
            "export TENCENTCLOUD_SECRET_ID=AKID...  TENCENTCLOUD_SECRET_KEY=...",
            &format!("export TENCENTCLOUD_SECRET_ID={API_ID} TENCENTCLOUD_SECRET_KEY={API_KEY}")
        )
    );
    assert!(script.contains(API_KEY), "the export line changed");
    let out = bash(&sb, &[("BULKFLOW_ENDPOINT", &emu.url)], &script);
    out.expect_code(0);
    assert!(
        out.stdout.contains("rows: 6 in the manifest"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_migration_start_to_finish() {
    let b = block("migration");
    let sb = Sandbox::new();
    write_manifest(sb.path(), 20, 2);
    let emu = EmulatorProc::start(&["--rate", "0", "--available-after-ms", "200"]);
    let mut env = keys();
    env.push(("BULKFLOW_ENDPOINT", &emu.url));
    // Step 5 sets new source keys: the manifest's ${VARIABLES} would hold them; here the
    // manifest's keys are rotated onto the flows as they are.
    let out = bash(&sb, &env, &b.body);
    out.expect_code(0);
    assert!(
        out.stdout.contains("20 of 20 created rows rotated"),
        "{}",
        out.stdout
    );
    assert!(!sb.path().join("rehearsal.db").exists());
}

#[test]
fn the_manifest_example_is_valid() {
    let b = block("csv");
    let sb = Sandbox::new();
    std::fs::write(sb.path().join("example.csv"), &b.body).expect("csv");
    let env = [("SRC_ID", "AKIDsrc"), ("SRC_KEY", "srckey")];
    run_in(sb.path(), &sb.home, &env, BIN, &["validate", "example.csv"]).expect_code(0);
}

/// The command of a crontab line: the schedule's five fields off, `\%` as cron passes it,
/// `/srv/migration` the sandbox, `/usr/local/bin/bulkflow` this binary, the textfile
/// directory in the sandbox.
fn cron_command(line: &str, sb: &Sandbox) -> String {
    let command = line.splitn(6, ' ').nth(5).expect("a crontab line");
    command
        .replace("\\%", "%")
        .replace("/srv/migration", s(sb.path()))
        .replace("/usr/local/bin/bulkflow", BIN)
        .replace(
            "/var/lib/node_exporter/textfile",
            s(&sb.path().join("textfile")),
        )
}

#[test]
fn the_cron_line_of_a_cvm_role() {
    let b = block("cron cvm role");
    let sb = Sandbox::new();
    write_manifest(sb.path(), 4, 1);
    let emu = EmulatorProc::start(&["--rate", "0"]);
    // The emulator plays the CVM metadata service and the API; no key anywhere.
    let metadata = format!("{}/latest/meta-data/", emu.url);
    let env = [
        ("BULKFLOW_METADATA_URL", metadata.as_str()),
        ("BULKFLOW_ENDPOINT", emu.url.as_str()),
    ];
    let out = cron(&sb, &env, &cron_command(b.body.trim(), &sb));
    out.expect_code(0);
    let log = std::fs::read_to_string(sb.path().join("bulkflow.log")).expect("log");
    let first: Value = serde_json::from_str(log.lines().next().expect("a line")).expect("JSON");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("credentials: CVM role")),
        "{log}"
    );
}

#[test]
fn the_plan_json_example_has_the_keys_plan_writes() {
    let b = block("plan json");
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let out = run_in(
        sb.path(),
        &sb.home,
        &keys(),
        BIN,
        &["plan", s(&manifest), "--endpoint", &emu.url, "--json"],
    );
    out.expect_code(0);
    let keys_of = |line: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        if let Some(summary) = v["summary"].as_object() {
            k.extend(summary.keys().map(|s| format!("summary.{s}")));
        }
        k.sort();
        k
    };
    let real: Vec<Vec<String>> = out.stdout.lines().map(keys_of).collect();
    for line in b.body.lines() {
        let k = keys_of(line);
        assert!(real.contains(&k), "{line}: keys {k:?} not in {real:?}");
    }
}

#[test]
fn the_cron_line_logs_the_exit_code_and_feeds_monitoring() {
    let b = block("cron monitoring");
    let sb = Sandbox::new();
    write_manifest(sb.path(), 4, 1);
    std::fs::create_dir(sb.path().join("textfile")).expect("textfile");
    let emu = EmulatorProc::start(&["--rate", "0"]);
    let line = cron_command(b.body.trim(), &sb);
    let env_file = sb.path().join("bulkflow.env");
    // A done run, then one without credentials (exit 2): bulkflow.exit says each code.
    std::fs::write(
        &env_file,
        format!(
            "export TENCENTCLOUD_SECRET_ID={API_ID} TENCENTCLOUD_SECRET_KEY={API_KEY} BULKFLOW_ENDPOINT={}\n",
            emu.url
        ),
    )
    .expect("env");
    cron(&sb, &[], &line).expect_code(0);
    std::fs::write(&env_file, format!("export BULKFLOW_ENDPOINT={}\n", emu.url)).expect("env");
    cron(&sb, &[], &line).expect_code(0);
    let exits = std::fs::read_to_string(sb.path().join("bulkflow.exit")).expect("exit log");
    let codes: Vec<&str> = exits
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["0", "2"], "{exits}");
    let prom = std::fs::read_to_string(sb.path().join("textfile/bulkflow.prom")).expect("prom");
    let samples = prom_text::parse(&prom).unwrap_or_else(|e| panic!("{e}\n{prom}"));
    let code = samples
        .iter()
        .find(|s| s.name == "bulkflow_last_exit_code")
        .expect("exit code");
    assert_eq!(code.value, 2.0);
    let created = samples
        .iter()
        .find(|s| s.name == "bulkflow_rows" && s.label("state") == Some("created"))
        .expect("created");
    assert_eq!(created.value, 4.0, "the state file's rows, not zero");
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(sb.path().join("last-run.json")).expect("summary"),
    )
    .expect("JSON");
    assert_eq!(summary["exit_code"], 2);
}

#[test]
fn rehearsing_a_big_manifest_with_real_keys_exported() {
    let b = block("rehearsal");
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 60, 3);
    std::fs::rename(&manifest, sb.path().join("big.csv")).expect("big.csv");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // A free port for 8080, the sandbox for /tmp; the emulator is stopped after the block.
    let script = format!(
        "{}\nkill $!\n",
        b.body
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
            .replace(
                "/tmp/big.rehearsal.db",
                s(&sb.path().join("big.rehearsal.db"))
            )
    );
    // Wait for the emulator's port before the run: the block's `&` does not.
    let script = script.replacen(
        "&\n",
        &format!("&\nfor _ in $(seq 100); do (: < /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.05; done\n"),
        1,
    );
    // Real keys exported long ago: neither the emulator nor the rehearsal may use them.
    let env = [
        ("TENCENTCLOUD_SECRET_ID", "AKIDrealKeyOfTheAccount"),
        ("TENCENTCLOUD_SECRET_KEY", "the-real-secret-key"),
    ];
    let out = bash(&sb, &env, &script);
    out.expect_code(0);
    assert!(out.stderr.contains("60 rows: 60 created"), "{}", out.stderr);
    assert!(!out.stderr.contains("AKIDrealKey"), "{}", out.stderr);
}
