//! The policy fields of a create request (`approvers`, `rule`, `escalation`,
//! `reminders`, `action`) become typed values here, or an error whose `param` is the
//! JSON path at fault (`approvers[1].recipient`, `rule.count`). Total: any JSON in,
//! never a panic (fuzzed in tests/fuzz_parsers.rs).

use serde::Serialize;
use serde_json::{Map, Value};

use super::model::{
    Action, Contact, ReminderSchedule, Rule, MAX_ACTION_BYTES, MAX_ACTION_NAME_CHARS,
    MAX_APPROVERS, MAX_FALLBACKS, MAX_LEVELS, MAX_NAME_CHARS, MAX_REMINDERS,
};
use crate::core::error::ApiError;
use crate::core::pause::Channel;
use crate::core::request::fields::{reject_unknown, whole_number};
use crate::core::request::recipient::parse_recipient;

/// The request's top-level fields this module reads.
pub const FIELDS: &[&str] = &["approvers", "rule", "escalation", "reminders", "action"];
const APPROVER_FIELDS: &[&str] = &["id", "name", "channel", "recipient", "fallbacks"];
const CONTACT_FIELDS: &[&str] = &["channel", "recipient"];
const RULE_FIELDS: &[&str] = &["type", "count", "veto"];
const LEVEL_FIELDS: &[&str] = &["after_seconds", "after_hours", "approvers"];
const REMINDER_FIELDS: &[&str] = &[
    "before_timeout_seconds",
    "before_timeout_hours",
    "every_seconds",
    "every_hours",
    "max",
];
const ACTION_FIELDS: &[&str] = &["name", "arguments"];

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

fn present<'a>(obj: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
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
fn object_at<'a>(
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

fn parse_approver_list(v: &Value, path: &str, level: u8) -> Result<Vec<NewApprover>, ApiError> {
    let Value::Array(items) = v else {
        return Err(ApiError::invalid(
            path,
            format!("`{path}` must be an array of approvers like {{\"name\": \"Dana\", \"channel\": \"sms\", \"recipient\": \"+13125550100\"}}."),
        ));
    };
    if items.is_empty() {
        return Err(ApiError::invalid(
            path,
            format!("`{path}` is empty: name at least one approver."),
        ));
    }
    if items.len() > MAX_APPROVERS {
        return Err(ApiError::invalid(
            path,
            format!(
                "`{path}` has {} approvers; at most {MAX_APPROVERS} are allowed.",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, a)| parse_approver(a, &format!("{path}[{i}]"), level))
        .collect()
}

fn parse_approver(v: &Value, path: &str, level: u8) -> Result<NewApprover, ApiError> {
    let m = object_at(v, path, APPROVER_FIELDS)?;
    let id = match present(m, "id") {
        None => String::new(), // numbered once every level is read
        Some(Value::String(s))
            if (1..=32).contains(&s.len())
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                }) =>
        {
            s.clone()
        }
        Some(_) => {
            return Err(ApiError::invalid(
                &format!("{path}.id"),
                format!("`{path}.id` must be 1 to 32 characters of a-z, 0-9, `_` or `-`."),
            ))
        }
    };
    let name = match present(m, "name") {
        None => None,
        Some(Value::String(s))
            if !s.trim().is_empty() && s.trim().chars().count() <= MAX_NAME_CHARS =>
        {
            Some(s.trim().to_string())
        }
        Some(_) => {
            return Err(ApiError::invalid(
                &format!("{path}.name"),
                format!(
                "`{path}.name` must be a non-empty string of at most {MAX_NAME_CHARS} characters."
            ),
            ))
        }
    };
    let mut contacts = vec![parse_contact(m, path)?];
    if let Some(f) = present(m, "fallbacks") {
        let fpath = format!("{path}.fallbacks");
        let Value::Array(items) = f else {
            return Err(ApiError::invalid(
                &fpath,
                format!("`{fpath}` must be an array of {{\"channel\", \"recipient\"}} objects."),
            ));
        };
        if items.len() > MAX_FALLBACKS {
            return Err(ApiError::invalid(
                &fpath,
                format!(
                    "`{fpath}` has {} contacts; at most {MAX_FALLBACKS} are allowed.",
                    items.len()
                ),
            ));
        }
        for (j, item) in items.iter().enumerate() {
            let cpath = format!("{fpath}[{j}]");
            let c = parse_contact(object_at(item, &cpath, CONTACT_FIELDS)?, &cpath)?;
            if contacts.contains(&c) {
                return Err(ApiError::invalid(
                    &cpath,
                    format!("`{cpath}` repeats a contact this approver already has: each fallback must be a different channel or recipient."),
                ));
            }
            contacts.push(c);
        }
    }
    Ok(NewApprover {
        id,
        name,
        contacts,
        level,
    })
}

/// `channel` (default sms) and `recipient` of the object at `path`, parsed like the
/// top-level pair.
fn parse_contact(m: &Map<String, Value>, path: &str) -> Result<Contact, ApiError> {
    let cparam = format!("{path}.channel");
    let channel = match present(m, "channel") {
        None => Channel::Sms,
        Some(v) => parse_channel(v, &cparam)?,
    };
    let rparam = format!("{path}.recipient");
    let raw = match present(m, "recipient") {
        None => return Err(ApiError::missing(&rparam)),
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(ApiError::invalid(
                &rparam,
                format!("`{rparam}` must be a string."),
            ))
        }
    };
    let recipient = parse_recipient(channel, raw).map_err(|m| ApiError::invalid(&rparam, m))?;
    Ok(Contact { channel, recipient })
}

/// A channel name, as the top-level `channel` takes it.
pub fn parse_channel(v: &Value, param: &str) -> Result<Channel, ApiError> {
    match v {
        Value::String(s) => Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid(
                    param,
                    format!("`{s}` is not a channel: use sms, email, slack or whatsapp."),
                )
            }),
        _ => Err(ApiError::invalid(
            param,
            format!("`{param}` must be a string: sms, email, slack or whatsapp."),
        )),
    }
}

/// Numbers the approvers without an id, then refuses a repeated id or a person
/// listed twice (one person, one vote: any shared recipient counts).
fn check_people(approvers: &mut [NewApprover]) -> Result<(), ApiError> {
    for (i, a) in approvers.iter_mut().enumerate() {
        if a.id.is_empty() {
            a.id = format!("approver_{}", i + 1);
        }
    }
    for (i, a) in approvers.iter().enumerate() {
        let path = approver_path(approvers, i);
        if approvers[..i].iter().any(|b| b.id == a.id) {
            return Err(ApiError::invalid(
                &format!("{path}.id"),
                format!(
                    "The approver id `{}` is used twice: ids must be unique.",
                    a.id
                ),
            ));
        }
        // Case-blind: `Dana@Example.com` is the same mailbox as `dana@example.com`.
        for (j, c) in a.contacts.iter().enumerate() {
            if approvers[..i].iter().any(|b| {
                b.contacts
                    .iter()
                    .any(|d| d.recipient.eq_ignore_ascii_case(&c.recipient))
            }) {
                let at = match j {
                    0 => format!("{path}.recipient"),
                    j => format!("{path}.fallbacks[{}].recipient", j - 1),
                };
                return Err(ApiError::invalid(
                    &at,
                    format!(
                        "`{}` is already an approver's contact: one person, one vote.",
                        c.recipient
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The request path of the `i`-th approver over all levels.
pub fn approver_path(approvers: &[NewApprover], i: usize) -> String {
    let level = approvers[i].level;
    let k = approvers[..i].iter().filter(|a| a.level == level).count();
    match level {
        0 => format!("approvers[{k}]"),
        l => format!("escalation[{}].approvers[{k}]", l - 1),
    }
}

fn parse_rule(v: &Value, options: &[String], approvers: usize) -> Result<Rule, ApiError> {
    let (kind, m, kparam) = match v {
        Value::String(s) => (s.as_str(), None, "rule"),
        Value::Object(_) => {
            let m = object_at(v, "rule", RULE_FIELDS)?;
            match present(m, "type") {
                Some(Value::String(s)) => (s.as_str(), Some(m), "rule.type"),
                None => return Err(ApiError::missing("rule.type")),
                Some(_) => return Err(ApiError::invalid("rule.type", "`rule.type` must be a string: any, all, quorum or ordered.")),
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "rule",
                "`rule` must be \"any\", \"all\", \"ordered\" or an object like {\"type\": \"quorum\", \"count\": 2}.",
            ))
        }
    };
    if !["any", "all", "quorum", "ordered"].contains(&kind) {
        return Err(ApiError::invalid(
            kparam,
            format!(
                "`{}` is not a rule: use any, all, quorum or ordered.",
                kind.chars().take(40).collect::<String>()
            ),
        ));
    }
    let count = m.and_then(|m| present(m, "count"));
    let veto = match m.and_then(|m| present(m, "veto")) {
        None => Vec::new(),
        Some(_) if kind == "any" => {
            return Err(ApiError::invalid(
                "rule.veto",
                "The `any` rule takes no `veto`: the first vote decides anyway.",
            ))
        }
        Some(v) => parse_veto(v, options)?,
    };
    if count.is_some() && kind != "quorum" {
        return Err(ApiError::invalid(
            "rule.count",
            format!("`rule.count` is for the `quorum` rule only, not `{kind}`."),
        ));
    }
    Ok(match kind {
        "any" => Rule::Any,
        "all" => Rule::All { veto },
        "ordered" => Rule::Ordered { veto },
        // "quorum": the only kind left after the check above.
        _ => {
            let Some(count) = count else {
                return Err(ApiError::missing("rule.count"));
            };
            let n = whole_number(count).ok_or_else(|| {
                ApiError::invalid(
                    "rule.count",
                    "`rule.count` must be a whole number of votes.",
                )
            })?;
            if n < 2 || n > approvers as i64 {
                return Err(ApiError::invalid(
                    "rule.count",
                    format!("`rule.count` must be between 2 and the number of approvers ({approvers}); got {n}. For one vote use the `any` rule."),
                ));
            }
            Rule::Quorum {
                count: n as u8,
                veto,
            }
        }
    })
}

fn parse_veto(v: &Value, options: &[String]) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = v else {
        return Err(ApiError::invalid(
            "rule.veto",
            "`rule.veto` must be an array of option labels, e.g. [\"Reject\"].",
        ));
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let param = format!("rule.veto[{i}]");
        let Some(label) = item.as_str().map(str::trim) else {
            return Err(ApiError::invalid(
                &param,
                format!("`{param}` must be a string, one of the options."),
            ));
        };
        let Some(o) = options.iter().find(|o| o.as_str() == label) else {
            return Err(ApiError::invalid(
                &param,
                format!(
                    "`{param}` must be one of the options ({}); got `{}`.",
                    options.join(", "),
                    label.chars().take(40).collect::<String>()
                ),
            ));
        };
        if out.contains(o) {
            return Err(ApiError::invalid(
                &param,
                format!("`rule.veto` lists `{o}` twice."),
            ));
        }
        out.push(o.clone());
    }
    if out.len() == options.len() {
        return Err(ApiError::invalid(
            "rule.veto",
            "`rule.veto` lists every option: a veto must leave something to agree on.",
        ));
    }
    Ok(out)
}

/// `{base}_seconds` or `{base}_hours` of `m`: the parameter used and whole seconds.
fn delay(
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

fn parse_reminders(v: &Value, frame: &Frame) -> Result<ReminderSchedule, ApiError> {
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

/// `action`: `{name, arguments}` (arguments default to `{}`), at most 8 KB of JSON.
pub fn parse_action(obj: &Map<String, Value>) -> Result<Option<Action>, ApiError> {
    let Some(v) = present(obj, "action") else {
        return Ok(None);
    };
    let m = object_at(v, "action", ACTION_FIELDS)?;
    let name = match present(m, "name") {
        None => return Err(ApiError::missing("action.name")),
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().chars().count() <= MAX_ACTION_NAME_CHARS => s.trim().to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "action.name",
                format!("`action.name` must be a non-empty string of at most {MAX_ACTION_NAME_CHARS} characters, e.g. \"wire_transfer\"."),
            ))
        }
    };
    let arguments = m
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let action = Action { name, arguments };
    let size = serde_json::to_vec(&action).map_or(usize::MAX, |b| b.len());
    if size > MAX_ACTION_BYTES {
        return Err(ApiError::invalid(
            "action.arguments",
            format!("`action` is {size} bytes as JSON; at most {MAX_ACTION_BYTES} are allowed: keep references, not documents."),
        ));
    }
    Ok(Some(action))
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
