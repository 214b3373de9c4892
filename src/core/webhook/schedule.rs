//! When to try a webhook again, and what an attempt's answer means. Pure: the caller
//! supplies the attempt number, the clock and a random fraction for jitter.

use crate::core::time::parse_rfc3339;

/// Delays after each failed attempt (the first attempt is immediate): 8 attempts over
/// about 28 hours, the schedule of the Standard Webhooks guidance.
pub const PRODUCTION_DELAYS_SECS: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// A `Retry-After` longer than this is capped: the event must not wait forever.
pub const MAX_RETRY_AFTER_MS: i64 = 24 * 3600 * 1000;
/// Jitter: each delay is stretched or shrunk by up to this fraction.
const JITTER: f64 = 0.1;

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Milliseconds to wait after failed attempt 1, 2, ...; its length + 1 attempts in all.
    pub delays_ms: Vec<i64>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            delays_ms: PRODUCTION_DELAYS_SECS
                .iter()
                .map(|s| *s as i64 * 1000)
                .collect(),
        }
    }
}

impl Schedule {
    /// Parses a comma-separated list of seconds (`"1,1,2"`): tests shorten the
    /// schedule with the `WEBHOOK_RETRY_SCHEDULE` var. `None` when malformed.
    pub fn parse(s: &str) -> Option<Schedule> {
        let delays_ms = s
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 43_200.0)
            })
            .map(|v| v.map(|v| (v * 1000.0) as i64))
            .collect::<Option<Vec<_>>>()?;
        (!delays_ms.is_empty() && delays_ms.len() <= 20).then_some(Schedule { delays_ms })
    }

    pub fn max_attempts(&self) -> u32 {
        self.delays_ms.len() as u32 + 1
    }

    /// The wait after failed attempt `n` (1-based) with jitter from `random` in [0, 1);
    /// `None` when `n` was the last attempt.
    pub fn delay_after(&self, n: u32, random: f64) -> Option<i64> {
        let base = *self.delays_ms.get((n as usize).checked_sub(1)?)?;
        let factor = 1.0 + JITTER * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        Some((base as f64 * factor).round() as i64)
    }
}

/// `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<i64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some((secs.min(MAX_RETRY_AFTER_MS as u64 / 1000) as i64) * 1000);
    }
    let at = parse_http_date(v)?;
    Some((at - now_ms).clamp(0, MAX_RETRY_AFTER_MS))
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP servers send.
fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? + 1;
    let d: u32 = day.parse().ok()?;
    parse_rfc3339(&format!("{year}-{m:02}-{d:02}T{time}Z"))
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered.
    Delivered,
    /// Try again after this many milliseconds.
    Retry { delay_ms: i64 },
    /// That was the last attempt: dead-letter it.
    Exhausted,
    /// 410 Gone: the endpoint asked to receive nothing more.
    Gone,
}

/// Decides after attempt `n` of the current round. `status` is `None` when no answer
/// came (network error, timeout); `retry_after_ms` is honoured when longer than the
/// schedule's delay.
pub fn decide(
    status: Option<u16>,
    retry_after_ms: Option<i64>,
    n: u32,
    schedule: &Schedule,
    random: f64,
) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        _ => match schedule.delay_after(n, random) {
            None => Verdict::Exhausted,
            Some(d) => Verdict::Retry {
                delay_ms: d.max(retry_after_ms.unwrap_or(0)),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_schedule_is_the_specs() {
        let s = Schedule::default();
        assert_eq!(s.max_attempts(), 8);
        let mid: Vec<i64> = (1..=7).map(|n| s.delay_after(n, 0.5).unwrap()).collect();
        assert_eq!(
            mid,
            vec![5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]
        );
        assert_eq!(s.delay_after(8, 0.5), None);
        assert_eq!(s.delay_after(0, 0.5), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let s = Schedule::default();
        assert_eq!(s.delay_after(2, 0.0), Some(270_000));
        assert_eq!(s.delay_after(2, 1.0), Some(330_000));
        let a = s.delay_after(3, 0.25).unwrap();
        let b = s.delay_after(3, 0.75).unwrap();
        assert!(a < 1_800_000 && b > 1_800_000);
    }

    #[test]
    fn test_schedules_parse_and_junk_does_not() {
        assert_eq!(
            Schedule::parse("1, 2,0.5").unwrap().delays_ms,
            vec![1000, 2000, 500]
        );
        assert_eq!(Schedule::parse(""), None);
        assert_eq!(Schedule::parse("1,x"), None);
        assert_eq!(Schedule::parse("-1"), None);
        assert_eq!(Schedule::parse("99999"), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("120", 0), Some(120_000));
        assert_eq!(parse_retry_after(" 3 ", 0), Some(3_000));
        let now = parse_rfc3339("1994-11-06T08:49:00Z").unwrap();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(37_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:48:00 GMT", now),
            Some(0)
        );
        assert_eq!(parse_retry_after("99999999", 0), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(parse_retry_after("soon", 0), None);
        assert_eq!(parse_retry_after("-5", 0), None);
    }

    #[test]
    fn verdicts() {
        let s = Schedule::parse("1,2").unwrap();
        assert_eq!(decide(Some(204), None, 1, &s, 0.5), Verdict::Delivered);
        assert_eq!(decide(Some(410), None, 1, &s, 0.5), Verdict::Gone);
        assert_eq!(
            decide(Some(503), None, 1, &s, 0.5),
            Verdict::Retry { delay_ms: 1000 }
        );
        assert_eq!(
            decide(None, None, 2, &s, 0.5),
            Verdict::Retry { delay_ms: 2000 }
        );
        // Retry-After wins when longer, never when shorter.
        assert_eq!(
            decide(Some(429), Some(9_000), 1, &s, 0.5),
            Verdict::Retry { delay_ms: 9_000 }
        );
        assert_eq!(
            decide(Some(429), Some(10), 1, &s, 0.5),
            Verdict::Retry { delay_ms: 1_000 }
        );
        // Redirects are not followed: a 3xx is a failure like any other.
        assert_eq!(decide(Some(301), None, 3, &s, 0.5), Verdict::Exhausted);
    }
}
