//! Names the commit and the target in `bulkflow --version`: `BULKFLOW_COMMIT` is the checkout's
//! `git rev-parse --short=12 HEAD` when the crate is built from its own git checkout, else
//! `unknown` (a tarball, a vendored copy, no git installed); `BULKFLOW_TARGET` is the target
//! triple. Nothing here can fail the build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `git ARGS` run in `dir`: its trimmed stdout when it succeeds and says something.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // Only this crate's own checkout: a tarball unpacked inside another repository is not it.
    let own = git(&dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .is_some_and(|top| std::fs::canonicalize(&dir).is_ok_and(|d| d == top));
    let commit = own
        .then(|| git(&dir, &["rev-parse", "--short=12", "HEAD"]))
        .flatten()
        .unwrap_or_else(|| "unknown".to_owned());
    if own {
        // Built again when HEAD moves: HEAD itself, the branch it names, the packed refs.
        let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
        watched.extend(git(&dir, &["symbolic-ref", "-q", "HEAD"]));
        for name in watched {
            if let Some(path) = git(&dir, &["rev-parse", "--git-path", &name]) {
                println!("cargo:rerun-if-changed={}", dir.join(path).display());
            }
        }
    }
    println!("cargo:rustc-env=BULKFLOW_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=BULKFLOW_TARGET={target}");
}
