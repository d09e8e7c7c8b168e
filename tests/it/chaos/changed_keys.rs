//! Key rotation resumed with other keys, under listing lag, late answers and lost answers, each
//! run killed with SIGKILL at seeded moments (issue 21, item 4):
//!
//! 1. `run` with keys K0, killed, then to its end;
//! 2. `run --rotate-keys` with keys K1, killed;
//! 3. the manifest's keys changed to K2: `run --rotate-keys`, killed, then to its end.
//!
//! After every kill, once what it left in flight has landed: no directory holds two flows, and a
//! row recorded as rotated by the current rotation has its flow holding the keys whose digest it
//! records (the digest is worked out here from the state file's salt), or the manifest's keys of
//! the moment (a ModifyDataFlow that acted and was killed before its answer was recorded: the
//! next run sends it again). At the end every flow holds K2, and the rotation is recorded
//! finished with every row rotated.
//!
//! The long run: `BULKFLOW_CHAOS_SEED=1 cargo test --release --test main
//! chaos_rotate_changed_long -- --ignored --nocapture`.

use std::collections::HashMap;

use bulkflow::secret::Secret;
use bulkflow::store::key_digest::{KeySalt, RowKeys};
use bulkflow::store::read;

use super::changed::{faulty, keys, Bench};

const GENERATIONS: [&str; 3] = ["k0", "k1", "k2"];

struct Plan {
    rows: usize,
    seed: u64,
    /// Kills of the create, the rotation to K1 and the rotation to K2.
    kills: [usize; 3],
    /// Each kill of a rotation comes after a seeded moment in this range (ms).
    kill_ms: (u64, u64),
    lag_ms: u64,
}

/// The generation of keys each digest names, for every row.
fn digests(b: &Bench) -> HashMap<String, (usize, &'static str)> {
    let hex: String = b
        .conn()
        .query_row("SELECT value FROM meta WHERE key = 'key_salt'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let salt = KeySalt::new(hex::decode(hex).unwrap().try_into().unwrap());
    let mut out = HashMap::new();
    for i in 0..b.rows {
        for g in GENERATIONS {
            let (id, key) = keys(g, i);
            let (id, key) = (Secret::new(id), Secret::new(key));
            let d = salt.digest(RowKeys {
                secret_id: &id,
                secret_key: &key,
                password: None,
            });
            out.insert(d.to_hex(), (i, g));
        }
    }
    out
}

/// The invariant after a kill, with the manifest's keys of generation `now`; the rows recorded
/// rotated by the current rotation, per generation of keys (`landed` for those whose flow holds
/// newer keys than recorded).
fn check(
    b: &Bench,
    names: &HashMap<String, (usize, &'static str)>,
    now: &str,
) -> HashMap<&'static str, usize> {
    let live = b.live();
    let current = read::last_rotation(&b.conn()).unwrap().map(|r| r.id);
    let mut per = HashMap::new();
    for r in b.state_rows() {
        if r.rotation.is_none() || r.rotation != current || r.state != "created" {
            continue;
        }
        let d = r.rotation_keys.as_deref().expect("a digest of the keys");
        let &(i, g) = names
            .get(d)
            .unwrap_or_else(|| panic!("row {}: digest of no keys", r.i));
        assert_eq!(i, r.i, "row {}: another row's keys", r.i);
        let f = live
            .get(&i)
            .unwrap_or_else(|| panic!("row {i} rotated, no flow"));
        let held = f.secret_id.expose();
        let landed = g != now && held == keys(now, i).0;
        assert!(
            held == keys(g, i).0 || landed,
            "row {i} is recorded rotated to {g}, its flow holds {held}; {}",
            b.stderr()
        );
        *per.entry(if landed { "landed" } else { g }).or_default() += 1;
    }
    per
}

fn chaos_rotate(plan: Plan) {
    let settles = [1.0, 1.5, 2.5].map(|k| k * plan.lag_ms as f64 / 1000.0);
    let mut b = Bench::new(plan.rows, plan.seed, faulty(plan.lag_ms), &settles);
    let none = Default::default();
    b.write(&none, "k0");
    for _ in 0..plan.kills[0] {
        b.cycle(&["run"], (100, 1500));
        b.live();
    }
    // Every row created (with K0), so that the rotations' kills land in their rotate pass.
    assert_eq!(b.finish(&["run"]), 0, "{}", b.stderr());
    let names = digests(&b);
    let mut stale_at_switch = 0;
    for (phase, g) in [(1, "k1"), (2, "k2")] {
        b.write(&none, g);
        if phase == 2 {
            stale_at_switch = check(&b, &names, g).get("k1").copied().unwrap_or(0);
        }
        for cycle in 0..plan.kills[phase] {
            let code = b.cycle(&["run", "--rotate-keys"], plan.kill_ms);
            let per = check(&b, &names, g);
            eprintln!("rotate to {g}, cycle {cycle}: {code:?}; rotated per keys {per:?}");
        }
    }
    let code = b.finish(&["run", "--rotate-keys"]);
    assert_eq!(code, 0, "{}", b.stderr());
    let per = check(&b, &names, "k2");
    assert_eq!(per.get("k2"), Some(&plan.rows), "{per:?}");
    let live = b.live();
    assert_eq!(live.len(), plan.rows);
    for (i, f) in &live {
        assert_eq!(f.secret_id.expose(), keys("k2", *i).0, "row {i}");
    }
    let r = read::last_rotation(&b.conn()).unwrap().unwrap();
    assert!(
        r.finished_at_ms.is_some() && r.rotated == plan.rows as u64,
        "{r:?}"
    );
    eprintln!(
        "seed {}: {} rows; {stale_at_switch} rows rotated to K1 when the keys changed; \
         emulator {:?}",
        plan.seed,
        plan.rows,
        b.emu.counters()
    );
    assert!(stale_at_switch > 0, "no rotation to K1 was left to resume");
}

#[test]
fn chaos_rotate_changed_ci() {
    chaos_rotate(Plan {
        rows: 120,
        seed: 4,
        kills: [2, 2, 2],
        kill_ms: (300, 1800),
        lag_ms: 800,
    });
}

#[test]
#[ignore = "long: 1,000 rows, 30 kills over create and two key changes; run it --release"]
fn chaos_rotate_changed_long() {
    let seed = std::env::var("BULKFLOW_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    chaos_rotate(Plan {
        rows: 1000,
        seed,
        kills: [10, 10, 10],
        kill_ms: (1000, 8000),
        lag_ms: 1500,
    });
}
