//! `?wait=` on `GET /v1/pause/{id}` (and `wait_seconds` of the MCP `poll_pause` tool):
//! how long to hold the request while the pause is pending.

use crate::core::error::ApiError;

/// The longest hold, under the platform's idle limits on an open request.
pub const MAX_WAIT_MS: u64 = 55_000;

/// `wait` in seconds (fractions allowed, 0 = answer at once) as milliseconds;
/// absent is 0. `param` names the field in the error (`wait`, `wait_seconds`).
pub fn parse_wait(raw: Option<&str>, param: &str) -> Result<u64, ApiError> {
    let Some(w) = raw else { return Ok(0) };
    let secs: f64 = w
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| {
            ApiError::invalid(
                param,
                format!("`{param}` must be a number of seconds between 0 and 55."),
            )
        })?;
    if secs * 1000.0 > MAX_WAIT_MS as f64 {
        return Err(ApiError::invalid(
            param,
            format!("`{param}` can be at most 55 seconds; poll again after it returns."),
        ));
    }
    Ok((secs * 1000.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seconds_become_milliseconds_within_bounds() {
        assert_eq!(parse_wait(None, "wait").unwrap(), 0);
        assert_eq!(parse_wait(Some("0"), "wait").unwrap(), 0);
        assert_eq!(parse_wait(Some(" 1.5 "), "wait").unwrap(), 1500);
        assert_eq!(parse_wait(Some("55"), "wait").unwrap(), 55_000);
        for bad in ["55.001", "-1", "NaN", "inf", "", "1s", "1e3"] {
            let e = parse_wait(Some(bad), "wait_seconds").unwrap_err();
            assert_eq!(e.param(), Some("wait_seconds"), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_is_total_and_bounded(s in any::<String>()) {
            if let Ok(ms) = parse_wait(Some(&s), "wait") {
                prop_assert!(ms <= MAX_WAIT_MS);
            }
        }
    }
}
