//! Delays (`*_seconds` or `*_hours`) and `reminders`.

use serde_json::{Map, Value};

use super::Frame;
use super::{object_at, present};
use crate::core::error::ApiError;
use crate::core::policy::model::{ReminderSchedule, MAX_REMINDERS};
use crate::core::request::fields::whole_number;

const REMINDER_FIELDS: &[&str] = &[
    "before_timeout_seconds",
    "before_timeout_hours",
    "every_seconds",
    "every_hours",
    "max",
];

/// `{base}_seconds` or `{base}_hours` of `m`: the parameter used and whole seconds.
pub(super) fn delay(
    m: &Map<String, Value>,
    base: &str,
    path: &str,
) -> Result<Option<(String, u64)>, ApiError> {
    let sp = format!("{path}.{base}_seconds");
    let hp = format!("{path}.{base}_hours");
    match (
        present(m, &format!("{base}_seconds")),
        present(m, &format!("{base}_hours")),
    ) {
        (Some(_), Some(_)) => Err(ApiError::ConflictingParam {
            message: format!("Send `{sp}` or `{hp}`, not both."),
            param: hp,
        }),
        (Some(s), None) => seconds(s, &sp).map(|n| Some((sp, n))),
        (None, Some(h)) => hours(h, &hp).map(|n| Some((hp, n))),
        (None, None) => Ok(None),
    }
}

fn seconds(v: &Value, param: &str) -> Result<u64, ApiError> {
    whole_number(v)
        .filter(|n| *n >= 0)
        .map(|n| n as u64)
        .ok_or_else(|| {
            ApiError::invalid(
                param,
                format!("`{param}` must be a whole number of seconds."),
            )
        })
}

fn hours(v: &Value, param: &str) -> Result<u64, ApiError> {
    v.as_f64()
        .filter(|h| h.is_finite() && *h >= 0.0 && *h < 1.0e6)
        .map(|h| (h * 3600.0).round() as u64)
        .ok_or_else(|| {
            ApiError::invalid(
                param,
                format!("`{param}` must be a number of hours, e.g. 2 or 0.5."),
            )
        })
}

pub(super) fn parse_reminders(v: &Value, frame: &Frame) -> Result<ReminderSchedule, ApiError> {
    let m = object_at(v, "reminders", REMINDER_FIELDS)?;
    let before = ["before_timeout_seconds", "before_timeout_hours"]
        .into_iter()
        .find(|k| present(m, k).is_some());
    let every = delay(m, "every", "reminders")?;
    match (before, every) {
        (Some(_), Some(_)) => Err(ApiError::ConflictingParam {
            param: "reminders".into(),
            message: "`reminders` takes `before_timeout_seconds` or `every_seconds`, not both.".into(),
        }),
        (Some(k), None) => {
            if present(m, "max").is_some() {
                return Err(ApiError::invalid("reminders.max", "`reminders.max` goes with `every_seconds`; `before_timeout_seconds` lists each reminder."));
            }
            if k == "before_timeout_seconds" && present(m, "before_timeout_hours").is_some() {
                return Err(ApiError::ConflictingParam {
                    param: "reminders.before_timeout_hours".into(),
                    message: "Send `reminders.before_timeout_seconds` or `reminders.before_timeout_hours`, not both.".into(),
                });
            }
            let param = format!("reminders.{k}");
            let Some(Value::Array(items)) = present(m, k) else {
                return Err(ApiError::invalid(&param, format!("`{param}` must be an array, e.g. [3600].")));
            };
            if items.is_empty() || items.len() > MAX_REMINDERS {
                return Err(ApiError::invalid(&param, format!("`{param}` needs 1 to {MAX_REMINDERS} values.")));
            }
            let mut out: Vec<u64> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let ip = format!("{param}[{i}]");
                let s = if k.ends_with("hours") { hours(item, &ip)? } else { seconds(item, &ip)? };
                if s == 0 || s >= frame.timeout_seconds {
                    return Err(ApiError::invalid(
                        &ip,
                        format!("`{ip}` must be more than 0 and less than the timeout ({} seconds).", frame.timeout_seconds),
                    ));
                }
                if out.contains(&s) {
                    return Err(ApiError::invalid(&ip, format!("`{param}` lists the same time twice.")));
                }
                out.push(s);
            }
            out.sort_unstable_by(|a, b| b.cmp(a));
            Ok(ReminderSchedule::BeforeTimeout { seconds: out })
        }
        (None, Some((param, every))) => {
            if every < frame.min_seconds {
                return Err(ApiError::invalid(&param, format!("`{param}` must be at least {} seconds.", frame.min_seconds)));
            }
            let max = match present(m, "max") {
                None => MAX_REMINDERS as i64,
                Some(v) => whole_number(v).unwrap_or(-1),
            };
            if !(1..=MAX_REMINDERS as i64).contains(&max) {
                return Err(ApiError::invalid("reminders.max", format!("`reminders.max` must be a whole number from 1 to {MAX_REMINDERS}.")));
            }
            Ok(ReminderSchedule::Every { seconds: every, max: max as u8 })
        }
        (None, None) => Err(ApiError::invalid(
            "reminders",
            "`reminders` needs `before_timeout_seconds` (e.g. [3600]) or `every_seconds` with `max`.",
        )),
    }
}
