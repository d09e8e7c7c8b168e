//! The data tasks a pass follows, summed: how many per status, and files and bytes done of
//! their total. The core keeps the sum as listings come (each row's last contribution taken
//! back before its new one is added) and hands it to the reporter in an event: the reporter
//! displays, it never recounts.

use super::super::events::TaskFigures;
use super::super::op::Seen;
use super::Core;
use crate::store::{TaskProgress, TaskSample};

/// The least time between two samples of a pass's figures.
pub const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

fn add(f: &mut TaskFigures, p: &TaskProgress, sign: i64) {
    let n = |v: Option<i64>| v.unwrap_or(0).max(0).saturating_mul(sign);
    let apply = |x: &mut u64, d: i64| *x = x.saturating_add_signed(d);
    let v = &mut f.volume;
    apply(&mut v.files_total, n(p.files_total));
    apply(&mut v.files_done, n(p.files_done));
    apply(&mut v.files_failed, n(p.files_failed));
    apply(&mut v.bytes_total, n(p.bytes_total));
    apply(&mut v.bytes_done, n(p.bytes_done));
    apply(&mut v.bytes_failed, n(p.bytes_failed));
    let status = if p.status.is_empty() {
        "unlisted"
    } else {
        p.status.as_str()
    };
    match f.by_status.iter_mut().find(|(s, _)| s == status) {
        Some((_, c)) => *c = c.saturating_add_signed(sign),
        None if sign > 0 => f.by_status.push((status.to_owned(), 1)),
        None => {}
    }
    f.by_status.retain(|(_, c)| *c > 0);
    f.tasks = f.by_status.iter().map(|(_, c)| c).sum();
}

impl Core {
    /// A row's task was seen anew: its last contribution to the figures is replaced.
    pub(super) fn task_seen(&mut self, before: Option<&Seen>, now: &Seen) {
        let Seen::Task(p) = now else {
            return;
        };
        if let Some(Seen::Task(old)) = before {
            add(&mut self.figures, old, -1);
        }
        add(&mut self.figures, p, 1);
        self.figures_changed = true;
    }

    /// The figures, when they changed since last told; and, at most every
    /// [`SAMPLE_EVERY`], a sample of them for the state file (the report's chart of bytes).
    pub(super) fn tell_figures(&mut self) {
        if std::mem::take(&mut self.figures_changed) {
            let f = self.figures.clone();
            self.emit(super::super::events::Event::Tasks(f));
            self.sample_due = true;
        }
        let now = self.now;
        if self.sample_due && self.last_sample.is_none_or(|t| now >= t + SAMPLE_EVERY) {
            self.sample_now();
        }
    }

    /// A sample of the figures now, if any changed since the last one.
    pub fn sample_now(&mut self) {
        let Some(kind) = self.facts.task else {
            return;
        };
        if !std::mem::take(&mut self.sample_due) {
            return;
        }
        self.last_sample = Some(self.now);
        let f = &self.figures;
        let sample = TaskSample {
            run_id: self.settings.run_id,
            at_ms: self.wall_ms(self.now),
            kind,
            tasks: f.tasks,
            bytes_total: f.volume.bytes_total,
            bytes_done: f.volume.bytes_done,
            files_total: f.volume.files_total,
            files_done: f.volume.files_done,
        };
        self.out.push_back(super::Command::Sample(sample));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(status: &str, done: i64, total: i64) -> TaskProgress {
        TaskProgress {
            status: status.into(),
            bytes_done: Some(done),
            bytes_total: Some(total),
            ..TaskProgress::default()
        }
    }

    #[test]
    fn a_row_counts_once_with_its_latest_progress() {
        let mut f = TaskFigures::default();
        add(&mut f, &p("running", 10, 100), 1);
        add(&mut f, &p("init", 0, 0), 1);
        add(&mut f, &p("running", 10, 100), -1);
        add(&mut f, &p("finished", 100, 100), 1);
        assert_eq!(
            (f.volume.bytes_done, f.volume.bytes_total, f.tasks),
            (100, 100, 2)
        );
        assert_eq!(
            f.by_status,
            vec![("init".to_owned(), 1), ("finished".to_owned(), 1)]
        );
    }
}
