//! Every figure a run tells comes from one count and adds up (issue 20, 3; issue 19, 3): over a
//! table of runs (create, adopt, update with few differences, rotate, wait, delete, task start,
//! task follow), the closing summary, `status`, `status --json`, `--summary-file`, the metrics
//! file and the HTML page say the same figures, and the calls they say are the calls the
//! emulator counted.

use std::path::Path;

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::report::passes::sentence;
use bulkflow::store::PassRecord;
use serde_json::Value;

use super::bin_helpers::{run, s, Output, Sandbox};
use super::common::write_manifest;
use super::prom_text::{parse, Sample};

/// The keys the emulators of these tests check signatures against.
const ID: &str = "AKIDcounts";
const KEY: &str = "counts-key";

/// An emulator with no limit of rate and quick flows and tasks.
fn emulator(unavailable: f64, seed: u64) -> Emulator {
    Emulator::start(EmulatorConfig {
        secret_id: ID.into(),
        secret_key: bulkflow::secret::Secret::new(KEY),
        rate: 0,
        available_after_ms: 300,
        deleting_ms: 200,
        task_mbps: 5_000.0,
        unavailable,
        seed,
        ..EmulatorConfig::default()
    })
    .expect("emulator")
}

/// The calls an emulator received that change something (listings apart).
fn changing_calls(emu: &Emulator) -> u64 {
    let c = emu.counters();
    let t = emu.task_counters();
    c.create_calls + c.delete_calls + c.modify_calls + t.create_calls + t.stop_calls
}

/// A pass of the summary file, as the state file records it.
fn record(p: &Value) -> PassRecord {
    let n = |k: &str| p[k].as_u64().unwrap_or_else(|| panic!("{k} in {p}"));
    PassRecord {
        pass: p["pass"].as_str().expect("pass").to_owned(),
        word: p["word"].as_str().expect("word").to_owned(),
        elapsed_ms: (p["elapsed_s"].as_f64().expect("elapsed_s") * 1000.0).round() as u64,
        calls: n("calls"),
        throttled: n("throttled"),
        called: n("called"),
        adopted: n("adopted"),
        found: n("found"),
        unchanged: n("unchanged"),
        failed: n("failed"),
        skipped: n("skipped"),
        left: n("left"),
        earlier: n("earlier"),
    }
}

fn metric(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> u64 {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
        .unwrap_or_else(|| panic!("{name} {labels:?} not in the metrics file"))
        .value as u64
}

/// The numeric cells of run `id`'s line in the HTML page's table of runs, and its Done cell.
fn runs_row(page: &str, id: u64) -> (Vec<u64>, String) {
    let start = page
        .find(&format!("<tr><td>#{id} "))
        .unwrap_or_else(|| panic!("run #{id} not in the table of runs"));
    let row = &page[start..start + page[start..].find("</tr>").expect("row end")];
    let cells: Vec<&str> = row
        .split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').expect("cell") + 1..];
            &c[..c.find("</td>").expect("cell end")]
        })
        .collect();
    let num = |i: usize| cells[i].replace(',', "").parse::<u64>().expect("a number");
    (vec![num(4), num(5)], cells[7].to_owned())
}

/// What one command of the table said.
struct Said {
    summary: Value,
    passes: Vec<PassRecord>,
}

/// A state file and the emulator its runs go to.
struct Bench<'a> {
    sb: &'a Sandbox,
    emu: &'a Emulator,
    manifest: &'a Path,
    state: String,
}

impl Bench<'_> {
    fn bulkflow(&self, args: &[&str]) -> Output {
        let env = [
            ("TENCENTCLOUD_SECRET_ID", ID),
            ("TENCENTCLOUD_SECRET_KEY", KEY),
        ];
        run(args, &env, &self.sb.home)
    }

    /// Runs `command ARGS` with the files every check reads, checks that each place says the
    /// same figures and that the calls are the emulator's, and returns what it said.
    fn step(&self, args: &[&str], code: i32) -> Said {
        let (summary_file, metrics_file) = (
            self.sb.path().join("summary.json"),
            self.sb.path().join("m.prom"),
        );
        let url = self.emu.url();
        let mut full: Vec<&str> = args.to_vec();
        full.insert(1, s(self.manifest));
        full.extend([
            "--state",
            &self.state,
            "--endpoint",
            &url,
            "--progress",
            "none",
            "--summary-file",
            s(&summary_file),
            "--metrics-file",
            s(&metrics_file),
        ]);
        let before = changing_calls(self.emu);
        let out = self.bulkflow(&full);
        out.expect_code(code);
        let calls_seen = changing_calls(self.emu) - before;

        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(&summary_file).expect("the summary file"),
        )
        .expect("JSON");
        let passes: Vec<PassRecord> = summary["passes"]
            .as_array()
            .expect("passes")
            .iter()
            .map(record)
            .collect();
        let calls = summary["calls"].as_u64().expect("calls");
        let throttled = summary["throttled"].as_u64().expect("throttled");
        let what = format!("{args:?}: {summary}");
        // The calls the summary says are the calls the emulator saw, pass by pass.
        assert_eq!(calls, calls_seen, "{what}");
        assert_eq!(calls, passes.iter().map(|p| p.calls).sum::<u64>(), "{what}");
        assert_eq!(
            throttled,
            passes.iter().map(|p| p.throttled).sum::<u64>(),
            "{what}"
        );
        // Each pass's rows add up to the manifest's (every pass read every row).
        let total = summary["total"].as_u64().expect("total");
        for p in &passes {
            let rows = p.reached() + p.unchanged + p.failed + p.skipped + p.left + p.earlier;
            assert_eq!(rows, total, "{p:?} in {what}");
        }
        // The text summary says the same.
        let words = sentence(&passes, total);
        assert!(
            out.stderr.contains(&format!(" {calls} calls in ")),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("This run: {words}.")),
            "{words}\n{}",
            out.stderr
        );
        self.status_agrees(&summary, &words);
        self.metrics_agree(&summary, &passes, &metrics_file);
        self.page_agrees(&summary, &words);
        Said { summary, passes }
    }

    /// `status --json` and `status` say what the summary said.
    fn status_agrees(&self, summary: &Value, words: &str) {
        let out = self.bulkflow(&["status", "--state", &self.state, "--json"]);
        out.expect_code(0);
        let status: Value = serde_json::from_str(&out.stdout).expect("status JSON");
        let last = &status["last_run"];
        for (theirs, ours) in [
            ("calls", "calls"),
            ("throttled", "throttled"),
            ("created", "created_now"),
            ("adopted", "adopted_now"),
            ("command", "command"),
            ("passes", "passes"),
            ("exit_code", "exit_code"),
        ] {
            assert_eq!(last[theirs], summary[ours], "{theirs}: {last}\n{summary}");
        }
        for state in [
            "created", "failed", "unknown", "retrying", "pending", "deleted",
        ] {
            assert_eq!(
                status["counts"][state], summary["counts"][state],
                "{state}: {status}"
            );
        }
        let text = self.bulkflow(&["status", "--state", &self.state]);
        text.expect_code(0);
        let calls = summary["calls"].as_u64().expect("calls");
        assert!(
            text.stdout.contains(&format!(", {calls} calls (")),
            "{}",
            text.stdout
        );
        assert!(
            text.stdout.contains(&format!("\n  passes: {words}\n")),
            "{words}\n{}",
            text.stdout
        );
    }

    /// The metrics file the run wrote at its end says what the summary said.
    fn metrics_agree(&self, summary: &Value, passes: &[PassRecord], path: &Path) {
        let text = std::fs::read_to_string(path).expect("metrics file");
        let samples = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let n = |k: &str| summary[k].as_u64().expect("figure");
        assert_eq!(metric(&samples, "bulkflow_calls_total", &[]), n("calls"));
        assert_eq!(
            metric(&samples, "bulkflow_throttled_calls_total", &[]),
            n("throttled")
        );
        assert_eq!(metric(&samples, "bulkflow_manifest_rows", &[]), n("total"));
        for state in [
            "created", "failed", "unknown", "retrying", "pending", "deleted",
        ] {
            assert_eq!(
                metric(&samples, "bulkflow_rows", &[("state", state)]),
                summary["counts"][state].as_u64().expect("count"),
                "{state}"
            );
        }
        for p in passes {
            for (how, want) in [
                ("called", p.called),
                ("adopted", p.adopted),
                ("found", p.found),
                ("unchanged", p.unchanged),
                ("failed", p.failed),
                ("skipped", p.skipped),
                ("left", p.left),
                ("earlier", p.earlier),
            ] {
                let got = metric(
                    &samples,
                    "bulkflow_pass_rows",
                    &[("pass", &p.pass), ("how", how)],
                );
                assert_eq!(got, want, "{} {how}", p.pass);
            }
        }
    }

    /// The HTML page, charting this run, says what the summary said.
    fn page_agrees(&self, summary: &Value, words: &str) {
        let status = self.bulkflow(&["status", "--state", &self.state, "--json"]);
        let id = serde_json::from_str::<Value>(&status.stdout).expect("JSON")["last_run"]["id"]
            .as_u64()
            .expect("id");
        let out = self.bulkflow(&[
            "report",
            "--state",
            &self.state,
            "--format",
            "html",
            "--run",
            &id.to_string(),
        ]);
        out.expect_code(0);
        let page = &out.stdout;
        let (nums, done) = runs_row(page, id);
        let n = |k: &str| summary[k].as_u64().expect("figure");
        assert_eq!(nums, vec![n("calls"), n("throttled")], "run #{id}");
        let word = match summary["command"].as_str() {
            Some("delete") => "deleted",
            Some("task") => "tasks started",
            Some("task --stop") => "tasks stopped",
            _ => "created",
        };
        let (goal, adopted) = (n("created_now"), n("adopted_now"));
        let want = match adopted {
            0 => format!("{goal} {word}"),
            a => format!("{} {word}, {a} adopted", goal - a),
        };
        assert_eq!(done, want, "run #{id}");
        assert!(
            page.contains(&format!("What it did: {words}.")),
            "{words} not on the page"
        );
    }
}

/// The table: each kind of run, its exit code, and what its passes did.
#[test]
fn every_place_says_the_same_figures_and_they_are_the_calls_made() {
    let sb = Sandbox::new();
    let emu = emulator(0.0, 3);
    let manifest = write_manifest(sb.path(), 12, 2);
    let state = sb.path().join("one.db");
    let bench = Bench {
        sb: &sb,
        emu: &emu,
        manifest: &manifest,
        state: s(&state).to_owned(),
    };
    let pass = |said: &Said, name: &str| -> PassRecord {
        said.passes
            .iter()
            .find(|p| p.pass == name)
            .unwrap_or_else(|| panic!("no pass {name} in {:?}", said.passes))
            .clone()
    };

    // Create: 12 calls, 12 flows created by them.
    let said = bench.step(&["run"], 0);
    let create = pass(&said, "create");
    assert_eq!((create.calls, create.called, create.adopted), (12, 12, 0));

    // Adopt: a new state file over the same flows: no call, every flow adopted, named so.
    let fresh = Bench {
        state: s(&sb.path().join("two.db")).to_owned(),
        ..bench
    };
    let said = fresh.step(&["run"], 0);
    let create = pass(&said, "create");
    assert_eq!((create.calls, create.adopted, create.called), (0, 12, 0));
    assert_eq!(said.summary["adopted_now"], 12);
    let bench = fresh;

    // Update with few differences: 3 names changed, 3 calls, 9 left unchanged.
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let edited: String = text
        .lines()
        .map(|l| {
            ["flow_0,", "flow_1,", "flow_2,"]
                .iter()
                .fold(l.to_owned(), |l, f| l.replace(f, &f.replace(',', "_b,")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, edited).expect("edit");
    let said = bench.step(&["run", "--update"], 0);
    assert_eq!(pass(&said, "create").earlier, 12);
    let update = pass(&said, "update");
    assert_eq!((update.calls, update.called, update.unchanged), (3, 3, 9));

    // Rotate: every flow's keys set, one call each.
    let said = bench.step(&["run", "--rotate-keys"], 0);
    let rotate = pass(&said, "rotate keys");
    assert_eq!((rotate.calls, rotate.called), (12, 12));

    // Wait: no call, every flow found available.
    let said = bench.step(&["run", "--wait"], 0);
    let wait = pass(&said, "wait");
    assert_eq!((wait.calls, wait.found), (0, 12));
    assert_eq!(said.summary["waiting"], 0);

    // Task start: one call per row, every task started; the summary says tasks, not flows.
    let said = bench.step(&["task", "--type", "metaload"], 0);
    let start = pass(&said, "start metaload");
    assert_eq!((start.calls, start.called), (12, 12));
    assert_eq!(said.summary["goal"], "started");
    assert_eq!(said.summary["created_now"], 12);

    // Task follow: no call, every task found ended.
    let said = bench.step(&["task", "--type", "metaload", "--wait"], 0);
    let follow = pass(&said, "follow metaload");
    assert_eq!((follow.calls, follow.found), (0, 12));

    // Delete: one call per row, every flow deleted; status says deleted, not created.
    let said = bench.step(&["delete", "--yes"], 0);
    let delete = pass(&said, "delete");
    assert_eq!((delete.calls, delete.called), (12, 12));
    assert_eq!(said.summary["goal"], "deleted");
    let status = bench.bulkflow(&["status", "--state", &bench.state]);
    assert!(
        status.stdout.contains(", 12 deleted, exit 0"),
        "{}",
        status.stdout
    );
}

/// A run whose wait finds some flows unavailable: the counts add up (it said `14 created (20
/// now, 0 earlier), 6 failed` before): the create pass made every flow, the wait found some
/// available and failed the others, and the rows per state are what the wait left.
#[test]
fn a_wait_that_fails_flows_adds_up() {
    let sb = Sandbox::new();
    let emu = emulator(0.3, 11);
    let manifest = write_manifest(sb.path(), 20, 2);
    let bench = Bench {
        sb: &sb,
        emu: &emu,
        manifest: &manifest,
        state: s(&sb.path().join("s.db")).to_owned(),
    };
    let said = bench.step(&["run", "--wait"], 1);
    let create = &said.passes[0];
    let wait = &said.passes[1];
    assert_eq!((create.calls, create.called), (20, 20));
    assert!(wait.failed > 0 && wait.found > 0, "{wait:?}");
    assert_eq!(wait.found + wait.failed, 20);
    let counts = &said.summary["counts"];
    assert_eq!(counts["created"], wait.found);
    assert_eq!(counts["failed"], wait.failed);
}

/// A delete that stops the rows' running tasks first counts the flows it deleted as what it did
/// (its goal pass), not the tasks its first pass stopped: here some flows ended unavailable and
/// got no task, so the two differ.
#[test]
fn a_delete_that_stops_tasks_first_says_what_it_deleted() {
    let sb = Sandbox::new();
    let emu = Emulator::start(EmulatorConfig {
        secret_id: ID.into(),
        secret_key: bulkflow::secret::Secret::new(KEY),
        rate: 0,
        available_after_ms: 100,
        unavailable: 0.4,
        deleting_ms: 100,
        // Restores of a few MiB at 1 kB/s: still running when the delete comes.
        task_mbps: 0.001,
        task_stopping_ms: 100,
        seed: 5,
        ..EmulatorConfig::default()
    })
    .expect("emulator");
    let manifest = write_manifest(sb.path(), 6, 2);
    let bench = Bench {
        sb: &sb,
        emu: &emu,
        manifest: &manifest,
        state: s(&sb.path().join("s.db")).to_owned(),
    };
    let said = bench.step(&["run", "--wait"], 1);
    let unavailable = said.passes[1].failed;
    assert!(unavailable > 0 && unavailable < 6, "{:?}", said.passes);
    let said = bench.step(&["task", "--type", "restore"], 1);
    assert_eq!(said.passes[0].called, 6 - unavailable, "{:?}", said.passes);
    let said = bench.step(&["delete", "--yes"], 0);
    let names: Vec<&str> = said.passes.iter().map(|p| p.pass.as_str()).collect();
    assert_eq!(names, ["stop restore", "delete"], "{:?}", said.passes);
    assert_eq!(said.passes[0].called, 6 - unavailable, "{:?}", said.passes);
    assert_eq!(said.passes[1].called, 6, "{:?}", said.passes);
    assert_eq!(said.summary["created_now"], 6);
    assert_eq!(said.summary["goal"], "deleted");
}
