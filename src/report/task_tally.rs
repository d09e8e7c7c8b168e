//! The data tasks a pass follows, as the engine sums them (`Event::Tasks`), with the rate of
//! bytes done over the last half minute and the time left at that rate.

use std::collections::VecDeque;
use std::time::Duration;

use indicatif::{BinaryBytes, HumanCount};
use tokio::time::Instant;

use super::human::human_secs;
use crate::engine::TaskFigures;

/// The rate is over this long.
const WINDOW: Duration = Duration::from_secs(30);

/// The latest figures and the bytes done lately.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TaskTally {
    pub figures: Option<TaskFigures>,
    /// (when, bytes done), oldest first, within [`WINDOW`] of the newest.
    samples: VecDeque<(Instant, u64)>,
}

impl TaskTally {
    /// A new pass: nothing followed yet.
    pub fn reset(&mut self) {
        *self = TaskTally::default();
    }

    /// The engine's new sum.
    pub fn apply(&mut self, f: &TaskFigures, now: Instant) {
        self.samples.push_back((now, f.volume.bytes_done));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > WINDOW)
        {
            self.samples.pop_front();
        }
        self.figures = Some(f.clone());
    }

    /// Bytes done per second lately; 0 before two samples a second apart.
    pub fn rate(&self) -> f64 {
        let (Some((t0, b0)), Some((t1, b1))) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let span = t1.saturating_duration_since(*t0).as_secs_f64();
        if span < 1.0 {
            return 0.0;
        }
        b1.saturating_sub(*b0) as f64 / span
    }

    /// The time left at the recent rate, when there is one.
    pub fn eta(&self) -> Option<String> {
        let f = self.figures.as_ref()?;
        let v = &f.volume;
        let left = v.bytes_total.saturating_sub(v.bytes_done + v.bytes_failed);
        let rate = self.rate();
        (rate > 0.0 && left > 0).then(|| human_secs(left as f64 / rate))
    }

    /// `3.2 GiB of 10.5 GiB, 120 MiB/s, ETA 1m02s; files 1,200 of 3,400 (2 failed); tasks:
    /// 40 running, 10 init, 50 finished`, without escape codes.
    pub fn line(&self) -> Option<String> {
        let f = self.figures.as_ref()?;
        let mut s = format!(
            "{} of {}",
            BinaryBytes(f.volume.bytes_done),
            BinaryBytes(f.volume.bytes_total)
        );
        let rate = self.rate();
        if rate > 0.0 {
            s.push_str(&format!(", {}/s", BinaryBytes(rate as u64)));
        }
        if let Some(eta) = self.eta() {
            s.push_str(&format!(", ETA {eta}"));
        }
        s.push_str(&format!(
            "; files {} of {}",
            HumanCount(f.volume.files_done),
            HumanCount(f.volume.files_total)
        ));
        if f.volume.files_failed > 0 {
            s.push_str(&format!(" ({} failed)", HumanCount(f.volume.files_failed)));
        }
        s.push_str("; tasks: ");
        s.push_str(&statuses(f));
        Some(s)
    }
}

/// `40 running, 10 init, 50 finished`, in a fixed order.
pub fn statuses(f: &TaskFigures) -> String {
    let order = [
        "init", "running", "stopping", "finished", "failed", "stopped",
    ];
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|s| {
            let n = f.status(s);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    for (s, n) in &f.by_status {
        if !order.contains(&s.as_str()) {
            parts.push(format!("{n} {s}"));
        }
    }
    if parts.is_empty() {
        "none listed yet".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::task_read::Volume;

    #[test]
    fn bytes_rate_and_time_left_come_from_the_engine_sums() {
        let start = Instant::now();
        let mut t = TaskTally::default();
        let f = |done| TaskFigures {
            tasks: 2,
            by_status: vec![("running".into(), 1), ("finished".into(), 1)],
            volume: Volume {
                files_total: 3400,
                files_done: 1200,
                bytes_total: 10 << 30,
                bytes_done: done,
                ..Volume::default()
            },
        };
        t.apply(&f(1 << 30), start);
        t.apply(&f(3 << 30), start + Duration::from_secs(16));
        assert_eq!(t.rate(), (128 << 20) as f64);
        assert_eq!(t.eta().as_deref(), Some("56s"));
        let line = t.line().unwrap_or_default();
        assert!(
            line.starts_with("3.00 GiB of 10.00 GiB, 128.00 MiB/s, ETA 56s; files 1,200 of 3,400"),
            "{line}"
        );
        assert!(line.ends_with("tasks: 1 running, 1 finished"), "{line}");
    }
}
