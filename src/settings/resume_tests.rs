//! Table tests of the resume command.

use std::path::PathBuf;

use super::*;

fn origin<'a>(manifest: &'a Path, state: &'a Path, default: &'a Path) -> Origin<'a> {
    Origin {
        manifest,
        format: None,
        state,
        default_state: default,
        destination: Destination::Default,
        region: &RegionChoice::Nowhere,
        profile: None,
        allow_unknown_region: false,
        rate: DEFAULT_RATE,
        concurrency: default_concurrency(DEFAULT_RATE),
        request_timeout: DEFAULT_REQUEST_TIMEOUT,
        max_attempts: Some(DEFAULT_MAX_ATTEMPTS),
        settle: Some(DEFAULT_SETTLE),
    }
}

fn run_verb() -> Verb {
    Verb::Run {
        retry_failed: false,
        update: false,
        rotate_keys: false,
        wait: None,
        tasks: Vec::new(),
    }
}

#[test]
fn defaults_are_left_out_and_everything_else_is_repeated_quoted() {
    let (m, st) = (
        PathBuf::from("flows.csv"),
        PathBuf::from("flows.csv.bulkflow.db"),
    );
    let o = origin(&m, &st, &st);
    assert_eq!(
        Resume::new(&run_verb(), &o).to_string(),
        "bulkflow run flows.csv"
    );

    let (m, st) = (PathBuf::from("my flows.csv"), PathBuf::from("it's.db"));
    let region = RegionChoice::Env("ap-shanghai".into());
    let o = Origin {
        format: Some("csv"),
        destination: Destination::Endpoint("http://127.0.0.1:8080".into()),
        region: &region,
        profile: Some("prod"),
        allow_unknown_region: true,
        rate: 5.0,
        concurrency: 3,
        request_timeout: Duration::from_millis(2500),
        max_attempts: Some(3),
        settle: Some(Duration::ZERO),
        ..origin(&m, &st, Path::new("my flows.csv.bulkflow.db"))
    };
    let verb = Verb::Run {
        retry_failed: true,
        update: true,
        rotate_keys: true,
        wait: Some(Duration::from_secs(5400)),
        tasks: vec!["metaload".into(), "restore".into()],
    };
    assert_eq!(
        Resume::new(&verb, &o).to_string(),
        "bulkflow run 'my flows.csv' --format csv --state 'it'\\''s.db' --endpoint \
         http://127.0.0.1:8080 --region ap-shanghai --profile prod --allow-unknown-region \
         --rate 5 --concurrency 3 --request-timeout 2.5 --max-attempts 3 --settle 0 \
         --retry-failed --update --rotate-keys --wait --wait-timeout 90m --task metaload --task restore"
    );
}

#[test]
fn a_region_from_the_profile_file_is_left_to_the_file_and_the_emulator_is_named() {
    let (m, st) = (PathBuf::from("m.csv"), PathBuf::from("m.csv.bulkflow.db"));
    let region = RegionChoice::Profile(PathBuf::from("/home/u/.tccli/default.configure"));
    let o = Origin {
        destination: Destination::Emulator,
        region: &region,
        ..origin(&m, &st, &st)
    };
    let verb = Verb::Run {
        retry_failed: false,
        update: false,
        rotate_keys: false,
        wait: Some(DEFAULT_WAIT_TIMEOUT),
        tasks: Vec::new(),
    };
    assert_eq!(
        Resume::new(&verb, &o).to_string(),
        "bulkflow run m.csv --emulator --wait"
    );
}

#[test]
fn delete_keeps_yes_as_typed_and_task_names_its_type() {
    let (m, st) = (PathBuf::from("m.csv"), PathBuf::from("m.csv.bulkflow.db"));
    let o = origin(&m, &st, &st);
    let asks = Resume::new(
        &Verb::Delete {
            yes: false,
            stop_tasks: false,
        },
        &o,
    );
    assert_eq!(asks.to_string(), "bulkflow delete m.csv");
    let yes = Resume::new(
        &Verb::Delete {
            yes: true,
            stop_tasks: true,
        },
        &o,
    );
    assert_eq!(yes.to_string(), "bulkflow delete m.csv --yes --stop-tasks");
    let task = Verb::Task(TaskVerb::Start {
        kind: "restore".into(),
        overwrite: true,
        again: false,
        retry_failed: true,
        wait: Some(Duration::from_secs(7200)),
    });
    assert_eq!(
        Resume::new(&task, &o).to_string(),
        "bulkflow task m.csv --type restore --overwrite --retry-failed --wait --wait-timeout 2h"
    );
    let stop = Verb::Task(TaskVerb::Stop {
        kind: None,
        wait: None,
    });
    assert_eq!(
        Resume::new(&stop, &o).to_string(),
        "bulkflow task m.csv --stop"
    );
    let stop = Verb::Task(TaskVerb::Stop {
        kind: Some("archive".into()),
        wait: Some(DEFAULT_WAIT_TIMEOUT),
    });
    assert_eq!(
        Resume::new(&stop, &o).to_string(),
        "bulkflow task m.csv --stop --type archive --wait"
    );
}

#[test]
fn a_flag_is_added_once() {
    let (m, st) = (PathBuf::from("m.csv"), PathBuf::from("m.csv.bulkflow.db"));
    let o = origin(&m, &st, &st);
    let verb = Verb::Run {
        retry_failed: false,
        update: false,
        rotate_keys: false,
        wait: Some(DEFAULT_WAIT_TIMEOUT),
        tasks: Vec::new(),
    };
    let r = Resume::new(&verb, &o);
    assert_eq!(r.with("--wait"), "bulkflow run m.csv --wait");
    assert_eq!(
        r.with("--retry-failed"),
        "bulkflow run m.csv --wait --retry-failed"
    );
}

#[test]
fn durations_round_trip_through_the_flag_parser() {
    for secs in [1, 59, 60, 90, 3600, 5400, 86_400, 90_061, 365 * 86_400] {
        let d = Duration::from_secs(secs);
        let back = crate::cli::bounds::wait_timeout_arg(&duration_word(d));
        assert_eq!(back, Ok(d), "{secs}");
    }
}

#[test]
fn words_survive_a_posix_shell() {
    for s in [
        "plain.csv",
        "a b",
        "it's",
        "'",
        "$HOME",
        "a\"b",
        "",
        "x;rm -rf /",
        "é",
    ] {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_word(s)))
            .output()
            .expect("sh");
        assert_eq!(String::from_utf8_lossy(&out.stdout), s, "{s:?}");
    }
}
