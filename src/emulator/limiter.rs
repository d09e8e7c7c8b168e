//! The service's rate limit: at most `rate` calls of one action over any sliding second, counted
//! at arrival, with another client's load drawn from the same budget.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

/// One action's sliding window.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    rate: u32,
    background: u32,
    /// Arrival instants of accepted calls within the last second, oldest first.
    arrivals: VecDeque<Instant>,
}

impl SlidingWindow {
    /// A window admitting `rate` calls per second (0: unlimited), of which `background` evenly
    /// spaced phantom calls per second take their share.
    pub(crate) fn new(rate: u32, background: u32) -> Self {
        let cap = if rate == 0 { 0 } else { rate as usize };
        SlidingWindow {
            rate,
            background,
            arrivals: VecDeque::with_capacity(cap),
        }
    }

    /// Records an arrival at `now` and says whether it is admitted. A refused call does not
    /// enter the window.
    ///
    /// N phantom arrivals per second spaced exactly `1/N` s apart put exactly N of them in every
    /// half-open window of one second, so the background load takes a constant N of the budget.
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        if self.rate == 0 {
            return true;
        }
        while let Some(&first) = self.arrivals.front() {
            if now.saturating_duration_since(first) >= WINDOW {
                self.arrivals.pop_front();
            } else {
                break;
            }
        }
        let used = self.arrivals.len() as u64 + u64::from(self.background);
        if used >= u64::from(self.rate) {
            return false;
        }
        self.arrivals.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_rate_per_sliding_second() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(3, 0);
        let ms = Duration::from_millis;
        assert!(w.admit(t0));
        assert!(w.admit(t0 + ms(100)));
        assert!(w.admit(t0 + ms(900)));
        assert!(!w.admit(t0 + ms(999)));
        // The first arrival leaves the window exactly one second later.
        assert!(w.admit(t0 + ms(1000)));
        assert!(!w.admit(t0 + ms(1099)));
        assert!(w.admit(t0 + ms(1100)));
    }

    #[test]
    fn background_takes_its_share_and_zero_is_unlimited() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(5, 3);
        assert!(w.admit(t0));
        assert!(w.admit(t0));
        assert!(!w.admit(t0));
        let mut all = SlidingWindow::new(2, 2);
        assert!(!all.admit(t0));
        let mut free = SlidingWindow::new(0, 7);
        assert!((0..1000).all(|_| free.admit(t0)));
    }
}
