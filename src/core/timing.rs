//! The `Server-Timing` header of API responses: time in Durable Objects and in D1 (with
//! the number of queries), so a client sees where a slow request went.

/// `do;dur=3.1, d1;dur=0;desc="0 queries"`: durations in milliseconds, one decimal.
pub fn server_timing(object_ms: f64, d1_ms: f64, d1_queries: u32) -> String {
    format!(
        "do;dur={}, d1;dur={};desc=\"{d1_queries} queries\"",
        ms(object_ms),
        ms(d1_ms)
    )
}

/// Non-negative, finite, one decimal; `3` rather than `3.0`. Capped at a day, far
/// past any request, so the arithmetic below cannot overflow.
fn ms(v: f64) -> String {
    let v = if v.is_finite() {
        v.clamp(0.0, 86_400_000.0)
    } else {
        0.0
    };
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as u64)
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_header_names_both_and_counts_queries() {
        assert_eq!(
            server_timing(3.06, 0.0, 0),
            "do;dur=3.1, d1;dur=0;desc=\"0 queries\""
        );
        assert_eq!(
            server_timing(0.0, 12.0, 2),
            "do;dur=0, d1;dur=12;desc=\"2 queries\""
        );
        assert_eq!(
            server_timing(f64::NAN, -1.0, 1),
            "do;dur=0, d1;dur=0;desc=\"1 queries\""
        );
    }

    proptest! {
        #[test]
        fn durations_are_plain_non_negative_numbers(a in any::<f64>(), b in any::<f64>(), n in any::<u32>()) {
            let h = server_timing(a, b, n);
            let durs: Vec<&str> = h.split("dur=").skip(1).map(|s| s.split([',', ';']).next().unwrap()).collect();
            prop_assert_eq!(durs.len(), 2);
            for d in durs {
                let v: f64 = d.parse().unwrap();
                prop_assert!(v >= 0.0 && v.is_finite());
                prop_assert!(!d.contains('e'));
            }
        }
    }
}
