//! The progress consumer: counts events, draws the bar or prints a plain line every 10 seconds,
//! rewrites the metrics file every minute, and logs what a person should know about (failures,
//! stops).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::bar::{self, ByteFigures, Figures};
use super::diag::{self, Diag, Level};
use super::logging;
use super::metrics::{metrics_every, MetricsFile};
use super::mode::Display;
use super::task_tally::statuses;
use crate::engine::Event;
use crate::store::RowState;

pub use super::tally::{human_secs, Tally};

/// How often plain mode prints a line.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// For tests only, and deliberately undocumented in `--help`: `BULKFLOW_PLAIN_INTERVAL_MS`
/// shortens the plain-line interval so that a test sees lines printed mid-run without waiting
/// ten seconds. Anything that is not a positive number of milliseconds means [`PLAIN_EVERY`].
pub const PLAIN_INTERVAL_ENV: &str = "BULKFLOW_PLAIN_INTERVAL_MS";

/// The plain-line interval: [`PLAIN_EVERY`] unless a test set [`PLAIN_INTERVAL_ENV`].
pub fn plain_every() -> Duration {
    std::env::var(PLAIN_INTERVAL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map_or(PLAIN_EVERY, Duration::from_millis)
}

/// What the consumer shows and writes.
#[derive(Debug)]
pub struct Consumer {
    pub display: Display,
    /// ANSI colours in the bar.
    pub color: bool,
    /// `--metrics-file`, rewritten every [`metrics_every`].
    pub metrics: Option<MetricsFile>,
}

/// What the consumer leaves when the events end: the figures, the metrics file for its last
/// write, and whether the run got as far as its first pass (it had taken its state file).
#[derive(Debug)]
pub struct Consumed {
    pub tally: Tally,
    pub metrics: Option<MetricsFile>,
    pub started: bool,
}

/// The plain line: `bulkflow: {tally line}` as text; as JSON, an `INFO` object with the figures
/// as fields.
fn plain_line(tally: &mut Tally, now: Instant) -> Diag {
    let rate = tally.rate(now);
    let mut text = tally.line(now);
    if let Some(tasks) = tally.tasks.line() {
        text = format!("{text}; {tasks}");
    }
    let c = &tally.counts;
    let mut d = Diag::new(Level::Info, text)
        .field("done", tally.done())
        .field("total", tally.total)
        .field("created", c.called + c.found)
        .field("adopted", c.adopted)
        .field("unchanged", c.unchanged)
        .field("earlier", c.earlier_rows())
        .field("failed", c.failed)
        .field("retrying", c.retrying)
        .field("unknown", c.unknown)
        .field("rows_per_s", (rate * 10.0).round() / 10.0);
    // Seconds, a number a script can compare; the text line says it as `ETA 3m05s`.
    if let Some(eta) = tally.eta_secs(rate) {
        d = d.field("eta", eta);
    }
    if let Some(f) = &tally.tasks.figures {
        d = d
            .field("tasks", f.tasks)
            .field("bytes_done", f.volume.bytes_done)
            .field("bytes_total", f.volume.bytes_total)
            .field("bytes_failed", f.volume.bytes_failed)
            .field("files_done", f.volume.files_done)
            .field("files_total", f.volume.files_total)
            .field("files_failed", f.volume.files_failed)
            .field("bytes_per_s", tally.tasks.rate().round());
    }
    d
}

/// The bar's figures now.
fn figures(tally: &mut Tally, now: Instant, started: Instant, frame: usize) -> Figures {
    let rate = tally.rate(now);
    let bytes = tally.tasks.figures.as_ref().map(|t| ByteFigures {
        done: t.volume.bytes_done,
        total: t.volume.bytes_total,
        rate: tally.tasks.rate(),
        statuses: statuses(t),
    });
    Figures {
        done: tally.done(),
        total: tally.total,
        word: tally.pass.word(),
        created: tally.counts.called + tally.counts.found,
        adopted: tally.counts.adopted,
        failed: tally.counts.failed,
        retrying: tally.counts.retrying,
        unknown: tally.counts.unknown,
        rate,
        eta: match &bytes {
            Some(_) => tally.tasks.eta(),
            None => tally.eta(rate),
        },
        elapsed: now - started,
        frame,
        bytes,
    }
}

/// The bar, drawn whole by `bar::line` (which fits it to the terminal's width), with log lines
/// printed around it.
fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(
        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    logging::set_bar(Some(bar.clone()));
    bar
}

/// The engine planned its first pass, so it holds the state file: the metrics file is written
/// now, with the rows as the state file held them, and next a whole interval later (not at once
/// for the ticks missed meanwhile).
fn run_started(metrics: Option<&mut MetricsFile>, tick: &mut tokio::time::Interval) {
    if let Some(m) = metrics {
        let s = m.starting();
        m.write(&s);
        tick.reset();
    }
}

/// Consumes events until the engine drops its sink.
pub async fn consume(mut rx: UnboundedReceiver<Event>, c: Consumer) -> Consumed {
    let Consumer {
        display,
        color,
        mut metrics,
    } = c;
    let started = Instant::now();
    let mut tally = Tally::default();
    let bar = (display == Display::Bar).then(new_bar);
    let mut tick = tokio::time::interval(if bar.is_some() {
        Duration::from_millis(200)
    } else {
        plain_every()
    });
    tick.tick().await;
    let mut metrics_tick = tokio::time::interval(metrics_every());
    metrics_tick.tick().await;
    let mut frame = 0usize;
    let mut started_run = false;
    let mut said_http = false;
    loop {
        tokio::select! {
            e = rx.recv() => {
                let Some(e) = e else { break };
                if matches!(e, Event::Planned { .. }) && !started_run {
                    started_run = true;
                    run_started(metrics.as_mut(), &mut metrics_tick);
                }
                tally.apply(&e, Instant::now());
                if !said_http {
                    said_http = warn_http_status(&e);
                }
                log_event(&e);
            }
            _ = tick.tick() => {
                let now = Instant::now();
                match (&bar, display) {
                    (Some(bar), _) => {
                        frame = frame.wrapping_add(1);
                        let f = figures(&mut tally, now, started, frame);
                        bar.set_message(bar::line(bar::terminal_width(), &f, color));
                    }
                    (None, Display::Plain) => diag::emit(&plain_line(&mut tally, now)),
                    _ => {}
                }
            }
            // Not before the run holds its state file: a run refused it never writes.
            _ = metrics_tick.tick(), if metrics.is_some() && started_run => {
                if let Some(m) = metrics.as_mut() {
                    let s = m.running(&tally);
                    m.write(&s);
                }
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
        logging::set_bar(None);
    } else if display == Display::Plain && tally.total > 0 {
        diag::emit(&plain_line(&mut tally, Instant::now()));
    }
    Consumed {
        tally,
        metrics,
        started: started_run,
    }
}

/// Says at once, on the first answer that is an HTTP error without the API's answer (a
/// gateway's or another server's error page), what it means: the rows wait for a listing, which
/// meets the same answer, and without this line the run would say nothing until it gives up.
/// True when it said so.
fn warn_http_status(e: &Event) -> bool {
    let error = match e {
        Event::Listing {
            error: Some(err), ..
        } if err.code == crate::api::client::codes::HTTP_STATUS => &err.message,
        Event::Row(r)
            if r.error_code.as_deref() == Some(crate::api::client::codes::HTTP_STATUS) =>
        {
            r.error_message.as_deref().unwrap_or("")
        }
        _ => return false,
    };
    diag::warn(format_args!(
        "the endpoint answered {error} bulkflow keeps trying for a while (a call without an \
         answer is settled by listing the file system before anything is sent again), then \
         ends with exit 4; -v shows every answer"
    ));
    true
}

fn log_event(e: &Event) {
    match e {
        // Reported on every run until the manifest is restored, though nothing is done for it.
        Event::Row(r) if r.error_code.as_deref() == Some(crate::engine::resume::DRIFT) => {
            tracing::warn!(
                line = r.line,
                state = r.state.as_str(),
                file_system_id = %r.file_system_id,
                target_path = %r.target_path,
                error_code = r.error_code.as_deref(),
                data_flow_id = r.data_flow_id.as_deref(),
                "row drifted: {}",
                r.error_message.as_deref().unwrap_or("")
            )
        }
        Event::Row(r) if r.state == RowState::Failed && !r.earlier => tracing::warn!(
            line = r.line,
            state = r.state.as_str(),
            file_system_id = %r.file_system_id,
            target_path = %r.target_path,
            error_code = r.error_code.as_deref(),
            request_id = r.request_id.as_deref(),
            attempt = r.attempt,
            "row failed: {}",
            r.error_message.as_deref().unwrap_or("")
        ),
        Event::Row(r) if !r.earlier => tracing::debug!(
            line = r.line,
            state = r.state.as_str(),
            file_system_id = %r.file_system_id,
            target_path = %r.target_path,
            error_code = r.error_code.as_deref(),
            request_id = r.request_id.as_deref(),
            attempt = r.attempt,
            data_flow_id = r.data_flow_id.as_deref(),
            "row {} (via {})",
            r.state,
            r.via
        ),
        Event::Listing {
            file_system_id,
            flows,
            error,
        } => match error {
            Some(err) => {
                tracing::info!(file_system_id = %file_system_id, error_code = %err.code, "listing failed: {}", err.message)
            }
            None => {
                tracing::debug!(file_system_id = %file_system_id, "listed {flows} flows to resolve unknown outcomes")
            }
        },
        Event::Stopping { detail, .. } => tracing::warn!("stopping: {detail}"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc::unbounded_channel;

    use super::*;
    use crate::report::metrics::METRICS_EVERY;

    fn created(n: u64) -> Event {
        Event::Counts(Box::new(crate::engine::Totals {
            calls: n,
            called: n,
            ..Default::default()
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn the_metrics_file_is_written_when_the_run_starts_and_while_it_goes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bulkflow.prom");
        let (tx, rx) = unbounded_channel();
        let mut metrics = MetricsFile::new(&path, Vec::new());
        // The state file held 480 created rows of 500 before the run.
        metrics.set_baseline(|s| if s == RowState::Created { 480 } else { 0 }, 500, &[]);
        let consumer = Consumer {
            display: Display::Nothing,
            color: false,
            metrics: Some(metrics),
        };
        let task = tokio::spawn(consume(rx, consumer));
        tokio::time::sleep(METRICS_EVERY * 2).await;
        assert!(!path.exists(), "written before the run took its state file");
        for e in [
            Event::Planned {
                total: 3,
                pass: crate::engine::Pass::Create,
                before: Box::default(),
            },
            created(1),
            created(2),
        ] {
            tx.send(e).expect("send");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        let text = std::fs::read_to_string(&path).expect("a write at the start");
        for line in [
            "bulkflow_running 1",
            "bulkflow_rows{state=\"created\"} 480",
            "bulkflow_manifest_rows 500",
            "bulkflow_calls_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
        }
        tokio::time::sleep(METRICS_EVERY).await;
        let text = std::fs::read_to_string(&path).expect("a write during the run");
        assert!(text.contains("\nbulkflow_running 1\n"), "{text}");
        assert!(
            text.contains("\nbulkflow_rows{state=\"created\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("\nbulkflow_rows{state=\"pending\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("bulkflow_last_exit_code"), "{text}");
        drop(tx);
        let consumed = task.await.expect("the consumer ends with the events");
        assert_eq!(consumed.tally.reached(), 2);
        assert!(consumed.started);
        assert!(consumed.metrics.is_some());
    }
}
