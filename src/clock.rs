//! The wall clock, read in one place, and the calendar of its readings. The engine keeps time on
//! a monotonic clock (a `Duration` since the run began); the wall clock only stamps what the
//! state file, logs and reports store.

/// Milliseconds since the unix epoch (0 for a clock set before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD HH:MM:SS` of a moment, `ms` since the epoch, on a clock `offset_ms` ahead of UTC.
pub fn datetime(ms: i64, offset_ms: i64) -> String {
    let secs = ms.saturating_add(offset_ms).div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// RFC 3339 in UTC with milliseconds: `2024-05-01T12:34:56.789Z`.
pub fn rfc3339_utc(ms: i64) -> String {
    format!(
        "{}.{:03}Z",
        datetime(ms, 0).replace(' ', "T"),
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_of_the_calendar() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(1_714_566_896_789), "2024-05-01T12:34:56.789Z");
        assert_eq!(datetime(1_709_164_800_000, 0), "2024-02-29 00:00:00");
        assert_eq!(datetime(-1000, 0), "1969-12-31 23:59:59");
    }
}
