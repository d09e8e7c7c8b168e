//! The flags through the binary: values that used to panic (exit 101) or hang are usage errors
//! (exit 2, the flag and its range named, nothing written), and `validate` chooses the default
//! region exactly as `run` does, the tccli profile's included.

use std::path::{Path, PathBuf};

use super::bin_helpers::{run, s, Sandbox};
use super::common::write_manifest;

/// `run M FLAGS --emulator` must exit 2 at once, naming `flag` and its range, with no panic and
/// no state file.
#[track_caller]
fn refused(sb: &Sandbox, manifest: &Path, flags: &[&str], flag: &str, allowed: &str) {
    let mut args = vec!["run", s(manifest)];
    args.extend_from_slice(flags);
    args.push("--emulator");
    let out = run(&args, &[], &sb.home);
    out.expect_code(2);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains(flag) && out.stderr.contains(allowed),
        "{flags:?}:\n{}",
        out.stderr
    );
    let state = PathBuf::from(format!("{}.bulkflow.db", manifest.display()));
    assert!(!state.exists(), "{flags:?} wrote a state file");
}

#[test]
fn numeric_flags_that_panicked_or_hung_are_usage_errors() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let rate = "0 (no pacing) or 0.01 to 1000000 calls per second";
    let cases: &[(&[&str], &str, &str)] = &[
        (&["--rate", "1e30"], "--rate", rate),
        (&["--rate", "1e-9"], "--rate", rate),
        (&["--rate", "NaN"], "--rate", rate),
        (&["--rate=-1"], "--rate", rate),
        (&["--rate", "-1"], "--rate", rate),
        (
            &["--request-timeout", "1e20"],
            "--request-timeout",
            "0.001 to 3600 seconds",
        ),
        (&["--settle", "1e20"], "--settle", "0 to 3600 seconds"),
        (&["--settle", "inf"], "--settle", "0 to 3600 seconds"),
        (&["--max-attempts", "0"], "--max-attempts", "1 to 100"),
        (&["--concurrency", "0"], "--concurrency", "1 to 4096"),
        (
            &["--max-runtime", "18446744073709551615s"],
            "--max-runtime",
            "1s to 365d",
        ),
        (&["--max-runtime", "0"], "--max-runtime", "1s to 365d"),
    ];
    for (flags, flag, allowed) in cases {
        refused(&sb, &manifest, flags, flag, allowed);
    }
}

#[test]
fn wait_timeout_without_wait_is_a_usage_error() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    refused(
        &sb,
        &manifest,
        &["--wait-timeout", "5m"],
        "--wait-timeout applies only with --wait",
        "add --wait",
    );
    let out = run(
        &["delete", s(&manifest), "--wait-timeout", "5m", "--emulator"],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    assert!(out.stderr.contains("--wait-timeout"), "{}", out.stderr);
}

#[test]
fn a_bad_flag_fails_a_dry_run_too() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let out = run(
        &["run", s(&manifest), "--dry-run", "--concurrency", "0"],
        &[],
        &sb.home,
    );
    out.expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // A good one prints the plan on stdout, the output asked for.
    let out = run(&["run", s(&manifest), "--dry-run"], &[], &sb.home);
    out.expect_code(0);
    assert!(
        out.stdout.contains("nothing sent (dry run)"),
        "{}",
        out.stdout
    );
}

/// A manifest with no `Region` column: its rows need a default region.
fn no_region_manifest(dir: &Path) -> PathBuf {
    let path = dir.join("noregion.csv");
    std::fs::write(
        &path,
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey\n\
         cfs-1a2b3c4d,S3_COS,https://b-1251000004.cos.ap-guangzhou.myqcloud.com,p1,/cfs/p1,AKIDsrc,srckey\n",
    )
    .unwrap();
    path
}

fn write_configure(home: &Path, profile: &str, region: &str) {
    let dir = home.join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{profile}.configure")),
        format!(r#"{{"_sys_param": {{"region": "{region}", "output": "json"}}}}"#),
    )
    .unwrap();
}

/// `validate M ARGS` and `run M --dry-run ARGS` agree; returns their common exit code.
fn validate_and_dry_run(sb: &Sandbox, manifest: &Path, args: &[&str], env: &[(&str, &str)]) -> i32 {
    let mut v = vec!["validate", s(manifest)];
    v.extend_from_slice(args);
    let mut d = vec!["run", s(manifest), "--dry-run"];
    d.extend_from_slice(args);
    let (v, d) = (run(&v, env, &sb.home), run(&d, env, &sb.home));
    assert_eq!(
        v.code, d.code,
        "{args:?} {env:?}\nvalidate:\n{}\ndry run:\n{}",
        v.stderr, d.stderr
    );
    v.code
}

#[test]
fn validate_takes_the_region_from_the_same_places_as_run() {
    let sb = Sandbox::new();
    let manifest = no_region_manifest(sb.path());
    // Nowhere: both refuse the row.
    assert_eq!(validate_and_dry_run(&sb, &manifest, &[], &[]), 2);
    // The variable, the flag.
    let env = [("TENCENTCLOUD_REGION", "ap-shanghai")];
    assert_eq!(validate_and_dry_run(&sb, &manifest, &[], &env), 0);
    let flag = ["--region", "ap-beijing"];
    assert_eq!(validate_and_dry_run(&sb, &manifest, &flag, &[]), 0);
    // Another profile's region is not the default profile's.
    write_configure(&sb.home, "prod", "ap-chengdu");
    assert_eq!(validate_and_dry_run(&sb, &manifest, &[], &[]), 2);
    let prod = ["--profile", "prod"];
    assert_eq!(validate_and_dry_run(&sb, &manifest, &prod, &[]), 0);
    // The default profile's region, with no flag at all.
    write_configure(&sb.home, "default", "ap-guangzhou");
    assert_eq!(validate_and_dry_run(&sb, &manifest, &[], &[]), 0);
    let out = run(&["run", s(&manifest), "--dry-run"], &[], &sb.home);
    assert!(out.stdout.contains("ap-guangzhou"), "{}", out.stdout);
    // A named profile's region wins over TENCENTCLOUD_REGION, as in tccli; the variable is
    // used when the profile names none.
    let shanghai = [("TENCENTCLOUD_REGION", "ap-shanghai")];
    for (args, env, region) in [
        (&prod[..], &shanghai[..], "ap-chengdu"),
        (
            &[][..],
            &[
                ("TENCENTCLOUD_REGION", "ap-shanghai"),
                ("TCCLI_PROFILE", "prod"),
            ][..],
            "ap-chengdu",
        ),
        (&[][..], &shanghai[..], "ap-shanghai"),
        (&["--profile", "staging"][..], &shanghai[..], "ap-shanghai"),
    ] {
        let mut v = vec!["validate", s(&manifest), "--json"];
        v.extend_from_slice(args);
        let out = run(&v, env, &sb.home);
        out.expect_code(0);
        assert!(
            out.stdout.contains(&format!("\"region\":\"{region}\"")),
            "{args:?} {env:?}: {}",
            out.stdout
        );
    }
    // A profile name that leaves ~/.tccli is refused by both.
    let bad = ["--profile", "../x"];
    assert_eq!(validate_and_dry_run(&sb, &manifest, &bad, &[]), 2);
}

#[test]
fn an_endpoint_with_a_secret_in_it_is_refused_without_showing_it() {
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    for url in [
        "https://AKIDx:PLANTEDsecret@cfs.tencentcloudapi.com",
        "https://cfs.tencentcloudapi.com/?SecretKey=PLANTEDsecret",
        "http://u:PLANTEDsecret@example.com",
    ] {
        let out = run(
            &["run", s(&manifest), "-vv", "--endpoint", url],
            &[],
            &sb.home,
        );
        out.expect_code(2);
        assert!(out.stderr.contains("--endpoint"), "{}", out.stderr);
        let raw = String::from_utf8_lossy(&out.raw);
        assert!(!raw.contains("PLANTED"), "{raw}");
        let env = [("BULKFLOW_ENDPOINT", url)];
        let out = run(&["run", s(&manifest), "--dry-run", "-vv"], &env, &sb.home);
        out.expect_code(2);
        assert!(!String::from_utf8_lossy(&out.raw).contains("PLANTED"));
    }
}
