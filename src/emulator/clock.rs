//! The emulator's one clock, and the service's way of writing time.
//!
//! Two readings, for two jobs:
//! - the **service clock** ([`Clock`]): the instants every Status life and every task's progress
//!   are measured on, and the unix time of the `CreationTime`/`FinishTime` fields. It follows
//!   the monotonic clock from the emulator's start; [`Clock::fast_forward`] moves it on, so that
//!   a test sees a flow become `available` or a task finish without sleeping. The state itself
//!   has no clock: every method takes the instant, so its tests use made-up ones.
//! - the **wall clock** ([`wall_unix_secs`], [`wall_unix_ms`]): what a client signs with, so
//!   signatures and the expiry of issued credentials are checked against it, never against a
//!   fast-forwarded service clock.
//!
//! The service writes times as `YYYY-MM-DD HH:MM:SS` with no zone, in China Standard Time
//! (UTC+8), as Tencent Cloud's consoles and APIs do: [`service_time`] and
//! [`parse_service_time`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::clock::civil_from_days;

/// China Standard Time is UTC+8 all year (no daylight saving).
pub(crate) const CST_OFFSET_SECS: i64 = 8 * 3600;
const DAY_SECS: i64 = 86_400;

/// Seconds since the unix epoch by the system clock (what clients sign with).
pub(crate) fn wall_unix_secs() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds since the unix epoch by the system clock.
pub(crate) fn wall_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The service clock of one emulator: monotonic, starting at the wall clock's reading, and
/// movable forward.
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    start_unix_ms: i64,
    skipped_ms: AtomicU64,
}

impl Clock {
    /// A clock that reads the wall clock's time now.
    pub(crate) fn new() -> Clock {
        Clock {
            start: Instant::now(),
            start_unix_ms: i64::try_from(wall_unix_ms()).unwrap_or(i64::MAX),
            skipped_ms: AtomicU64::new(0),
        }
    }

    /// The service's present instant.
    pub(crate) fn now(&self) -> Instant {
        let skipped = Duration::from_millis(self.skipped_ms.load(Ordering::Relaxed));
        let real = Instant::now();
        real.checked_add(skipped).unwrap_or(real)
    }

    /// The unix milliseconds of `at` on this clock.
    pub(crate) fn unix_ms(&self, at: Instant) -> i64 {
        let since = at.saturating_duration_since(self.start);
        let since = i64::try_from(since.as_millis()).unwrap_or(i64::MAX);
        self.start_unix_ms.saturating_add(since)
    }

    /// Moves the service's time `by` forward: statuses, progress and the times the service
    /// writes; never the signature check.
    pub(crate) fn fast_forward(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .skipped_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                Some(s.saturating_add(ms))
            });
    }
}

/// `now + d`, or as late as the clock can tell when that is past its end (a flag of `u64::MAX`
/// milliseconds means "never", not a panic).
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

/// `unix` seconds as the service writes them: `YYYY-MM-DD HH:MM:SS` in China Standard Time.
pub(crate) fn service_time(unix: i64) -> String {
    let local = unix.saturating_add(CST_OFFSET_SECS);
    let (y, m, d) = civil_from_days(local.div_euclid(DAY_SECS));
    let secs = local.rem_euclid(DAY_SECS);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The unix seconds of a service time (`YYYY-MM-DD HH:MM:SS`, China Standard Time); `None`
/// unless it is exactly that shape and a real date and time.
pub(crate) fn parse_service_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let month = u32::try_from(m).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(d).ok()?;
    if day == 0 || day > days_in_month(y, month) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let local = days_from_civil(y, month, day) * DAY_SECS + hh * 3600 + mm * 60 + ss;
    Some(local - CST_OFFSET_SECS)
}

/// The unix seconds `months` calendar months before `unix`, by the China Standard Time
/// calendar (a day past the end of the earlier month is its last day: May 31 -> Feb 28).
pub(crate) fn months_before(unix: i64, months: u32) -> i64 {
    let local = unix.saturating_add(CST_OFFSET_SECS);
    let (y, m, d) = civil_from_days(local.div_euclid(DAY_SECS));
    let index = y * 12 + i64::from(m) - 1 - i64::from(months);
    let (y2, m2) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let d2 = d.min(days_in_month(y2, m2));
    days_from_civil(y2, m2, d2) * DAY_SECS + local.rem_euclid(DAY_SECS) - CST_OFFSET_SECS
}

/// Unix milliseconds in RFC 3339, UTC (`2025-06-10T02:23:28.120Z`).
pub(crate) fn rfc3339_utc(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY_SECS));
    let s = secs.rem_euclid(DAY_SECS);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        unix_ms.rem_euclid(1000)
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_time_is_china_standard_time() {
        // 2019-02-25 16:44:25 UTC (the signature vector's timestamp) is 2019-02-26 00:44:25 CST.
        assert_eq!(service_time(1_551_113_065), "2019-02-26 00:44:25");
        assert_eq!(
            parse_service_time("2019-02-26 00:44:25"),
            Some(1_551_113_065)
        );
        assert_eq!(service_time(0), "1970-01-01 08:00:00");
        for t in [0, 951_782_400, 1_709_164_799, 4_102_444_800, -86_400] {
            assert_eq!(parse_service_time(&service_time(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn only_the_exact_shape_parses() {
        for bad in [
            "",
            "2025-06-10",
            "2025-06-10T10:23:28",
            "2025-06-10 10:23:28Z",
            "2025-6-10 10:23:28 ",
            "2025-02-29 10:00:00",
            "2024-13-01 00:00:00",
            "2024-00-01 00:00:00",
            "2024-01-00 00:00:00",
            "2024-01-01 24:00:00",
            "2024-01-01 00:60:00",
            "+024-01-01 00:00:00",
            "2024-01-01 0a:00:00",
        ] {
            assert_eq!(parse_service_time(bad), None, "{bad}");
        }
        assert!(parse_service_time("2024-02-29 23:59:59").is_some());
    }

    #[test]
    fn months_before_clamps_the_day() {
        let at = |s| parse_service_time(s).unwrap();
        let back = |s| service_time(months_before(at(s), 3));
        assert_eq!(back("2025-05-31 12:00:00"), "2025-02-28 12:00:00");
        assert_eq!(back("2024-05-31 00:00:01"), "2024-02-29 00:00:01");
        assert_eq!(back("2025-01-15 08:30:00"), "2024-10-15 08:30:00");
    }

    #[test]
    fn rfc3339_and_fast_forward() {
        assert_eq!(rfc3339_utc(1_551_113_065_009), "2019-02-25T16:44:25.009Z");
        let clock = Clock::new();
        let before = clock.now();
        clock.fast_forward(Duration::from_secs(3600));
        let after = clock.now();
        assert!(after.duration_since(before) >= Duration::from_secs(3600));
        assert!(clock.unix_ms(after) - clock.unix_ms(before) >= 3_600_000);
    }
}
