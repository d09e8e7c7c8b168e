//! Table tests of `resolve`: every flag's good and bad values, every derived default.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use super::*;
use crate::cli::bounds;
use crate::cli::{Cli, Command, RunArgs};

fn parse(cmd: &str, extra: &[&str]) -> Result<Command, clap::Error> {
    let argv = ["bulkflow", cmd, "m.csv"]
        .into_iter()
        .chain(extra.iter().copied());
    Cli::try_parse_from(argv).map(|c| c.command)
}

fn run_args(extra: &[&str]) -> RunArgs {
    match parse("run", extra) {
        Ok(Command::Run(a)) => a,
        other => panic!("{extra:?}: {other:?}"),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn home() -> Option<PathBuf> {
    Some(PathBuf::from("/home/u"))
}

/// clap and `resolve` together, as the binary sees a command line.
fn resolved(extra: &[&str]) -> Result<Settings, String> {
    match parse("run", extra) {
        Ok(Command::Run(a)) => resolve(&a, &no_env, home()).map_err(|e| e.to_string()),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn every_numeric_flag_good_and_bad() {
    type Pick = fn(&Settings) -> String;
    let rate: Pick = |s| format!("{:?}", s.pacing.rate);
    let conc: Pick = |s| s.pacing.concurrency.to_string();
    let att: Pick = |s| s.pacing.max_attempts.to_string();
    let rto: Pick = |s| format!("{:?}", s.pacing.request_timeout);
    let settle: Pick = |s| format!("{:?}", s.pacing.settle);
    let runtime: Pick = |s| format!("{:?}", s.max_runtime);
    // (flag, value, what the setting becomes, or None for a usage error)
    let table: &[(&str, &str, Pick, Option<&str>)] = &[
        ("--rate", "20", rate, Some("20.0")),
        ("--rate", "0", rate, Some("0.0")),
        ("--rate", "-0", rate, Some("0.0")),
        ("--rate", "0.01", rate, Some("0.01")),
        ("--rate", "1000000", rate, Some("1000000.0")),
        ("--rate", "2.5", rate, Some("2.5")),
        ("--rate", "0.009", rate, None),
        ("--rate", "1e-9", rate, None),
        ("--rate", "1000000.5", rate, None),
        ("--rate", "1e30", rate, None),
        ("--rate", "1e400", rate, None),
        ("--rate", "-1", rate, None),
        ("--rate", "NaN", rate, None),
        ("--rate", "inf", rate, None),
        ("--rate", "fast", rate, None),
        ("--rate", "", rate, None),
        ("--concurrency", "1", conc, Some("1")),
        ("--concurrency", "4096", conc, Some("4096")),
        ("--concurrency", "0", conc, None),
        ("--concurrency", "4097", conc, None),
        ("--concurrency", "-1", conc, None),
        ("--concurrency", "2.5", conc, None),
        ("--concurrency", "1e3", conc, None),
        (
            "--concurrency",
            "99999999999999999999999999999999999999999",
            conc,
            None,
        ),
        ("--max-attempts", "1", att, Some("1")),
        ("--max-attempts", "100", att, Some("100")),
        ("--max-attempts", "0", att, None),
        ("--max-attempts", "101", att, None),
        ("--max-attempts", "4294967296", att, None),
        ("--max-attempts", "many", att, None),
        ("--request-timeout", "30", rto, Some("30s")),
        ("--request-timeout", "0.5", rto, Some("500ms")),
        ("--request-timeout", "3600", rto, Some("3600s")),
        ("--request-timeout", "0.001", rto, Some("1ms")),
        ("--request-timeout", "0.0009", rto, None),
        ("--request-timeout", "5e-324", rto, None),
        ("--request-timeout", "0", rto, None),
        ("--request-timeout", "-1", rto, None),
        ("--request-timeout", "3600.1", rto, None),
        ("--request-timeout", "1e20", rto, None),
        ("--request-timeout", "NaN", rto, None),
        ("--settle", "0", settle, Some("0ns")),
        ("--settle", "0.2", settle, Some("200ms")),
        ("--settle", "3600", settle, Some("3600s")),
        ("--settle", "-0", settle, Some("0ns")),
        ("--settle", "-0.1", settle, None),
        ("--settle", "1e20", settle, None),
        ("--settle", "-inf", settle, None),
        ("--max-runtime", "90", runtime, Some("Some(90s)")),
        ("--max-runtime", "50m", runtime, Some("Some(3000s)")),
        ("--max-runtime", "1h30m", runtime, Some("Some(5400s)")),
        ("--max-runtime", "365d", runtime, Some("Some(31536000s)")),
        ("--max-runtime", "0", runtime, None),
        ("--max-runtime", "0s", runtime, None),
        ("--max-runtime", "366d", runtime, None),
        ("--max-runtime", "18446744073709551615s", runtime, None),
        ("--max-runtime", "18446744073709551615", runtime, None),
        ("--max-runtime", "99999999999999999999999h", runtime, None),
        ("--max-runtime", "1h30", runtime, None),
        ("--max-runtime", "1.5h", runtime, None),
    ];
    for (flag, value, pick, want) in table {
        let arg = format!("{flag}={value}");
        match (resolved(&[&arg]), want) {
            (Ok(s), Some(want)) => assert_eq!(pick(&s), *want, "{arg}"),
            (Err(e), None) => assert!(e.contains(flag), "{arg}: {e}"),
            (got, want) => panic!("{arg}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn out_of_range_messages_name_the_flag_and_the_range() {
    for (flag, value, allowed) in [
        ("--rate", "1e30", bounds::RATE.allowed),
        ("--concurrency", "0", bounds::CONCURRENCY.allowed),
        ("--max-attempts", "0", bounds::MAX_ATTEMPTS.allowed),
        ("--request-timeout", "1e20", bounds::REQUEST_TIMEOUT.allowed),
        ("--settle", "1e20", bounds::SETTLE.allowed),
        ("--max-runtime", "0", bounds::MAX_RUNTIME.allowed),
    ] {
        let e = resolved(&[&format!("{flag}={value}")]).unwrap_err();
        assert!(e.contains(flag) && e.contains(allowed), "{e}");
    }
}

/// `RunArgs` built by hand (or by a future parser) is held to the same ranges.
#[test]
fn resolve_checks_what_clap_never_saw() {
    type Spoil = fn(&mut RunArgs);
    let table: &[(&str, Spoil)] = &[
        ("--rate", |a| a.api.rate = f64::NAN),
        ("--rate", |a| a.api.rate = f64::INFINITY),
        ("--rate", |a| a.api.rate = -1.0),
        ("--rate", |a| a.api.rate = 1e-9),
        ("--rate", |a| a.api.rate = 1e30),
        ("--concurrency", |a| a.api.concurrency = Some(0)),
        ("--concurrency", |a| a.api.concurrency = Some(usize::MAX)),
        ("--max-attempts", |a| a.exec.max_attempts = 0),
        ("--max-attempts", |a| a.exec.max_attempts = u32::MAX),
        ("--request-timeout", |a| a.api.request_timeout = 0.0),
        ("--request-timeout", |a| a.api.request_timeout = f64::MAX),
        ("--request-timeout", |a| a.api.request_timeout = f64::NAN),
        ("--settle", |a| a.exec.settle = -f64::MIN_POSITIVE),
        ("--settle", |a| a.exec.settle = 1e20),
        ("--max-runtime", |a| {
            a.exec.max_runtime = Some(Duration::ZERO)
        }),
        ("--max-runtime", |a| {
            a.exec.max_runtime = Some(Duration::MAX)
        }),
        ("--profile", |a| a.api.profile = Some("../../etc".into())),
        ("--state", |a| a.api.state = Some(PathBuf::from("m.csv"))),
        ("--state", |a| a.api.state = Some(PathBuf::new())),
        ("--endpoint", |a| {
            a.api.endpoint = Some("http://example.com".into())
        }),
        ("--endpoint", |a| a.api.endpoint = Some("not a url".into())),
    ];
    for (flag, spoil) in table {
        let mut a = run_args(&[]);
        spoil(&mut a);
        let e = resolve(&a, &no_env, home()).unwrap_err().to_string();
        assert!(e.contains(flag), "{flag}: {e}");
    }
}

#[test]
fn derived_defaults() {
    // (rate, concurrency, DescribeDataFlow rate)
    for (rate, conc, describe) in [
        ("20", 40, 20.0),
        ("0", 64, 0.0),
        ("0.01", 1, 0.01),
        ("2.5", 5, 2.5),
        ("50", 100, 20.0),
        ("1000000", 4096, 20.0),
    ] {
        let s = resolved(&["--rate", rate]).unwrap();
        assert_eq!(s.pacing.concurrency, conc, "--rate {rate}");
        assert_eq!(s.pacing.describe_rate, describe, "--rate {rate}");
    }
    let s = resolved(&[]).unwrap();
    assert_eq!(s.state, PathBuf::from("m.csv.bulkflow.db"));
    assert_eq!(s.default_state, s.state);
    assert_eq!(s.pacing.max_attempts, 8);
    assert_eq!(s.pacing.request_timeout, Duration::from_secs(30));
    assert_eq!(s.pacing.settle, Duration::from_secs(5));
    assert_eq!(s.max_runtime, None);
    assert_eq!(s.profile.name, "default");
    assert_eq!(
        s.service,
        Service::Api(Endpoint::parse(DEFAULT_ENDPOINT).unwrap())
    );
    let s = resolved(&["--state", "other.db", "--concurrency", "7", "--rate", "0"]).unwrap();
    assert_eq!(s.state, PathBuf::from("other.db"));
    assert_eq!(s.default_state, PathBuf::from("m.csv.bulkflow.db"));
    assert_eq!(s.pacing.concurrency, 7);
}

/// A row's flags and environment variables.
type Flags = &'static [&'static str];
type Vars = &'static [(&'static str, &'static str)];

fn env_of(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<&str, &str> = vars.iter().copied().collect();
    move |k| map.get(k).map(|v| v.to_string())
}

#[test]
fn the_endpoint_is_the_flag_then_the_variable_then_the_default() {
    let api = |url: &str| Service::Api(Endpoint::parse(url).unwrap());
    let table: &[(Flags, Vars, Service)] = &[
        (&[], &[], api(DEFAULT_ENDPOINT)),
        (
            &[],
            &[("BULKFLOW_ENDPOINT", "http://127.0.0.1:9")],
            api("http://127.0.0.1:9"),
        ),
        (&[], &[("BULKFLOW_ENDPOINT", "  ")], api(DEFAULT_ENDPOINT)),
        (
            &["--endpoint", "https://cfs.{region}.tencentcloudapi.com"],
            &[("BULKFLOW_ENDPOINT", "http://127.0.0.1:9")],
            api("https://cfs.{region}.tencentcloudapi.com"),
        ),
        // The emulator ignores the variable, even a bad one.
        (
            &["--emulator"],
            &[("BULKFLOW_ENDPOINT", "http://example.com")],
            Service::Emulator,
        ),
    ];
    for (flags, vars, want) in table {
        let env = env_of(vars);
        let s = resolve(&run_args(flags), &env, home()).unwrap();
        assert_eq!(&s.service, want, "{flags:?} {vars:?}");
    }
    let env = env_of(&[("BULKFLOW_ENDPOINT", "http://example.com")]);
    let e = resolve(&run_args(&[]), &env, home()).unwrap_err();
    assert!(matches!(e, UsageError::Endpoint(_)), "{e}");
    // A secret in the URL is never shown, whether from the flag or the variable.
    for url in [
        "https://AKIDuser:PLANTEDsecret@cfs.tencentcloudapi.com",
        "https://PLANTEDsecret@cfs.tencentcloudapi.com",
        "https://cfs.tencentcloudapi.com/?SecretKey=PLANTEDsecret",
        "https://{region}:PLANTEDsecret@cfs.tencentcloudapi.com",
        "http://u:PLANTEDsecret@example.com",
        "ftp://u:PLANTEDsecret@example.com",
        "https://u:PLANTEDsecret@",
        "u:PLANTEDsecret@cfs.tencentcloudapi.com",
    ] {
        let env = env_of(&[]);
        let e = resolve(&run_args(&["--endpoint", url]), &env, home()).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(shown.starts_with("--endpoint "), "{shown}");
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
    let leaked = Box::leak(Box::new([(
        "BULKFLOW_ENDPOINT",
        "https://u:PLANTEDsecret@cfs.tencentcloudapi.com",
    )]));
    let e = resolve(&run_args(&[]), &env_of(leaked), home()).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("PLANTED"), "{e}");
    // --emulator and --endpoint together make no sense: clap refuses them.
    assert!(parse("run", &["--emulator", "--endpoint", DEFAULT_ENDPOINT]).is_err());
}

#[test]
fn run_and_validate_choose_the_same_region() {
    let profile_file = |name: &str| {
        RegionChoice::Profile(PathBuf::from(format!("/home/u/.tccli/{name}.configure")))
    };
    let table: &[(Flags, Vars, Option<PathBuf>, RegionChoice)] = &[
        (&[], &[], home(), profile_file("default")),
        (&["--profile", "prod"], &[], home(), profile_file("prod")),
        (&[], &[], None, RegionChoice::Nowhere),
        (
            &[],
            &[("TENCENTCLOUD_REGION", "ap-shanghai")],
            home(),
            RegionChoice::Env("ap-shanghai".into()),
        ),
        (
            &[],
            &[("TENCENTCLOUD_REGION", "")],
            home(),
            profile_file("default"),
        ),
        (
            &["--region", "ap-beijing"],
            &[("TENCENTCLOUD_REGION", "ap-shanghai")],
            None,
            RegionChoice::Flag("ap-beijing".into()),
        ),
        (
            &["--region", " "],
            &[("TENCENTCLOUD_REGION", "ap-shanghai")],
            None,
            RegionChoice::Env("ap-shanghai".into()),
        ),
        // A named profile's region before the variable, as in tccli.
        (
            &["--profile", "prod"],
            &[("TENCENTCLOUD_REGION", "ap-shanghai")],
            home(),
            RegionChoice::ProfileThenEnv(
                PathBuf::from("/home/u/.tccli/prod.configure"),
                "ap-shanghai".into(),
            ),
        ),
    ];
    for (flags, vars, home, want) in table {
        let env = env_of(vars);
        let run = resolve(&run_args(flags), &env, home.clone()).unwrap();
        assert_eq!(&run.region, want, "run {flags:?} {vars:?}");
        let Ok(Command::Validate(v)) = parse("validate", flags) else {
            panic!("validate {flags:?}");
        };
        let val = resolve_validate(&v, &env, home.clone()).unwrap();
        assert_eq!(&val.region, want, "validate {flags:?} {vars:?}");
        assert_eq!(val.profile, run.profile);
    }
}

#[test]
fn profile_names() {
    for good in ["default", "prod-1", "a.b", "生产"] {
        let p = Profile::new(good, home()).unwrap();
        assert_eq!(
            p.file("credential"),
            Some(PathBuf::from(format!("/home/u/.tccli/{good}.credential")))
        );
    }
    for bad in ["", ".", "..", "a/b", "../x", "a\\b", "x\ny", "nul\0"] {
        let e = Profile::new(bad, home()).unwrap_err().to_string();
        assert!(e.starts_with("--profile "), "{bad:?}: {e}");
        assert!(!e.contains('\n') && !e.contains('\0'), "{bad:?}: {e}");
        let Ok(Command::Validate(v)) = parse("validate", &["--profile", bad]) else {
            panic!("{bad:?}");
        };
        assert!(resolve_validate(&v, &no_env, home()).is_err(), "{bad:?}");
    }
}

#[test]
fn values_in_messages_are_plain_or_quoted_and_short() {
    let long = "9".repeat(200);
    let e = bounds::CONCURRENCY.parse(&long).unwrap_err().to_string();
    assert!(e.len() < 200, "{e}");
    let e = bounds::RATE.parse("\x1b[31m").unwrap_err().to_string();
    assert!(!e.contains('\x1b') && e.contains("\\u{1b}"), "{e}");
    let e = bounds::MAX_RUNTIME.parse("").unwrap_err().to_string();
    assert!(e.contains("\"\""), "{e}");
}

/// `--help` says each range exactly as the messages do.
#[test]
fn run_help_states_every_range() {
    let mut cmd = Cli::command();
    let help = cmd
        .find_subcommand_mut("run")
        .expect("run")
        .render_long_help()
        .to_string();
    // The text is wrapped to the terminal: compare words.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for allowed in [
        bounds::RATE.allowed,
        bounds::CONCURRENCY.allowed,
        bounds::MAX_ATTEMPTS.allowed,
        bounds::REQUEST_TIMEOUT.allowed,
        bounds::SETTLE.allowed,
        bounds::MAX_RUNTIME.allowed,
    ] {
        assert!(help.contains(allowed), "{allowed:?} not in:\n{help}");
    }
}

#[test]
fn wait_timeout_needs_wait() {
    use super::commands::wait;
    let five = Some(Duration::from_secs(300));
    assert_eq!(wait(true, five).ok(), Some(five));
    assert_eq!(wait(true, None).ok(), Some(Some(Duration::from_secs(1800))));
    assert_eq!(wait(false, None).ok(), Some(None));
    let e = wait(false, five).map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("--wait-timeout") && e.contains("add --wait"),
        "{e}"
    );
}
