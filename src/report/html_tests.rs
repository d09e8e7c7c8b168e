use rusqlite::{params, Connection};

use super::*;
use crate::report::html_chart::{nice_step, time_step, CallSeries, MAX_BARS};
use crate::report::html_tables::ROW_CAP;
use crate::report::html_text::{duration, escape, escape_capped, number, thousands, MESSAGE_CAP};
use crate::store::overview::CallTime;

const HOSTILE: &str = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;";

fn state() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = crate::store::open(&dir.path().join("s.db"), true).expect("open");
    (dir, conn)
}

fn add_run(conn: &Connection, id: i64, manifest: &str, service: &str) {
    conn.execute(
        "INSERT INTO runs (id, started_at_ms, finished_at_ms, manifest, exit_code, service) \
         VALUES (?1, 1700000000000, 1700000061250, ?2, 1, ?3)",
        params![id, manifest, service],
    )
    .expect("run");
}

fn add_flow(conn: &Connection, line: i64, fs: &str, state: &str, code: &str, message: &str) -> i64 {
    conn.execute(
        "INSERT INTO flows (file_system_id, target_key, target_path, line, region, \
         data_flow_name, fingerprint, state, error_code, error_message, updated_at_ms) \
         VALUES (?1, ?2, ?2, ?3, 'ap-guangzhou', ?4, 'f', ?5, NULLIF(?6, ''), NULLIF(?7, ''), 1)",
        params![
            fs,
            format!("/cfs/{line}"),
            line,
            format!("n{line}"),
            state,
            code,
            message
        ],
    )
    .expect("flow");
    conn.last_insert_rowid()
}

fn add_call(conn: &Connection, flow: i64, attempt: i64, run: i64, sent: i64, outcome: &str) {
    conn.execute(
        "INSERT INTO attempts (flow_id, run_id, attempt, sent_at_ms, ended_at_ms, outcome, \
         error_code) VALUES (?1, ?2, ?3, ?4, ?4 + 150, NULLIF(?5, ''), \
         CASE WHEN ?5 IN ('', 'success') THEN NULL \
         ELSE COALESCE((SELECT error_code FROM flows WHERE id = ?1), 'Code') END)",
        params![flow, run, attempt, sent, outcome],
    )
    .expect("attempt");
}

/// Gives each run's record the calls recorded for it, as the engine's counts would have them.
fn seal_runs(conn: &Connection) {
    conn.execute_batch(
        "UPDATE runs SET calls = (SELECT count(*) FROM attempts a WHERE a.run_id = runs.id), \
         throttled = (SELECT count(*) FROM attempts a WHERE a.run_id = runs.id \
         AND a.outcome = 'throttled')",
    )
    .expect("seal");
}

fn page(conn: &Connection, opts: HtmlOptions) -> String {
    render(conn, opts).expect("render")
}

#[test]
fn escape_makes_text_and_attributes_inert() {
    assert_eq!(
        escape(HOSTILE),
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x \
         onerror=alert(1)&gt;&amp;amp;"
    );
    assert_eq!(
        escape("a\u{1b}[31m\u{202e}b\u{0}c\u{2028}"),
        "a\u{fffd}[31m\u{fffd}b\u{fffd}c\u{fffd}"
    );
    assert_eq!(escape("tab\tand 中文"), "tab\tand 中文");
}

#[test]
fn long_messages_are_cut_on_a_character_boundary() {
    let long = "é".repeat(MESSAGE_CAP + 10);
    let cut = escape_capped(&long);
    assert_eq!(cut.chars().count(), MESSAGE_CAP + 1);
    assert!(cut.ends_with('…'));
    assert_eq!(escape_capped("<short>"), "&lt;short&gt;");
}

#[test]
fn numbers_and_durations_read_well() {
    for (n, s) in [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (1234567, "1,234,567"),
    ] {
        assert_eq!(thousands(n), s);
    }
    assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    for (secs, s) in [
        (0, "0s"),
        (45, "45s"),
        (120, "2m"),
        (150, "2m30s"),
        (3600, "1h"),
        (3900, "1h05m"),
        (86_400, "1d"),
        (90_000, "1d01h"),
    ] {
        assert_eq!(duration(secs), s);
    }
    assert_eq!(number(20.0), "20");
    assert_eq!(number(13.25), "13.2");
    for (raw, step) in [
        (0.0, 1.0),
        (4.0, 5.0),
        (4.4, 5.0),
        (1.2, 2.0),
        (70.0, 100.0),
    ] {
        assert_eq!(nice_step(raw), step, "{raw}");
    }
    assert_eq!(nice_step(f64::NAN), 1.0);
    for (span, step) in [(6, 1), (13, 2), (61, 10), (3600, 600), (86_400, 14_400)] {
        assert_eq!(time_step(span), step, "{span}");
    }
    assert!(u64::MAX / time_step(u64::MAX) <= 10);
}

fn call(sent: i64, ended: Option<i64>, outcome: Option<&str>) -> CallTime {
    CallTime {
        sent_at_ms: sent,
        ended_at_ms: ended,
        outcome: outcome.map(str::to_owned),
    }
}

#[test]
fn the_series_counts_calls_when_sent_and_answers_when_they_came() {
    let mut s = CallSeries::default();
    s.add(&call(10_000, Some(10_200), Some("success")));
    s.add(&call(10_500, Some(11_100), Some("throttled")));
    s.add(&call(10_900, Some(12_000), Some("transient")));
    s.add(&call(11_000, None, None));
    assert_eq!(s.totals(), [4, 1, 1]);
    assert_eq!(s.peaks(), [3, 1, 1]);
    assert_eq!(s.span_secs(), 3);
    assert_eq!(s.unended(), 1);
    let b = s.buckets();
    assert_eq!(b.len(), 3);
    assert_eq!(b[0].rates, [3.0, 0.0, 0.0]);
    assert_eq!(b[1].rates, [1.0, 1.0, 0.0]);
    assert_eq!(b[2].rates, [0.0, 0.0, 1.0]);
}

#[test]
fn a_long_run_is_drawn_in_wider_buckets_that_keep_every_call() {
    let mut s = CallSeries::default();
    for i in 0..20_000i64 {
        s.add(&call(i * 500, Some(i * 500 + 90), Some("success")));
    }
    let b = s.buckets();
    assert!(b.len() as u64 <= MAX_BARS, "{}", b.len());
    let width = b[0].width as f64;
    let total: f64 = b.iter().map(|b| b.rates[0] * width).sum();
    assert!((total - 20_000.0).abs() < 1e-6, "{total}");
}

#[test]
fn hostile_times_draw_a_chart_and_never_panic() {
    let mut s = CallSeries::default();
    s.add(&call(i64::MAX, Some(i64::MIN), Some("row")));
    s.add(&call(i64::MIN, Some(i64::MAX), Some("throttled")));
    s.add(&call(0, None, Some(HOSTILE)));
    let svg = html_chart::svg(&s, HOSTILE);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    assert!(!svg.contains("<script"));
    assert!(s.buckets().len() as u64 <= MAX_BARS);
    // And an empty series.
    let svg = html_chart::svg(&CallSeries::default(), "empty");
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
}

#[test]
fn an_empty_state_still_has_every_section() {
    let (_dir, conn) = state();
    let p = page(&conn, HtmlOptions::default());
    for id in ["summary", "calls", "runs", "file-systems", "errors", "rows"] {
        assert!(p.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(p.contains("No run is recorded"));
    assert!(!p.contains("<svg"));
}

#[test]
fn everything_from_the_state_is_escaped() {
    let (_dir, conn) = state();
    add_run(&conn, 1, &format!("/tmp/{HOSTILE}.csv"), HOSTILE);
    let f = add_flow(&conn, 2, HOSTILE, "failed", HOSTILE, HOSTILE);
    conn.execute(
        "UPDATE flows SET region = ?1, target_path = ?1, data_flow_name = ?1, request_id = ?1, \
         flow_status = ?1",
        [HOSTILE],
    )
    .expect("update");
    add_call(&conn, f, 1, 1, 1_700_000_000_000, HOSTILE);
    let p = page(&conn, HtmlOptions::default());
    assert!(!p.contains("<script"), "a script tag got through");
    assert!(!p.contains("<img"), "an img tag got through");
    assert!(!p.contains("onerror=alert(1)>"), "an attribute was closed");
    assert!(p.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
}

#[test]
fn the_counts_add_up_and_the_rows_are_capped() {
    let (_dir, conn) = state();
    add_run(&conn, 1, "flows.csv", "remote");
    add_run(&conn, 2, "flows.csv", "remote");
    let t0 = 1_700_000_000_000i64;
    for line in 0..(ROW_CAP as i64 + 5) {
        let f = add_flow(&conn, line + 2, "cfs-b", "failed", "Bad.Thing", "it is bad");
        add_call(&conn, f, 1, 2, t0 + line * 10, "row");
    }
    for line in 0..30i64 {
        let f = add_flow(&conn, 5000 + line, "cfs-a", "created", "", "");
        add_call(&conn, f, 1, 1, t0, "throttled");
        add_call(&conn, f, 2, 2, t0 + line * 100, "success");
    }
    seal_runs(&conn);
    let p = page(&conn, HtmlOptions::default());
    assert!(p.contains("<h2>Calls per second, run #2</h2>"));
    assert!(p.contains("<td>#2 <span class=\"tag\">charted</span></td>"));
    assert!(p.contains("<td>#1</td>"));
    assert!(p.contains("<h2>Failed rows <span class=\"count\">1,005</span></h2>"));
    assert!(p.contains("And 5 more: <code>bulkflow report flows.csv --only failed</code>"));
    let rows = &p[p.find("<section id=\"rows\">").expect("rows")..];
    assert_eq!(rows.matches("<tr>").count(), ROW_CAP + 1);
    // Run #2: 1,035 calls, 1,005 errors; run #1: 30 throttled.
    assert!(p.contains(
        "<td colspan=\"4\">All 2 runs</td><td class=\"num\">1,065</td><td class=\"num\">30</td>\
         <td class=\"num\">1,005</td>"
    ));
    assert!(
        p.contains("<tr><td><code>Bad.Thing</code></td><td>row</td><td class=\"num\">1,005</td>")
    );
    // The other run, and the created rows instead of the failed ones.
    let p = page(
        &conn,
        HtmlOptions {
            run: Some(1),
            only: Some(RowState::Created),
            state_file: None,
        },
    );
    assert!(p.contains("<h2>Calls per second, run #1</h2>"));
    assert!(p.contains("<td>#1 <span class=\"tag\">charted</span></td>"));
    assert!(p.contains("30 calls over 1s (mean 30/s, peak 30/s); 30 throttled; 0 errors"));
    assert!(p.contains("<h2>Rows created <span class=\"count\">30</span></h2>"));
    let p = page(
        &conn,
        HtmlOptions {
            run: Some(7),
            only: None,
            state_file: None,
        },
    );
    assert!(p.contains("Run #7 is not in this state file."));
}

#[test]
fn the_overflow_note_names_the_manifest_or_for_stdin_the_state_file() {
    let (_dir, conn) = state();
    add_run(&conn, 1, "/srv/m/.bulkflow-stdin-Ab12Cd.csv", "remote");
    for line in 0..(ROW_CAP as i64 + 1) {
        add_flow(&conn, line + 2, "cfs-b", "failed", "Bad.Thing", "it is bad");
    }
    let p = page(
        &conn,
        HtmlOptions {
            state_file: Some("/srv/m/my state.db".into()),
            ..HtmlOptions::default()
        },
    );
    assert!(
        p.contains("And 1 more: <code>bulkflow report --state &#39;/srv/m/my state.db&#39; --only failed</code>"),
        "{p}"
    );
    assert!(!p.contains("MANIFEST"));
}

#[test]
fn live_status_says_how_many_flows_were_listed_and_when() {
    let (_dir, conn) = state();
    add_run(&conn, 1, "flows.csv", "remote");
    for line in 0..30i64 {
        let f = add_flow(&conn, line + 2, "cfs-a", "created", "", "");
        if line < 3 {
            conn.execute(
                "UPDATE flows SET flow_status = 'available', flow_status_at_ms = ?2 WHERE id = ?1",
                params![f, 1_700_000_000_000i64 + line * 1000],
            )
            .expect("status");
        }
    }
    let p = page(&conn, HtmlOptions::default());
    assert!(
        p.contains(
            "Live status, as listings saw it: 3 available (the flows of 3 of the 30 created rows; \
             the latest listing on 2023-11-14 22:13:22 UTC). The other 27 have not been listed \
             since they were created: their status is not known here"
        ),
        "{p}"
    );
    conn.execute("UPDATE flows SET flow_status = NULL", [])
        .expect("none");
    let p = page(&conn, HtmlOptions::default());
    assert!(
        p.contains("Live status: not known; no listing has seen the 30 created flows"),
        "{p}"
    );
}

#[test]
fn a_row_settled_without_a_call_shows_none_not_zero_attempts() {
    let (_dir, conn) = state();
    add_run(&conn, 1, "flows.csv", "remote");
    let sent = add_flow(
        &conn,
        2,
        "cfs-x",
        "failed",
        "ResourceNotFound.FileSystemNotFound",
        "m",
    );
    conn.execute("UPDATE flows SET attempts = 1 WHERE id = ?1", [sent])
        .expect("attempts");
    add_flow(
        &conn,
        3,
        "cfs-x",
        "failed",
        "ResourceNotFound.FileSystemNotFound",
        "m",
    );
    let p = page(&conn, HtmlOptions::default());
    let rows = &p[p.find("<section id=\"rows\">").expect("rows")..];
    assert!(rows.contains("<th class=\"num\">Calls</th>"), "{rows}");
    assert!(!rows.contains("Attempts"), "{rows}");
    assert!(rows.contains("<td class=\"num\">1</td>"), "{rows}");
    assert!(
        rows.contains("<td class=\"num\"><span class=\"none\">none</span></td>"),
        "{rows}"
    );
    assert!(rows.contains("settled without a call of its own"), "{rows}");
}
