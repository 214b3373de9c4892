//! The policy fields of a create request (`approvers`, `rule`, `escalation`,
//! `reminders`, `action`) become typed values here, or an error whose `param` is the
//! JSON path at fault (`approvers[1].recipient`, `rule.count`). Total: any JSON in,
//! never a panic (fuzzed in tests/fuzz_parsers.rs).
//!
//! `approvers` (people, contacts, one person once), `rule`, `timing` (escalation delays
//! and reminders), `action`; `tests` go through `parse_create`.

mod action;
mod approvers;
mod rule;
mod timing;

pub use action::parse_action;
pub use approvers::{approver_path, parse_channel};
use approvers::{check_people, parse_approver_list};
use rule::parse_rule;
use timing::{delay, parse_reminders};

use serde::Serialize;
use serde_json::{Map, Value};

use super::model::{Contact, ReminderSchedule, Rule, MAX_APPROVERS, MAX_LEVELS};
use crate::core::error::ApiError;
use crate::core::request::fields::reject_unknown;

/// The request's top-level fields this module reads.
pub const FIELDS: &[&str] = &["approvers", "rule", "escalation", "reminders", "action"];
const LEVEL_FIELDS: &[&str] = &["after_seconds", "after_hours", "approvers"];

/// An approver as requested (the pause adds link, delivery, asked_at).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewApprover {
    pub id: String,
    pub name: Option<String>,
    /// The primary contact, then the fallbacks.
    pub contacts: Vec<Contact>,
    /// 0, or the escalation level (1-based) that adds them.
    pub level: u8,
}

/// A multi-approver request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPolicy {
    /// Every approver of every level, level 0 first (their index is their identity).
    pub approvers: Vec<NewApprover>,
    pub rule: Rule,
    /// Each level's delay after creation, in seconds (strictly increasing).
    pub escalation: Vec<u64>,
    pub reminders: Option<ReminderSchedule>,
}

/// What the policy fields are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub options: &'a [String],
    pub timeout_seconds: u64,
    pub min_seconds: u64,
}

pub(super) fn present<'a>(obj: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    obj.get(k).filter(|v| !v.is_null())
}

/// `approvers` with the rest of the policy, or `None` for a single-recipient request
/// (which may not send `rule`, `escalation` or `reminders`).
pub fn parse_policy(
    obj: &Map<String, Value>,
    frame: &Frame,
) -> Result<Option<NewPolicy>, ApiError> {
    let Some(list) = present(obj, "approvers") else {
        for k in ["rule", "escalation", "reminders"] {
            if present(obj, k).is_some() {
                return Err(ApiError::invalid(
                    k,
                    format!("`{k}` needs `approvers`: name the people who decide (one approver is fine)."),
                ));
            }
        }
        return Ok(None);
    };
    // Present at all, even null: with `approvers` the pair has no meaning.
    for k in ["recipient", "channel"] {
        if obj.contains_key(k) {
            return Err(ApiError::ConflictingParam {
                param: k.into(),
                message: format!("Send `approvers` or `{k}`, not both: with `approvers`, each approver has their own `channel` and `recipient`."),
            });
        }
    }
    let mut approvers = parse_approver_list(list, "approvers", 0)?;
    let mut escalation = Vec::new();
    if let Some(levels) = present(obj, "escalation") {
        let Value::Array(levels) = levels else {
            return Err(ApiError::invalid(
                "escalation",
                "`escalation` must be an array of levels like {\"after_seconds\": 1800, \"approvers\": [...]}.",
            ));
        };
        if levels.len() > MAX_LEVELS {
            return Err(ApiError::invalid(
                "escalation",
                format!(
                    "`escalation` has {} levels; at most {MAX_LEVELS} are allowed.",
                    levels.len()
                ),
            ));
        }
        for (k, level) in levels.iter().enumerate() {
            let path = format!("escalation[{k}]");
            let lv = object_at(level, &path, LEVEL_FIELDS)?;
            let (param, after) = delay(lv, "after", &path)?
                .ok_or_else(|| ApiError::missing(&format!("{path}.after_seconds")))?;
            if after < frame.min_seconds || after >= frame.timeout_seconds {
                return Err(ApiError::invalid(
                    &param,
                    format!("`{param}` must be at least {} seconds and less than the timeout ({} seconds).", frame.min_seconds, frame.timeout_seconds),
                ));
            }
            if escalation.last().is_some_and(|prev| after <= *prev) {
                return Err(ApiError::invalid(
                    &param,
                    format!("`{param}` must be later than the level before it: levels come in order of their delay."),
                ));
            }
            escalation.push(after);
            let list = present(lv, "approvers")
                .ok_or_else(|| ApiError::missing(&format!("{path}.approvers")))?;
            approvers.extend(parse_approver_list(
                list,
                &format!("{path}.approvers"),
                k as u8 + 1,
            )?);
        }
    }
    if approvers.len() > MAX_APPROVERS {
        return Err(ApiError::invalid(
            "approvers",
            format!("The pause names {} approvers over all levels; at most {MAX_APPROVERS} are allowed.", approvers.len()),
        ));
    }
    check_people(&mut approvers)?;
    let rule = match present(obj, "rule") {
        None => Rule::Any,
        Some(v) => parse_rule(v, frame.options, approvers.len())?,
    };
    if matches!(rule, Rule::Ordered { .. }) && !escalation.is_empty() {
        return Err(ApiError::ConflictingParam {
            param: "escalation".into(),
            message: "`escalation` cannot be used with the `ordered` rule: ordered approvers are asked one after another already.".into(),
        });
    }
    let reminders = match present(obj, "reminders") {
        None => None,
        Some(v) => Some(parse_reminders(v, frame)?),
    };
    Ok(Some(NewPolicy {
        approvers,
        rule,
        escalation,
        reminders,
    }))
}

/// The object at `path` with only `known` fields (an unknown one is named by path).
pub(super) fn object_at<'a>(
    v: &'a Value,
    path: &str,
    known: &[&str],
) -> Result<&'a Map<String, Value>, ApiError> {
    let Value::Object(m) = v else {
        return Err(ApiError::invalid(
            path,
            format!("`{path}` must be a JSON object."),
        ));
    };
    reject_unknown(m, known).map_err(|e| match e {
        ApiError::UnknownParam { param, message } => ApiError::UnknownParam {
            message: message.replacen(&format!("`{param}`"), &format!("`{path}.{param}`"), 1),
            param: format!("{path}.{param}"),
        },
        other => other,
    })?;
    Ok(m)
}

#[cfg(test)]
mod tests;
