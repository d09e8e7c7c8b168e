//! The path rules. The service allows one data flow per directory, and may take `/cfs/a` and
//! `/cfs//a` for one directory: a target path is sent, stored and matched with repeated slashes
//! collapsed, so two rows naming one directory are caught as duplicates before any call. `.` and
//! `..` segments are refused rather than resolved: `/cfs/../etc` is a mistake, not a directory.

use super::problem::quote_if;

/// Checks a TargetPath as written: under `/cfs/`, with no `.` or `..` segment.
pub(crate) fn check_target(v: &str) -> Result<(), String> {
    if !v.starts_with("/cfs/") {
        return Err(format!("{} must start with /cfs/", shown_path(v)));
    }
    match v.split('/').find(|s| *s == "." || *s == "..") {
        Some(dots) => Err(format!(
            "{} has a \"{dots}\" segment; write the directory's own path, without . or ..",
            shown_path(v)
        )),
        None => Ok(()),
    }
}

/// Checks a SourcePath: no `..` segment. The rest of a path in the bucket is the service's
/// business (a `.` or a doubled slash may be part of an object key), but a bucket has no parent
/// directories, so `..` is surely a mistake.
pub(crate) fn check_source(v: &str) -> Result<(), String> {
    if v.split('/').any(|s| s == "..") {
        return Err(format!(
            "{} has a \"..\" segment; write the path in the bucket without it",
            shown_path(v)
        ));
    }
    Ok(())
}

/// A path for a message: quoted when it looks like one (it has a `/` or starts like `cfs`).
fn shown_path(v: &str) -> String {
    let looks = v.contains('/') || v.get(..3).is_some_and(|h| h.eq_ignore_ascii_case("cfs"));
    quote_if(v, looks, "a path")
}

/// A target path with every run of slashes made one: `/cfs//a///b/` is `/cfs/a/b/`. This is what
/// is sent, stored and compared.
pub(crate) fn collapse_slashes(v: String) -> String {
    if !v.contains("//") {
        return v;
    }
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_paths_under_cfs_without_dot_segments() {
        for ok in [
            "/cfs/a",
            "/cfs/a/",
            "/cfs//a",
            "/cfs/a.b/..c/c..",
            "/cfs/.hidden",
        ] {
            assert_eq!(check_target(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_target("/cfs/../etc").unwrap_err(),
            r#""/cfs/../etc" has a ".." segment; write the directory's own path, without . or .."#
        );
        assert_eq!(
            check_target("/cfs/a/./b").unwrap_err(),
            r#""/cfs/a/./b" has a "." segment; write the directory's own path, without . or .."#
        );
        for bad in ["/cfs/a/..", "/cfs/a/.", "/cfs/./", "/cfs//../x"] {
            assert!(check_target(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_target("/data/a").unwrap_err(),
            r#""/data/a" must start with /cfs/"#
        );
        assert!(check_target("//cfs/a").is_err());
    }

    #[test]
    fn source_paths_refuse_only_parent_segments() {
        for ok in ["data/a", "./data", "a//b", "/", "a/..b/c..", ""] {
            assert_eq!(check_source(ok), Ok(()), "{ok}");
        }
        for bad in ["..", "data/../x", "/a/..", "../"] {
            assert!(check_source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn runs_of_slashes_become_one() {
        let c = |s: &str| collapse_slashes(s.to_owned());
        assert_eq!(c("/cfs/a"), "/cfs/a");
        assert_eq!(c("/cfs//a"), "/cfs/a");
        assert_eq!(c("/cfs///a//b//"), "/cfs/a/b/");
        assert_eq!(c("/cfs/数据//目录"), "/cfs/数据/目录");
    }
}
