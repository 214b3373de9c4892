//! The optional bodies of the key routes: `POST /v1/keys` (`{"mode"}`),
//! `POST /v1/keys/{id}/rotate` (`{"grace_seconds"}`) and
//! `POST /v1/webhook_secret/rotate` (`{"mode"}`). An empty body takes the defaults.

use serde_json::{Map, Value};

use super::fields::{optional_object, whole_number};
use crate::core::error::ApiError;
use crate::core::keys::KeyMode;

/// How long a rotated-out key may keep working, at most.
pub const MAX_GRACE_SECONDS: i64 = 7 * 86_400;

/// `POST /v1/keys`: the new key's mode, live unless asked.
pub fn parse_new_key(body: &[u8]) -> Result<KeyMode, ApiError> {
    let obj = optional_object(body, &["mode"])?;
    Ok(mode(&obj)?.unwrap_or(KeyMode::Live))
}

/// `POST /v1/webhook_secret/rotate`: the mode asked for, if any (the key's otherwise).
pub fn parse_secret_rotation(body: &[u8]) -> Result<Option<KeyMode>, ApiError> {
    mode(&optional_object(body, &["mode"])?)
}

/// `POST /v1/keys/{id}/rotate`: seconds the old key keeps working (0: it stops at once).
pub fn parse_rotation(body: &[u8]) -> Result<i64, ApiError> {
    let obj = optional_object(body, &["grace_seconds"])?;
    match obj.get("grace_seconds") {
        None => Ok(0),
        Some(v) => whole_number(v)
            .filter(|g| (0..=MAX_GRACE_SECONDS).contains(g))
            .ok_or_else(|| {
                ApiError::invalid(
                    "grace_seconds",
                    "`grace_seconds` must be a whole number from 0 to 604800 (7 days).",
                )
            }),
    }
}

fn mode(obj: &Map<String, Value>) -> Result<Option<KeyMode>, ApiError> {
    match obj.get("mode") {
        None => Ok(None),
        Some(Value::String(m)) => KeyMode::parse(m).map(Some).ok_or_else(bad_mode),
        Some(_) => Err(bad_mode()),
    }
}

fn bad_mode() -> ApiError {
    ApiError::invalid("mode", "`mode` must be live or test.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn modes_default_per_route() {
        assert_eq!(parse_new_key(b"").unwrap(), KeyMode::Live);
        assert_eq!(parse_new_key(br#"{"mode":"test"}"#).unwrap(), KeyMode::Test);
        assert_eq!(parse_secret_rotation(b" ").unwrap(), None);
        assert_eq!(
            parse_secret_rotation(br#"{"mode":"live"}"#).unwrap(),
            Some(KeyMode::Live)
        );
        for body in [
            &br#"{"mode":"LIVE"}"#[..],
            br#"{"mode":1}"#,
            br#"{"mode":null}"#,
        ] {
            assert_eq!(parse_new_key(body).unwrap_err().param(), Some("mode"));
            assert_eq!(
                parse_secret_rotation(body).unwrap_err().param(),
                Some("mode")
            );
        }
        assert_eq!(
            parse_new_key(br#"{"grace_seconds":1}"#).unwrap_err().code(),
            "parameter_unknown"
        );
    }

    #[test]
    fn grace_is_whole_seconds_up_to_a_week() {
        assert_eq!(parse_rotation(b"").unwrap(), 0);
        assert_eq!(parse_rotation(br#"{"grace_seconds":3600}"#).unwrap(), 3600);
        assert_eq!(parse_rotation(br#"{"grace_seconds":60.0}"#).unwrap(), 60);
        assert_eq!(
            parse_rotation(br#"{"grace_seconds":604800}"#).unwrap(),
            MAX_GRACE_SECONDS
        );
        for bad in ["604801", "-1", "1.5", "\"60\"", "null"] {
            let body = format!(r#"{{"grace_seconds":{bad}}}"#);
            assert_eq!(
                parse_rotation(body.as_bytes()).unwrap_err().param(),
                Some("grace_seconds"),
                "{bad}"
            );
        }
        assert_eq!(
            parse_rotation(br#"{"mode":"live"}"#).unwrap_err().code(),
            "parameter_unknown"
        );
    }

    proptest! {
        #[test]
        fn parsing_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..100), s in any::<String>(), n in any::<f64>()) {
            let _ = (parse_new_key(&bytes), parse_secret_rotation(&bytes), parse_rotation(&bytes));
            let body = serde_json::json!({ "mode": s }).to_string();
            if let Ok(m) = parse_new_key(body.as_bytes()) {
                prop_assert_eq!(m.as_str(), s.as_str());
            }
            let body = serde_json::json!({ "grace_seconds": n }).to_string();
            if let Ok(g) = parse_rotation(body.as_bytes()) {
                prop_assert!((0..=MAX_GRACE_SECONDS).contains(&g));
            }
        }
    }
}
