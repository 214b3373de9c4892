//! `POST /v1/pause`: the body becomes a `NewPause` of typed, normalised values, or an
//! error naming the parameter at fault. Nothing downstream re-checks.

use serde_json::{Map, Value};

use super::fields::{parse_object, reject_unknown, required_str};
use super::recipient::parse_recipient;
use crate::core::error::ApiError;
use crate::core::pause::{AnswerSettings, Channel};
use crate::core::policy::model::Action;
use crate::core::policy::request::{parse_action, parse_channel, parse_policy, Frame, NewPolicy};
use crate::core::webhook::target::{self, Policy};

pub const MAX_MESSAGE_CHARS: usize = 1000;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION_CHARS: usize = 40;
pub use crate::core::webhook::target::MAX_URL_CHARS;
pub const MAX_METADATA_BYTES: usize = 4096;
pub const MAX_CONTEXT_CHARS: usize = 1000;
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 24 * 3600;
pub const MAX_TIMEOUT_SECONDS: u64 = 30 * 24 * 3600;

const FIELDS: &[&str] = &[
    "recipient",
    "channel",
    "message",
    "options",
    "timeout_hours",
    "timeout_seconds",
    "timeout_default",
    "webhook_url",
    "metadata",
    "context",
    "danger",
    "confirm_danger",
    "allow_comment",
    "approvers",
    "rule",
    "escalation",
    "reminders",
    "action",
];

/// Bounds that depend on the deployment (tests shorten the minimum timeout).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub min_timeout_seconds: u64,
    pub max_timeout_seconds: u64,
    /// Local mode: webhook URLs may point to loopback (`http://localhost`, 127.0.0.0/8).
    pub allow_http_localhost: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewPause {
    pub channel: Channel,
    /// Normalised: E.164 for sms/whatsapp, lower-cased domain for email, an id for Slack.
    pub recipient: String,
    pub message: String,
    pub options: Vec<String>,
    pub timeout_seconds: u64,
    pub timeout_default: Option<String>,
    pub webhook_url: Option<String>,
    pub metadata: Option<Value>,
    /// Page hints: context, danger options, confirmation, comment box.
    pub answer: AnswerSettings,
    /// Several approvers and the rule that decides (`channel`/`recipient` are then
    /// the first approver's primary contact); `None` for one recipient.
    pub policy: Option<NewPolicy>,
    /// The action being approved.
    pub action: Option<Action>,
}

impl NewPause {
    /// SHA-256 of the parsed request: two bodies that mean the same thing (key order,
    /// spacing, "+1 (312)…" vs "+1312…") have the same fingerprint.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        crate::core::ids::hex(&Sha256::digest(canonical))
    }
}

pub fn parse_create(body: &[u8], limits: &Limits) -> Result<NewPause, ApiError> {
    let obj = parse_object(body)?;
    reject_unknown(&obj, FIELDS)?;

    // With `approvers`, each approver names their own channel and recipient (read
    // below, once the options and timeout they are checked against are known).
    let approvers_sent = obj.get("approvers").is_some_and(|v| !v.is_null());
    let single = if approvers_sent {
        None
    } else {
        let channel = match obj.get("channel") {
            None | Some(Value::Null) => Channel::Sms,
            Some(v) => parse_channel(v, "channel")?,
        };
        let recipient_raw = required_str(&obj, "recipient")?;
        let recipient = parse_recipient(channel, recipient_raw)
            .map_err(|m| ApiError::invalid("recipient", m))?;
        Some((channel, recipient))
    };

    let message = required_str(&obj, "message")?.trim().to_string();
    if message.is_empty() {
        return Err(ApiError::invalid(
            "message",
            "`message` is empty: write the question the person should answer.",
        ));
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::invalid(
            "message",
            format!(
                "`message` is longer than {MAX_MESSAGE_CHARS} characters: shorten the question."
            ),
        ));
    }

    let options = parse_options(obj.get("options"))?;
    let timeout_seconds = parse_timeout(&obj, limits)?;

    let timeout_default = match obj.get("timeout_default") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            match options.iter().find(|o| o.as_str() == s) {
                Some(o) => Some(o.clone()),
                None => {
                    return Err(ApiError::invalid(
                        "timeout_default",
                        format!(
                            "`timeout_default` must be one of the options ({}); got `{s}`.",
                            options.join(", ")
                        ),
                    ))
                }
            }
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "timeout_default",
                "`timeout_default` must be a string, one of the options.",
            ))
        }
    };

    let webhook_url = match obj.get("webhook_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(parse_webhook_url(s, limits).map_err(|m| ApiError::invalid("webhook_url", m))?)
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "webhook_url",
                "`webhook_url` must be a string URL.",
            ))
        }
    };

    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => {
            if v.to_string().len() > MAX_METADATA_BYTES {
                return Err(ApiError::invalid(
                    "metadata",
                    format!("`metadata` is larger than {MAX_METADATA_BYTES} bytes as JSON: keep references, not documents."),
                ));
            }
            Some(v.clone())
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "metadata",
                "`metadata` must be a JSON object.",
            ))
        }
    };

    let answer = parse_answer_settings(&obj, &options)?;
    let frame = Frame {
        options: &options,
        timeout_seconds,
        min_seconds: limits.min_timeout_seconds,
    };
    let policy = parse_policy(&obj, &frame)?;
    let action = parse_action(&obj)?;
    let (channel, recipient) = match (single, &policy) {
        (Some(pair), _) => pair,
        (None, Some(p)) => {
            let first = &p.approvers[0].contacts[0];
            (first.channel, first.recipient.clone())
        }
        (None, None) => return Err(ApiError::missing("approvers")),
    };

    Ok(NewPause {
        policy,
        action,
        answer,
        channel,
        recipient,
        message,
        options,
        timeout_seconds,
        timeout_default,
        webhook_url,
        metadata,
    })
}

/// `context`, `danger`, `confirm_danger`, `allow_comment`: how the page asks.
fn parse_answer_settings(
    obj: &Map<String, Value>,
    options: &[String],
) -> Result<AnswerSettings, ApiError> {
    let context = match obj.get("context") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > MAX_CONTEXT_CHARS {
                return Err(ApiError::invalid(
                    "context",
                    format!("`context` is longer than {MAX_CONTEXT_CHARS} characters: send a summary and keep the rest in `metadata`."),
                ));
            }
            (!s.is_empty()).then(|| s.to_string())
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "context",
                "`context` must be a string shown under the question.",
            ))
        }
    };
    let danger = match obj.get("danger") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out: Vec<String> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let Some(label) = item.as_str().map(str::trim) else {
                    return Err(ApiError::invalid(
                        "danger",
                        format!("`danger[{i}]` must be a string, one of the options."),
                    ));
                };
                let Some(o) = options.iter().find(|o| o.as_str() == label) else {
                    return Err(ApiError::invalid(
                        "danger",
                        format!(
                            "`danger[{i}]` must be one of the options ({}); got `{label}`.",
                            options.join(", ")
                        ),
                    ));
                };
                if !out.contains(o) {
                    out.push(o.clone());
                }
            }
            if out.len() == options.len() {
                return Err(ApiError::invalid(
                    "danger",
                    "`danger` lists every option: mark only the destructive ones.",
                ));
            }
            out
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "danger",
                "`danger` must be an array of option labels, e.g. [\"Delete\"].",
            ))
        }
    };
    let flag = |name: &str| match obj.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::invalid(
            name,
            format!("`{name}` must be true or false."),
        )),
    };
    let confirm_danger = flag("confirm_danger")?;
    if confirm_danger && danger.is_empty() {
        return Err(ApiError::invalid(
            "confirm_danger",
            "`confirm_danger` needs `danger`: list the options that need a second tap.",
        ));
    }
    Ok(AnswerSettings {
        context,
        danger,
        confirm_danger,
        allow_comment: flag("allow_comment")?,
    })
}

fn parse_options(v: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let items = match v {
        None | Some(Value::Null) => return Err(ApiError::missing("options")),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::invalid(
                "options",
                "`options` must be an array of strings, e.g. [\"Approve\", \"Reject\"].",
            ))
        }
    };
    if items.len() < 2 || items.len() > MAX_OPTIONS {
        return Err(ApiError::invalid(
            "options",
            format!(
                "`options` needs 2 to {MAX_OPTIONS} choices; got {}.",
                items.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::String(s) = item else {
            return Err(ApiError::invalid(
                "options",
                format!("`options[{i}]` must be a string."),
            ));
        };
        let label = s.trim();
        if label.is_empty() {
            return Err(ApiError::invalid(
                "options",
                format!("`options[{i}]` is empty."),
            ));
        }
        if label.chars().count() > MAX_OPTION_CHARS {
            return Err(ApiError::invalid(
                "options",
                format!("`options[{i}]` is longer than {MAX_OPTION_CHARS} characters: a button label must be short."),
            ));
        }
        if out.iter().any(|o| o.to_lowercase() == label.to_lowercase()) {
            return Err(ApiError::invalid(
                "options",
                format!("`options` lists `{label}` twice: each choice must be distinct."),
            ));
        }
        out.push(label.to_string());
    }
    Ok(out)
}

fn parse_timeout(obj: &Map<String, Value>, limits: &Limits) -> Result<u64, ApiError> {
    let (param, seconds) = match (obj.get("timeout_hours"), obj.get("timeout_seconds")) {
        (Some(h), Some(s)) if !h.is_null() && !s.is_null() => {
            return Err(ApiError::invalid(
                "timeout_seconds",
                "Send `timeout_hours` or `timeout_seconds`, not both.",
            ))
        }
        (Some(h), _) if !h.is_null() => {
            let hours = h.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                ApiError::invalid(
                    "timeout_hours",
                    "`timeout_hours` must be a number of hours, e.g. 4 or 0.5.",
                )
            })?;
            ("timeout_hours", (hours * 3600.0).round())
        }
        (_, Some(s)) if !s.is_null() => {
            let secs = s
                .as_f64()
                .filter(|x| x.is_finite() && x.fract() == 0.0)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "timeout_seconds",
                        "`timeout_seconds` must be a whole number of seconds.",
                    )
                })?;
            ("timeout_seconds", secs)
        }
        _ => {
            return Ok(DEFAULT_TIMEOUT_SECONDS
                .clamp(limits.min_timeout_seconds, limits.max_timeout_seconds))
        }
    };
    if seconds < limits.min_timeout_seconds as f64 || seconds > limits.max_timeout_seconds as f64 {
        return Err(ApiError::invalid(
            param,
            format!(
                "The timeout must be between {} and {} ({} to {} seconds).",
                human_duration(limits.min_timeout_seconds),
                human_duration(limits.max_timeout_seconds),
                limits.min_timeout_seconds,
                limits.max_timeout_seconds
            ),
        ));
    }
    Ok(seconds as u64)
}

pub fn human_duration(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 && s >= 86_400 => {
            format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" })
        }
        s if s % 3600 == 0 && s >= 3600 => {
            format!("{} hour{}", s / 3600, if s == 3600 { "" } else { "s" })
        }
        s if s % 60 == 0 && s >= 60 => {
            format!("{} minute{}", s / 60, if s == 60 { "" } else { "s" })
        }
        s => format!("{s} second{}", if s == 1 { "" } else { "s" }),
    }
}

/// The mode-level rules of [`target::check`]; the deployment's own origins and its
/// egress guard are added by the adapter (`config::webhook_target`).
pub fn parse_webhook_url(raw: &str, limits: &Limits) -> Result<String, String> {
    target::check(
        raw,
        &Policy {
            local: limits.allow_http_localhost,
            ..Policy::default()
        },
    )
}

#[cfg(test)]
#[path = "create_tests.rs"]
mod tests;
