//! What each pass of a run did, in words: the one sentence the summary ends its figures with
//! and `status` repeats for the last run, from the engine's counts (as the state file records
//! them): `create 7.0s, 120 calls: 114 created, 6 adopted; wait 2.0s: 114 found available, 6
//! failed`.

use crate::store::PassRecord;

/// One pass of a run over a manifest of `manifest_rows` rows: `create 7.0s, 120 calls (3
/// throttled): 114 created, 6 adopted, 2 failed`.
pub fn pass(p: &PassRecord, manifest_rows: u64) -> String {
    let mut head = format!("{} {:.1}s", p.pass, p.elapsed_ms as f64 / 1000.0);
    match (p.calls, p.throttled) {
        (0, _) => {}
        (1, 0) => head.push_str(", 1 call"),
        (n, 0) => head.push_str(&format!(", {n} calls")),
        (n, t) => head.push_str(&format!(
            ", {n} call{} ({t} throttled)",
            if n == 1 { "" } else { "s" }
        )),
    }
    format!("{head}: {}", rows(p, manifest_rows))
}

/// The rows of a pass by how they ended, those with none left out: `114 created, 6 adopted,
/// 115 unchanged, 2 failed, 3 settled earlier`; the rows of the manifest it never read (a pass
/// cut short) are `not reached`.
pub fn rows(p: &PassRecord, manifest_rows: u64) -> String {
    let word = &p.word;
    let parts: Vec<String> = [
        (p.called, word.clone()),
        (p.adopted, "adopted".to_owned()),
        (p.found, format!("found {word}")),
        (p.unchanged, "unchanged".to_owned()),
        (p.failed, "failed".to_owned()),
        (p.skipped, "not sent".to_owned()),
        (p.left, "left for the next run".to_owned()),
        (p.earlier, "settled earlier".to_owned()),
        (
            manifest_rows.saturating_sub(p.read()),
            "not reached".to_owned(),
        ),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "no row".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Every pass of a run over a manifest of `manifest_rows` rows, `; ` between them.
pub fn sentence(passes: &[PassRecord], manifest_rows: u64) -> String {
    let list: Vec<String> = passes.iter().map(|p| pass(p, manifest_rows)).collect();
    list.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pass: &str, word: &str) -> PassRecord {
        PassRecord {
            pass: pass.into(),
            word: word.into(),
            elapsed_ms: 7_040,
            ..PassRecord::default()
        }
    }

    #[test]
    fn a_pass_says_its_calls_and_how_its_rows_ended() {
        let create = PassRecord {
            calls: 114,
            called: 114,
            adopted: 6,
            ..record("create", "created")
        };
        let wait = PassRecord {
            found: 114,
            failed: 6,
            elapsed_ms: 2_000,
            ..record("wait", "available")
        };
        assert_eq!(
            sentence(&[create, wait], 120),
            "create 7.0s, 114 calls: 114 created, 6 adopted; wait 2.0s: 114 found available, \
             6 failed"
        );
        let adopting = PassRecord {
            adopted: 120,
            ..record("create", "created")
        };
        assert_eq!(pass(&adopting, 120), "create 7.0s: 120 adopted");
        let update = PassRecord {
            calls: 6,
            throttled: 1,
            called: 5,
            unchanged: 115,
            earlier: 3,
            ..record("update", "updated")
        };
        assert_eq!(
            pass(&update, 123),
            "update 7.0s, 6 calls (1 throttled): 5 updated, 115 unchanged, 3 settled earlier"
        );
        assert_eq!(pass(&record("delete", "deleted"), 0), "delete 7.0s: no row");
        // A pass cut short says the rows it never read (issue 20, 3).
        let cut = PassRecord {
            calls: 20,
            called: 18,
            left: 39,
            ..record("create", "created")
        };
        assert_eq!(
            pass(&cut, 120),
            "create 7.0s, 20 calls: 18 created, 39 left for the next run, 63 not reached"
        );
    }
}
