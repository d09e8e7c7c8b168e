//! `bulkflow emulator`'s flags: parsing, validation, and the configuration they make.

use clap::Parser;

use super::resolve_emulator;
use crate::cli::emulator::{parse_latency, parse_probability};
use crate::cli::EmulatorArgs;
use crate::emulator::preexisting;

/// The configuration, with the preexisting file read as the emulator reads it.
fn configured(args: &EmulatorArgs) -> Result<crate::emulator::EmulatorConfig, String> {
    let mut s = resolve_emulator(args);
    if let Some(path) = &s.preexisting {
        s.config.preexisting = preexisting::load(path).map_err(|e| e.to_string())?;
    }
    Ok(s.config)
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: EmulatorArgs,
}

#[test]
fn flags_parse_and_validate() {
    let cli = Cli::try_parse_from([
        "x",
        "--secret-key",
        "s3cr3t-value",
        "--latency-ms",
        "5:10",
        "--lost-response",
        "0.25",
        "--lost-listing",
        "0.5",
        "--file-systems",
        "cfs-1,cfs-2",
        "--rate",
        "0",
    ])
    .unwrap();
    assert_eq!(cli.args.latency_ms, (5, 10));
    assert_eq!(cli.args.lost_listing, 0.5);
    assert_eq!(
        cli.args.file_systems.as_deref(),
        Some(&["cfs-1".to_owned(), "cfs-2".to_owned()][..])
    );
    assert!(!format!("{:?}", cli.args).contains("s3cr3t-value"));
    let config = configured(&cli.args).unwrap();
    assert_eq!(config.secret_key.expose(), "s3cr3t-value");
    assert_eq!(config.rate, 0);
    assert_eq!(parse_latency("7"), Ok((7, 7)));
    assert!(parse_latency("10:5")
        .unwrap_err()
        .contains("MIN is greater"));
    assert!(parse_latency("a:b").is_err());
    assert!(parse_probability("1.5").is_err());
    assert!(parse_probability("NaN").is_err());
    assert!(Cli::try_parse_from(["x", "--internal-error", "-0.1"]).is_err());
}

#[test]
fn status_life_flags_and_the_preexisting_file() {
    let cli = Cli::try_parse_from(["x"]).unwrap();
    let config = configured(&cli.args).unwrap();
    assert_eq!((config.deleting_ms, config.unavailable), (3000, 0.0));
    assert!(config.preexisting.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("flows.csv");
    std::fs::write(
        &good,
        "FileSystemId,TargetPath,Status\ncfs-1,/cfs/a,pending\n",
    )
    .unwrap();
    let path = good.to_str().unwrap();
    let cli = Cli::try_parse_from([
        "x",
        "--available-after-ms",
        "5",
        "--unavailable",
        "0.5",
        "--deleting-ms",
        "7",
        "--preexisting",
        path,
    ])
    .unwrap();
    let config = configured(&cli.args).unwrap();
    assert_eq!(
        (
            config.available_after_ms,
            config.unavailable,
            config.deleting_ms
        ),
        (5, 0.5, 7)
    );
    assert_eq!(config.preexisting.len(), 1);
    assert!(Cli::try_parse_from(["x", "--unavailable", "2"]).is_err());

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "FileSystemId,TargetPath\ncfs-1,/mnt/a\n").unwrap();
    let cli = Cli::try_parse_from(["x", "--preexisting", bad.to_str().unwrap()]).unwrap();
    let err = configured(&cli.args).unwrap_err().to_string();
    assert!(
        err.ends_with("bad.csv:2: TargetPath: must start with /cfs/"),
        "{err}"
    );
}

#[test]
fn the_keys_are_never_read_from_the_environment() {
    use clap::CommandFactory;
    let cmd = Cli::command();
    for id in ["secret_id", "secret_key", "token"] {
        let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
        assert_eq!(arg.get_env(), None, "{id}");
    }
}

#[test]
fn task_flags_parse_and_validate() {
    let cli = Cli::try_parse_from(["x"]).unwrap();
    let config = configured(&cli.args).unwrap();
    assert_eq!(
        (config.task_slots, config.task_queue, config.task_mbps),
        (2, 100, 100.0)
    );
    assert_eq!(
        (
            config.task_fail,
            config.task_fail_files,
            config.task_stopping_ms
        ),
        (0.0, 0.0, 1000)
    );
    let cli = Cli::try_parse_from([
        "x",
        "--task-slots",
        "3",
        "--task-queue",
        "0",
        "--task-mbps",
        "0.5",
        "--task-fail",
        "0.25",
        "--task-fail-files",
        "0.1",
        "--task-stopping-ms",
        "7",
    ])
    .unwrap();
    let config = configured(&cli.args).unwrap();
    assert_eq!(
        (config.task_slots, config.task_queue, config.task_mbps),
        (3, 0, 0.5)
    );
    assert_eq!(
        (
            config.task_fail,
            config.task_fail_files,
            config.task_stopping_ms
        ),
        (0.25, 0.1, 7)
    );
    for bad in [
        ["--task-slots", "0"],
        ["--task-mbps", "0"],
        ["--task-mbps", "-1"],
        ["--task-mbps", "inf"],
        ["--task-fail", "1.5"],
        ["--task-fail-files", "x"],
    ] {
        assert!(
            Cli::try_parse_from(["x", bad[0], bad[1]]).is_err(),
            "{bad:?}"
        );
    }
}
