//! `report --format html` on the state file of a real run against the emulator: every section,
//! counts that agree with the state file, the chart's numbers, hostile messages escaped, nothing
//! fetched from elsewhere; and the binary's `--format html`, `--output` and `--run`.

use std::path::{Path, PathBuf};

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{self, EventSink};
use bulkflow::report::html::{self, HtmlOptions};
use bulkflow::store;
use rusqlite::Connection;
use tokio_util::sync::CancellationToken;

use super::bin_helpers::spawn;
use super::common::{settings, write_manifest};

/// 40 rows on two file systems, of which only the first exists: 20 created, 20 failed. The
/// emulator allows 10 calls a second and bulkflow asks for 60, and some calls fail, so that the
/// run has throttled calls and errors to chart.
async fn rehearsal(dir: &Path) -> PathBuf {
    let manifest = write_manifest(dir, 40, 2);
    let config = EmulatorConfig {
        rate: 10,
        latency_ms: (1, 10),
        internal_error: 0.1,
        file_systems: Some(vec!["cfs-00000000".into()]),
        seed: 3,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).expect("emulator");
    let s = settings(&emu, &config, &manifest, 60.0);
    let state = s.state.clone();
    let result = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .expect("run");
    assert_eq!(result.exit_code().code(), 1, "{result:?}");
    state
}

fn count(conn: &Connection, sql: &str) -> u64 {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .expect("count") as u64
}

/// The section `id` of the page, up to its end.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let len = page[start..].find("</section>").expect("section end");
    &page[start..start + len]
}

/// Calls, throttled calls and errors, summed over the chart's per-second tooltips.
fn chart_totals(page: &str) -> [u64; 3] {
    let mut sums = [0u64; 3];
    for title in page.split("<title>").skip(1) {
        let text = &title[..title.find("</title>").expect("title end")];
        // `12s: 10 calls, 2 throttled, 0 errors`
        let numbers: Vec<u64> = text
            .split_once(": ")
            .expect("tooltip")
            .1
            .split(", ")
            .map(|part| part.split(' ').next().expect("n").parse().expect("number"))
            .collect();
        for (s, n) in sums.iter_mut().zip(numbers) {
            *s += n;
        }
    }
    sums
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_of_a_real_run_agrees_with_its_state_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = rehearsal(dir.path()).await;
    let conn = store::open(&state, false).expect("open state");
    let page = html::render(&conn, HtmlOptions::default()).expect("render");

    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    for id in ["summary", "calls", "runs", "file-systems", "errors", "rows"] {
        section(&page, id);
    }
    assert!(
        page.contains("Rehearsal:"),
        "a loopback run is called a rehearsal"
    );

    let summary = section(&page, "summary");
    assert!(summary.contains("<span class=\"n\">40</span><span>in the manifest</span>"));
    assert!(summary.contains("<div class=\"card created\"><span class=\"n\">20</span>"));
    assert!(summary.contains("<div class=\"card failed\"><span class=\"n\">20</span>"));

    // The calls as the state file records them, in the runs' totals and in the chart.
    let calls = count(&conn, "SELECT count(*) FROM attempts");
    let throttled = count(
        &conn,
        "SELECT count(*) FROM attempts WHERE outcome = 'throttled'",
    );
    let errors = count(
        &conn,
        "SELECT count(*) FROM attempts WHERE outcome NOT IN ('success', 'throttled')",
    );
    assert!(calls >= 20, "{calls}");
    assert!(
        throttled > 0,
        "asking 60/s of a 10/s emulator throttles some calls"
    );
    let runs = section(&page, "runs");
    assert!(
        runs.contains(&format!(
            "<td colspan=\"4\">All 1 run</td><td class=\"num\">{calls}</td>\
             <td class=\"num\">{throttled}</td><td class=\"num\">{errors}</td>\
             <td>20 created</td>"
        )),
        "{runs}"
    );
    assert!(runs.contains("<span class=\"exit bad\">1</span> rows failed"));
    let chart = section(&page, "calls");
    assert!(chart.contains("<h2>Calls per second, run #1</h2>"));
    assert!(chart.contains("<svg class=\"chart\""));
    assert_eq!(chart_totals(chart), [calls, throttled, errors]);

    let fs = section(&page, "file-systems");
    assert!(fs.contains(
        "<td>ap-guangzhou</td><td><code>cfs-00000000</code></td><td class=\"num\">20</td>\
         <td class=\"num\">0</td><td class=\"num\">20</td>"
    ));
    assert!(fs.contains(
        "<td>ap-guangzhou</td><td><code>cfs-00000001</code></td><td class=\"num\">0</td>\
         <td class=\"num failed\">20</td><td class=\"num\">20</td>"
    ));

    let codes = section(&page, "errors");
    let missing = &codes[codes
        .find("<code>ResourceNotFound.FileSystemNotFound</code>")
        .expect("the code of the missing file system")..];
    let missing = &missing[..missing.find("</tr>").expect("row end")];
    assert!(
        missing.contains("<td class=\"num failed\">20</td>"),
        "{missing}"
    );
    assert!(
        missing.contains("cfs-00000001"),
        "an example message: {missing}"
    );

    let rows = section(&page, "rows");
    assert!(rows.contains("<h2>Failed rows <span class=\"count\">20</span></h2>"));
    assert_eq!(rows.matches("<tr>").count(), 21);
    assert!(!rows.contains("SRCKEY-planted"), "no secret in the report");
    assert!(!page.contains("SRCKEY-planted"), "no secret in the report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_messages_are_escaped_and_nothing_comes_from_elsewhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = rehearsal(dir.path()).await;
    let conn = store::open(&state, false).expect("open state");
    // What a hostile server could have answered, as the state file would keep it.
    let hostile = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)> \
                   <a href=\"https://evil.example/\">x</a> <style>@import url(https://evil.example/x.css)</style>";
    conn.execute(
        "UPDATE flows SET error_message = ?1, error_code = 'Evil<b>Code' WHERE state = 'failed'",
        [hostile],
    )
    .expect("tamper");
    conn.execute("UPDATE runs SET manifest = ?1", [hostile])
        .expect("tamper");
    let page = html::render(&conn, HtmlOptions::default()).expect("render");

    assert!(page.contains("&lt;script&gt;alert(document.cookie)&lt;/script&gt;"));
    assert!(page.contains("Evil&lt;b&gt;Code"));
    for needle in [
        "<script",
        "<img",
        "<a ",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "src=\"",
        "src=x>",
        "href=\"",
        "href=http",
        "<b>",
    ] {
        assert!(!page.contains(needle), "{needle} got into the page");
    }
    // Outside the escaped text, nothing that a browser would fetch.
    let own = page.replace(&bulkflow::report::html_text::escape(hostile), "");
    for needle in ["http:", "https:", "url(", "@import", "src=", "href="] {
        assert!(!own.contains(needle), "{needle} in the page");
    }
    // One <style> element, the page's own.
    assert_eq!(page.matches("<style>").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_the_page_to_stdout_or_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = rehearsal(dir.path()).await;
    let s = state.to_str().expect("UTF-8 path");
    let home = dir.path();

    let stdout = spawn(&["report", "--state", s, "--format", "html"], &[], home).wait();
    stdout.expect_code(0);
    assert!(
        stdout.stdout.starts_with("<!DOCTYPE html>"),
        "{}",
        stdout.stderr
    );
    assert!(stdout.stdout.trim_end().ends_with("</html>"));

    let file = dir.path().join("run.html");
    let f = file.to_str().expect("UTF-8 path");
    let args = [
        "report", "--state", s, "--format", "html", "--output", f, "--run", "1",
    ];
    let out = spawn(&args, &[], home).wait();
    out.expect_code(0);
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&file).expect("the page"),
        stdout.stdout
    );

    let out = spawn(
        &["report", "--state", s, "--format", "html", "--run", "9"],
        &[],
        home,
    )
    .wait();
    out.expect_code(2);
    assert!(out.stderr.contains("no run #9"), "{}", out.stderr);
    let out = spawn(&["report", "--state", s, "--run", "1"], &[], home).wait();
    out.expect_code(2);
    assert!(out.stderr.contains("--format html"), "{}", out.stderr);
}

/// The data tasks' section (issue 18, 8): after `run --wait --task restore` over two file
/// systems with failed files, the page shows each file system's tasks and bytes, totals that
/// agree with the state file, and the chart of bytes over time from the run's samples.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_data_tasks_bytes_per_file_system_and_over_time() {
    use bulkflow::api::tasks::TaskType;
    use bulkflow::engine::Goal;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), 12, 2);
    let config = EmulatorConfig {
        rate: 0,
        available_after_ms: 0,
        task_slots: 12,
        task_mbps: 20_000.0,
        task_fail_files: 0.2,
        seed: 5,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config.clone()).expect("emulator");
    let mut s = settings(&emu, &config, &manifest, 0.0);
    s.goal = Goal::Create {
        update: false,
        rotate: false,
        wait: Some(Duration::from_secs(60)),
    };
    s.tasks = vec![TaskType::Restore];
    let state = s.state.clone();
    let end = engine::run(s, EventSink::none(), CancellationToken::new())
        .await
        .expect("run");
    assert!(end.tasks.iter().all(|t| t.counts.total() == 12), "{end:?}");

    let conn = store::open(&state, false).unwrap();
    let page = html::render(&conn, HtmlOptions::default()).unwrap();
    let tasks = section(&page, "tasks");
    for fs in ["cfs-00000000", "cfs-00000001"] {
        assert!(
            tasks.contains(&format!("<code>{fs}</code></td><td>restore</td>")),
            "{tasks}"
        );
    }
    let counts = store::task_read::task_counts(&conn, TaskType::Restore).unwrap();
    let v = counts.volume;
    assert!(
        v.bytes_total > 0 && counts.with_failed_files > 0,
        "{counts:?}"
    );
    let total = format!(
        "<tr><td colspan=\"2\">All file systems</td><td>restore</td><td class=\"num\">12</td>\
         <td class=\"num\">{} of {} ({:.1}%)</td><td class=\"num\">0</td><td class=\"num\">{}</td>",
        indicatif::BinaryBytes(v.bytes_done),
        indicatif::BinaryBytes(v.bytes_total),
        v.bytes_done as f64 * 100.0 / v.bytes_total as f64,
        counts.status("finished")
    );
    assert!(tasks.contains(&total), "{total}\n{tasks}");
    let samples = count(&conn, "SELECT count(*) FROM task_samples");
    assert!(samples > 0);
    assert!(
        tasks.contains("<h2 class=\"second\">Bytes moved over time, run #1</h2>"),
        "{tasks}"
    );
    let line = tasks
        .split("<polyline class=\"task-restore\" points=\"")
        .nth(1)
        .expect("the restore line");
    let points = line.split('"').next().unwrap().split(' ').count() as u64;
    assert_eq!(points, samples, "one point per sample");
}
