//! Milliseconds since the Unix epoch <-> RFC 3339 (UTC), without a date library.

/// Formats epoch milliseconds as `2026-11-29T14:02:05.123Z`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` into epoch milliseconds. Total: any
/// text that is not such a time (non-ASCII, too long, out of range) is `None`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    // A timestamp is ASCII; refusing anything else up front means no index below can
    // fall inside a multi-byte character. Fractions beyond a few digits are junk.
    if !s.is_ascii() || !(20..=64).contains(&s.len()) {
        return None;
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, se) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        28 + i64::from(leap),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let in_month = |d: i64| {
        month_days
            .get((mo - 1) as usize)
            .is_some_and(|n| (1..=*n).contains(&d))
    };
    if !(1..=12).contains(&mo) || !in_month(d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Milliseconds: the first three digits, right-padded (".5" is 500 ms).
        let frac = &b[start..i.min(start + 3)];
        let value = frac.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0'));
        millis = value * 10_i64.pow(3 - frac.len() as u32);
    }
    let offset_min = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            (oh * 60 + om) * if *sign == b'-' { -1 } else { 1 }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + millis)
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_961_525_123), "2026-11-29T14:12:05.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for ms in [0, 1_795_961_525_123, 951_782_400_000, 4_102_444_799_999] {
            assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        }
        assert_eq!(
            parse_rfc3339("2026-11-29T15:12:05+01:00"),
            Some(1_795_961_525_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-29T14:12:05Z"),
            Some(1_795_961_525_000)
        );
        assert_eq!(parse_rfc3339("2026-13-29T14:12:05Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2026-11-29T14:12:05"), None);
        assert_eq!(
            parse_rfc3339("2026-11-29T14:12:05.5Z"),
            Some(1_795_961_525_500)
        );
    }

    #[test]
    fn refuses_what_only_looks_like_a_time_without_panicking() {
        // The reported input: a multi-byte character where the offset's colon goes.
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00+a\u{e9}bc"), None);
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00+a\u{e9}b"), None);
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00.\u{e9}Z"), None);
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00+99:00"), None);
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00+-1:00"), None);
        assert_eq!(parse_rfc3339("\u{e9}026-01-01T00:00:00Z"), None);
        assert_eq!(
            parse_rfc3339(&format!("2026-01-01T00:00:00.{}Z", "1".repeat(50))),
            None
        );
        assert_eq!(parse_rfc3339("2026-02-29T00:00:00Z"), None);
        assert!(parse_rfc3339("2028-02-29T00:00:00Z").is_some());
        assert_eq!(parse_rfc3339("2026-04-31T00:00:00Z"), None);
    }
}
