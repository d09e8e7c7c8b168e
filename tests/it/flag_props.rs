//! Property tests of the flag parser: clap's parsing and `settings::resolve` together, in
//! process, on arbitrary strings and numbers for every numeric flag of `run`. For any input they
//! must not panic, and must end in settings within the documented ranges or in a usage error
//! that names the flag. Where a simple oracle exists (a plain number), the outcome must match it.
//!
//! Default case counts: 3000 per-flag cases and 1000 all-flags cases (a few seconds in a debug
//! build); `PROPTEST_CASES=N` runs each property N times instead.

use std::time::{Duration, Instant};

use bulkflow::cli::{Cli, Command};
use bulkflow::settings::{resolve, Settings};
use clap::Parser;
use proptest::prelude::*;

/// The numeric flags of `run`.
const FLAGS: [&str; 6] = [
    "--rate",
    "--concurrency",
    "--max-attempts",
    "--request-timeout",
    "--settle",
    "--max-runtime",
];

fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c.failure_persistence = None;
    c
}

/// Values of every kind a user or a script could pass: anything at all, numbers written every
/// way Rust's parsers accept and refuse, durations, and the edges.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ +-]?[0-9]{0,25}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{1,4})? ?",
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<i128>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..5000).prop_map(|n| n.to_string()),
        (0u32..5000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        "([0-9]{0,22}[smhdx]?){0,4}",
        prop::sample::select(vec![
            "",
            " ",
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "1e308",
            "1e309",
            "-1e309",
            "5e-324",
            "0.01",
            "0.00999",
            "1000000",
            "1000000.0001",
            "4096",
            "4097",
            "100",
            "101",
            "3600",
            "3600.0000001",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551615s",
            "365d",
            "366d",
            "31536000",
            "31536001",
            "1h30",
            "0s",
            "0m0s",
        ])
        .prop_map(str::to_owned),
    ]
}

/// What clap and `resolve` make of `run m.csv ARGS`: settings, or the usage error's text.
fn outcome(args: &[String]) -> Result<Settings, String> {
    let argv = ["bulkflow", "run", "m.csv"]
        .into_iter()
        .map(String::from)
        .chain(args.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: Command::Run(a),
            ..
        }) => resolve(&a, &|_| None, None).map_err(|e| e.to_string()),
        Ok(other) => panic!("not a run: {other:?}"),
        Err(e) => {
            // A parse error is a usage error (exit 2), never help or version on stdout.
            assert!(e.use_stderr(), "{e}");
            Err(e.to_string())
        }
    }
}

/// Everything resolved is within the documented ranges, and usable: no duration built from it
/// overflows.
fn assert_in_range(s: &Settings) {
    let p = &s.pacing;
    assert!(
        p.rate == 0.0 || (0.01..=1_000_000.0).contains(&p.rate),
        "{p:?}"
    );
    assert!(
        p.describe_rate <= 20.0 && p.describe_rate <= p.rate,
        "{p:?}"
    );
    assert!((1..=4096).contains(&p.concurrency), "{p:?}");
    assert!((1..=100).contains(&p.max_attempts), "{p:?}");
    assert!(p.request_timeout >= Duration::from_millis(1), "{p:?}");
    assert!(p.request_timeout <= Duration::from_secs(3600), "{p:?}");
    assert!(p.settle <= Duration::from_secs(3600), "{p:?}");
    if let Some(d) = s.max_runtime {
        assert!(d >= Duration::from_secs(1) && d <= Duration::from_secs(365 * 86_400));
        assert!(Instant::now().checked_add(d).is_some());
    }
}

/// The number a plain numeric value stands for, by Rust's own parser, when it is in range.
fn oracle(flag: &str, v: &str) -> Option<f64> {
    let t = v.trim();
    let real = |lo: f64, lo_open: bool, hi: f64, zero: bool| {
        let x: f64 = t.parse().ok()?;
        let ok = x.is_finite()
            && ((zero && x == 0.0) || ((if lo_open { x > lo } else { x >= lo }) && x <= hi));
        ok.then_some(x)
    };
    let whole = |lo: u64, hi: u64| {
        let n: u64 = t.parse().ok()?;
        (lo..=hi).contains(&n).then_some(n as f64)
    };
    match flag {
        "--rate" => real(0.01, false, 1_000_000.0, true),
        "--request-timeout" => real(0.001, false, 3600.0, false),
        "--settle" => real(0.0, false, 3600.0, false),
        "--concurrency" => whole(1, 4096),
        "--max-attempts" => whole(1, 100),
        _ => None,
    }
}

fn resolved_value(flag: &str, s: &Settings) -> f64 {
    match flag {
        "--rate" => s.pacing.rate,
        "--request-timeout" => s.pacing.request_timeout.as_secs_f64(),
        "--settle" => s.pacing.settle.as_secs_f64(),
        "--concurrency" => s.pacing.concurrency as f64,
        "--max-attempts" => f64::from(s.pacing.max_attempts),
        _ => unreachable!("{flag}"),
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// One numeric flag with any value, as `--flag=VALUE` (so a value may start with `-`).
    #[test]
    fn one_flag_any_value(i in 0..FLAGS.len(), v in value()) {
        let flag = FLAGS[i];
        match outcome(&[format!("{flag}={v}")]) {
            Ok(s) => {
                assert_in_range(&s);
                if flag != "--max-runtime" {
                    let want = oracle(flag, &v);
                    prop_assert!(want.is_some(), "{flag}={v:?} accepted: {s:?}");
                    if let Some(want) = want {
                        let got = resolved_value(flag, &s);
                        // Durations keep whole nanoseconds.
                        prop_assert!((got - want).abs() <= 1e-9 + want.abs() * 1e-9, "{flag}={v:?}: {got}");
                    }
                }
            }
            Err(e) => {
                prop_assert!(e.contains(flag), "{flag}={v:?}: {e}");
                prop_assert!(oracle(flag, &v).is_none(), "{flag}={v:?} refused: {e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Every numeric flag at once, each as `--flag VALUE` or `--flag=VALUE`.
    #[test]
    fn all_flags_any_values(vals in prop::collection::vec((value(), any::<bool>()), 6)) {
        let mut args = Vec::new();
        for (flag, (v, joined)) in FLAGS.iter().zip(vals) {
            if joined {
                args.push(format!("{flag}={v}"));
            } else {
                args.push((*flag).to_owned());
                args.push(v);
            }
        }
        let all_plain = FLAGS
            .iter()
            .zip(&args_values(&args))
            .all(|(f, v)| *f == "--max-runtime" || oracle(f, v).is_some());
        match outcome(&args) {
            Ok(s) => assert_in_range(&s),
            // Refused: only for a value out of range, never for every input.
            Err(e) => prop_assert!(!all_plain || e.contains("--max-runtime"), "{args:?}: {e}"),
        }
    }

    /// Every numeric flag at once, each in its range: accepted, each as given.
    #[test]
    fn all_flags_in_range_are_accepted(
        rate in 1u32..1_000_000,
        concurrency in 1u32..=4096,
        attempts in 1u32..=100,
        timeout_ms in 1u32..=3_600_000,
        settle_ms in 0u32..=3_600_000,
        runtime_s in 1u32..=31_536_000,
    ) {
        let args: Vec<String> = [
            format!("--rate={rate}"),
            format!("--concurrency={concurrency}"),
            format!("--max-attempts={attempts}"),
            format!("--request-timeout={}", f64::from(timeout_ms) / 1000.0),
            format!("--settle={}", f64::from(settle_ms) / 1000.0),
            format!("--max-runtime={runtime_s}"),
        ]
        .into();
        let s = outcome(&args);
        prop_assert!(s.is_ok(), "{args:?}: {s:?}");
        if let Ok(s) = s {
            assert_in_range(&s);
            prop_assert_eq!(s.pacing.concurrency, concurrency as usize);
            prop_assert_eq!(s.pacing.max_attempts, attempts);
            prop_assert_eq!(s.max_runtime, Some(Duration::from_secs(runtime_s.into())));
        }
    }
}

/// The values of `--flag VALUE` / `--flag=VALUE` arguments, in flag order.
fn args_values(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].split_once('=') {
            Some((_, v))
                if args[i].starts_with("--")
                    && FLAGS.iter().any(|f| args[i].starts_with(&format!("{f}="))) =>
            {
                out.push(v.to_owned());
                i += 1;
            }
            _ => {
                out.push(args.get(i + 1).cloned().unwrap_or_default());
                i += 2;
            }
        }
    }
    out
}
