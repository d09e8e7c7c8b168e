//! The allowed values of the numeric flags, written once: clap's value parsers, `settings`
//! (which checks again, for callers that build `RunArgs` themselves) and a test of the `--help`
//! text all read the same table. No value of any of them can panic or overflow later: every
//! range is bounded so that the durations and products built from it fit.

use std::num::IntErrorKind;
use std::time::Duration;

/// A numeric flag's value that is not a number or out of its range: a usage error that names
/// the flag, the value and the allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag} {value}: {problem}; allowed: {allowed}")]
pub struct BadValue {
    pub flag: &'static str,
    /// The value as typed (quoted when it is not plain), or as the number it was.
    pub value: String,
    pub problem: Problem,
    pub allowed: &'static str,
}

impl BadValue {
    /// The same error for the value as the user typed it.
    fn with_value(self, value: String) -> BadValue {
        BadValue { value, ..self }
    }

    /// What is wrong without the flag and value, for clap, whose message names both already.
    pub fn reason(&self) -> String {
        format!("{}; allowed: {}", self.problem, self.allowed)
    }
}

/// What is wrong with a value, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NotANumber,
    NotFinite,
    NotWhole,
    NotADuration,
    OutOfRange,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::NotANumber => "not a number",
            Problem::NotFinite => "not a finite number",
            Problem::NotWhole => "not a whole number",
            Problem::NotADuration => "not a duration like 90s, 50m, 2h or 1h30m",
            Problem::OutOfRange => "out of range",
        })
    }
}

/// A flag that takes a real number in `min..=max`, and optionally 0 as a special value below
/// `min` (`--rate 0` means no pacing).
#[derive(Debug)]
pub struct Real {
    pub flag: &'static str,
    pub min: f64,
    pub max: f64,
    pub zero_too: bool,
    /// The allowed values, as `--help`, the README and every message say them.
    pub allowed: &'static str,
}

/// A flag that takes a whole number in `min..=max`.
#[derive(Debug)]
pub struct Whole {
    pub flag: &'static str,
    pub min: u64,
    pub max: u64,
    pub allowed: &'static str,
}

/// A flag that takes a duration (`90`, `90s`, `50m`, `2h`, `1h30m`, `7d`) of at least one second.
#[derive(Debug)]
pub struct Span {
    pub flag: &'static str,
    pub max: Duration,
    pub allowed: &'static str,
}

/// `--rate`: 0, or a rate at which a run still ends (one call per 100 s at the slowest).
pub const RATE: Real = Real {
    flag: "--rate",
    min: 0.01,
    max: 1_000_000.0,
    zero_too: true,
    allowed: "0 (no pacing) or 0.01 to 1000000 calls per second",
};

/// `--request-timeout`: from a millisecond, so that no value rounds to a timeout of nothing.
pub const REQUEST_TIMEOUT: Real = Real {
    flag: "--request-timeout",
    min: 0.001,
    max: 3600.0,
    zero_too: false,
    allowed: "0.001 to 3600 seconds",
};

/// `--settle`.
pub const SETTLE: Real = Real {
    flag: "--settle",
    min: 0.0,
    max: 3600.0,
    zero_too: false,
    allowed: "0 to 3600 seconds",
};

/// `--max-attempts`.
pub const MAX_ATTEMPTS: Whole = Whole {
    flag: "--max-attempts",
    min: 1,
    max: 100,
    allowed: "1 to 100",
};

/// `--concurrency`: 0 would never start a call.
pub const CONCURRENCY: Whole = Whole {
    flag: "--concurrency",
    min: 1,
    max: 4096,
    allowed: "1 to 4096",
};

/// `--max-runtime`: a year at most, so that `now + max_runtime` cannot overflow a clock.
pub const MAX_RUNTIME: Span = Span {
    flag: "--max-runtime",
    max: Duration::from_secs(365 * 86_400),
    allowed: "1s to 365d",
};

/// `--wait-timeout`: as long as `--max-runtime` may be.
pub const WAIT_TIMEOUT: Span = Span {
    flag: "--wait-timeout",
    max: Duration::from_secs(365 * 86_400),
    allowed: "1s to 365d",
};

/// A value as a message may show it: as typed when it is short and plain, quoted and cut
/// otherwise, so that no control character reaches a terminal.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.len() <= MAX && !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) {
        return s.to_owned();
    }
    let cut: String = s.chars().take(MAX).collect();
    let more = if cut.len() < s.len() { "..." } else { "" };
    format!("{cut:?}{more}")
}

impl Real {
    fn error(&self, value: String, problem: Problem) -> BadValue {
        BadValue {
            flag: self.flag,
            value,
            problem,
            allowed: self.allowed,
        }
    }

    /// The value if it is allowed (a negative zero becomes 0).
    pub fn check(&self, v: f64) -> Result<f64, BadValue> {
        if !v.is_finite() {
            return Err(self.error(format!("{v:?}"), Problem::NotFinite));
        }
        if v == 0.0 && (self.zero_too || self.min == 0.0) {
            // Also turns -0 into 0.
            return Ok(0.0);
        }
        if v < self.min || v > self.max {
            return Err(self.error(format!("{v:?}"), Problem::OutOfRange));
        }
        Ok(v)
    }

    /// Parses and checks a value as typed.
    pub fn parse(&self, s: &str) -> Result<f64, BadValue> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| self.error(shown(s), Problem::NotANumber))?;
        self.check(v).map_err(|e| e.with_value(shown(s)))
    }
}

impl Whole {
    fn error(&self, value: String, problem: Problem) -> BadValue {
        BadValue {
            flag: self.flag,
            value,
            problem,
            allowed: self.allowed,
        }
    }

    /// The value if it is allowed.
    pub fn check(&self, v: u64) -> Result<u64, BadValue> {
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(self.error(v.to_string(), Problem::OutOfRange))
        }
    }

    /// Parses and checks a value as typed: a number too big for any integer type is out of
    /// range, `2.5` or `1e3` is not whole, `ten` is not a number.
    pub fn parse(&self, s: &str) -> Result<u64, BadValue> {
        let t = s.trim();
        let problem = match t.parse::<i128>() {
            Ok(n) => match u64::try_from(n) {
                Ok(n) => return self.check(n).map_err(|e| e.with_value(shown(s))),
                Err(_) => Problem::OutOfRange,
            },
            Err(e)
                if matches!(
                    e.kind(),
                    IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
                ) =>
            {
                Problem::OutOfRange
            }
            Err(_) if t.parse::<f64>().is_ok() => Problem::NotWhole,
            Err(_) => Problem::NotANumber,
        };
        Err(self.error(shown(s), problem))
    }

    /// [`Whole::parse`] for a `u32` flag; the range fits a `u32`.
    pub fn parse_u32(&self, s: &str) -> Result<u32, BadValue> {
        let n = self.parse(s)?;
        u32::try_from(n).map_err(|_| self.error(shown(s), Problem::OutOfRange))
    }

    /// [`Whole::parse`] for a `usize` flag; the range fits a `usize`.
    pub fn parse_usize(&self, s: &str) -> Result<usize, BadValue> {
        let n = self.parse(s)?;
        usize::try_from(n).map_err(|_| self.error(shown(s), Problem::OutOfRange))
    }
}

impl Span {
    fn error(&self, value: String, problem: Problem) -> BadValue {
        BadValue {
            flag: self.flag,
            value,
            problem,
            allowed: self.allowed,
        }
    }

    /// The value if it is allowed.
    pub fn check(&self, d: Duration) -> Result<Duration, BadValue> {
        if d >= Duration::from_secs(1) && d <= self.max {
            Ok(d)
        } else {
            Err(self.error(format!("{}s", d.as_secs()), Problem::OutOfRange))
        }
    }

    /// Parses `90` (seconds), `90s`, `50m`, `2h`, `1h30m`, `7d`; every step is checked, so no
    /// number of digits overflows.
    pub fn parse(&self, s: &str) -> Result<Duration, BadValue> {
        let bad = |p| self.error(shown(s), p);
        let t = s.trim();
        let mut total: u64 = 0;
        let mut num: Option<u64> = None;
        for c in t.chars() {
            if let Some(d) = c.to_digit(10) {
                let n = num
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(|| bad(Problem::OutOfRange))?;
                num = Some(n);
                continue;
            }
            let unit: u64 = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(bad(Problem::NotADuration)),
            };
            let n = num.take().ok_or_else(|| bad(Problem::NotADuration))?;
            total = n
                .checked_mul(unit)
                .and_then(|secs| total.checked_add(secs))
                .ok_or_else(|| bad(Problem::OutOfRange))?;
        }
        match num {
            // A bare number is seconds; a number after units (`1h30`) is ambiguous.
            Some(n) if total == 0 && t.chars().all(|c| c.is_ascii_digit()) => total = n,
            Some(_) => return Err(bad(Problem::NotADuration)),
            None if t.is_empty() => return Err(bad(Problem::NotADuration)),
            None => {}
        }
        self.check(Duration::from_secs(total))
            .map_err(|e| e.with_value(shown(s)))
    }
}

/// clap's parser of `--rate`.
pub fn rate_arg(s: &str) -> Result<f64, String> {
    RATE.parse(s).map_err(|e| e.reason())
}

/// clap's parser of `--request-timeout`.
pub fn request_timeout_arg(s: &str) -> Result<f64, String> {
    REQUEST_TIMEOUT.parse(s).map_err(|e| e.reason())
}

/// clap's parser of `--settle`.
pub fn settle_arg(s: &str) -> Result<f64, String> {
    SETTLE.parse(s).map_err(|e| e.reason())
}

/// clap's parser of `--max-attempts`.
pub fn max_attempts_arg(s: &str) -> Result<u32, String> {
    MAX_ATTEMPTS.parse_u32(s).map_err(|e| e.reason())
}

/// clap's parser of `--concurrency`.
pub fn concurrency_arg(s: &str) -> Result<usize, String> {
    CONCURRENCY.parse_usize(s).map_err(|e| e.reason())
}

/// clap's parser of `--wait-timeout`.
pub fn wait_timeout_arg(s: &str) -> Result<Duration, String> {
    WAIT_TIMEOUT.parse(s).map_err(|e| e.reason())
}

/// clap's parser of `--max-runtime`.
pub fn max_runtime_arg(s: &str) -> Result<Duration, String> {
    MAX_RUNTIME.parse(s).map_err(|e| e.reason())
}
