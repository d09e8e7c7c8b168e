//! The minimum Rust version Cargo.toml claims (`rust-version`), as far as a newer compiler can
//! check it: no crate of the resolved dependency graph (Cargo.lock, for the platform built
//! here) declares a newer `rust-version`. The standard library's APIs are checked by clippy's `incompatible_msrv` lint,
//! which `.ci/run` runs with `-D warnings`. A compiler of that version itself is not run: the CI
//! machine has only the toolchain it was set up with.

use serde_json::Value;

/// `1.89` or `1.89.0` as numbers, to compare.
fn version(v: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn no_dependency_needs_a_newer_rust_than_the_one_claimed() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        // The graph of the platform built here: the crates a build downloaded (a crate that
        // only other platforms use need not be there).
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", env!("BULKFLOW_TARGET")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let claimed = env!("CARGO_PKG_RUST_VERSION");
    assert!(!claimed.is_empty(), "Cargo.toml claims no rust-version");
    let resolved: Vec<&str> = meta["resolve"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let newer: Vec<String> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| resolved.contains(&id)))
        .filter_map(|p| {
            let rv = p["rust_version"].as_str()?;
            (version(rv) > version(claimed))
                .then(|| format!("{} {} needs {rv}", p["name"], p["version"]))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "Cargo.toml claims Rust {claimed}, but: {newer:?}"
    );
}
