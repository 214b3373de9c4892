//! Parsing of `POST /v1/pause`: the body becomes a `NewPause` of typed, normalised
//! values, or an error naming the parameter at fault. Nothing downstream re-checks.

use serde_json::{Map, Value};

use super::error::ApiError;
use super::pause::{AnswerSettings, Channel};
use super::phone::PhoneNumber;
use super::webhook::target::{self, Policy};

pub const MAX_MESSAGE_CHARS: usize = 1000;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION_CHARS: usize = 40;
pub use super::webhook::target::MAX_URL_CHARS;
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
}

impl NewPause {
    /// SHA-256 of the parsed request: two bodies that mean the same thing (key order,
    /// spacing, "+1 (312)…" vs "+1312…") have the same fingerprint.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        super::ids::hex(&Sha256::digest(canonical))
    }
}

pub fn parse_create(body: &[u8], limits: &Limits) -> Result<NewPause, ApiError> {
    let obj = parse_object(body)?;
    reject_unknown(&obj, FIELDS)?;

    let channel = match obj.get("channel") {
        None | Some(Value::Null) => Channel::Sms,
        Some(Value::String(s)) => Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid(
                    "channel",
                    format!("`{s}` is not a channel: use sms, email, slack or whatsapp."),
                )
            })?,
        Some(_) => {
            return Err(ApiError::invalid(
                "channel",
                "`channel` must be a string: sms, email, slack or whatsapp.",
            ))
        }
    };

    let recipient_raw = required_str(&obj, "recipient")?;
    let recipient =
        parse_recipient(channel, recipient_raw).map_err(|m| ApiError::invalid("recipient", m))?;

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

    Ok(NewPause {
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

/// A JSON object, or an error that says what is wrong with the body.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson(
            "The request body is empty: send a JSON object.".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".into(),
        )),
        Err(e) => Err(ApiError::InvalidJson(format!(
            "The request body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ))),
    }
}

/// Unknown fields are refused by name, with the likely intended one (catches typos).
pub fn reject_unknown(obj: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    let mut unknown: Vec<&String> = obj
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    unknown.sort();
    let Some(first) = unknown.first() else {
        return Ok(());
    };
    let hint = known
        .iter()
        .map(|k| (edit_distance(first, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| format!(" Did you mean `{k}`?"))
        .unwrap_or_default();
    Err(ApiError::UnknownParam {
        param: (*first).clone(),
        message: format!("Unknown parameter `{first}`.{hint}"),
    })
}

fn required_str<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Err(ApiError::missing(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(
            name,
            format!("`{name}` must be a string."),
        )),
    }
}

fn parse_recipient(channel: Channel, raw: &str) -> Result<String, String> {
    match channel {
        Channel::Sms => Ok(PhoneNumber::parse(raw)?.as_str().to_string()),
        Channel::Whatsapp => {
            let number = raw.trim().strip_prefix("whatsapp:").unwrap_or(raw);
            Ok(PhoneNumber::parse(number)?.as_str().to_string())
        }
        Channel::Email => parse_email(raw),
        Channel::Slack => parse_slack_target(raw),
    }
}

fn parse_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = || {
        format!(
            "`{}` is not an email address like name@example.com.",
            s.chars().take(60).collect::<String>()
        )
    };
    if s.len() > 254
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        return Err(bad());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || !domain.contains('.')
        || !labels_ok
    {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A Slack channel or user id (`C…`, `G…`, `U…`, `W…`), or `#channel-name`.
fn parse_slack_target(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let is_id = s.len() >= 9
        && s.len() <= 24
        && s.starts_with(['C', 'G', 'U', 'W', 'D'])
        && s.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let is_name = s.len() > 1
        && s.len() <= 81
        && s.starts_with('#')
        && s[1..]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
    if is_id || is_name {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a Slack channel or user: use an id such as C0123456789 or a name such as #approvals."))
    }
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

/// A JSON number that is a whole number, written `60` or `60.0` (JSON Schema's
/// `integer` accepts both), within i64.
pub fn whole_number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// `Idempotency-Key`: 1 to 255 printable ASCII characters.
pub fn parse_idempotency_key(raw: &str) -> Result<String, ApiError> {
    if raw.is_empty() || raw.len() > 255 || !raw.bytes().all(|c| (0x20..0x7f).contains(&c)) {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "`Idempotency-Key` must be 1 to 255 printable ASCII characters, e.g. a UUID.",
        ));
    }
    Ok(raw.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMITS: Limits = Limits {
        min_timeout_seconds: 60,
        max_timeout_seconds: MAX_TIMEOUT_SECONDS,
        allow_http_localhost: false,
    };

    fn parse(v: Value) -> Result<NewPause, ApiError> {
        parse_create(v.to_string().as_bytes(), &LIMITS)
    }

    fn seed() -> Value {
        json!({
            "recipient": "+1 (312) 847-1928",
            "message": "Wire $8,400 to Meridian?",
            "options": ["Approve", "Reject"],
            "timeout_hours": 4,
            "timeout_default": "Reject"
        })
    }

    fn err_param(v: Value) -> (String, String) {
        let e = parse(v).unwrap_err();
        (e.code().to_string(), e.param().unwrap_or("").to_string())
    }

    #[test]
    fn the_seed_request_parses() {
        let p = parse(seed()).unwrap();
        assert_eq!(p.recipient, "+13128471928");
        assert_eq!(p.channel, Channel::Sms);
        assert_eq!(p.timeout_seconds, 4 * 3600);
        assert_eq!(p.timeout_default.as_deref(), Some("Reject"));
        assert_eq!(p.options, ["Approve", "Reject"]);
    }

    #[test]
    fn every_field_is_checked() {
        let with = |k: &str, v: Value| {
            let mut s = seed();
            s[k] = v;
            s
        };
        let without = |k: &str| {
            let mut s = seed();
            s.as_object_mut().unwrap().remove(k);
            s
        };
        let cases = [
            (without("recipient"), "parameter_missing", "recipient"),
            (
                with("recipient", json!("312 847 1928")),
                "parameter_invalid",
                "recipient",
            ),
            (
                with("recipient", json!(13128471928u64)),
                "parameter_invalid",
                "recipient",
            ),
            (without("message"), "parameter_missing", "message"),
            (
                with("message", json!("   ")),
                "parameter_invalid",
                "message",
            ),
            (
                with("message", json!("x".repeat(1001))),
                "parameter_invalid",
                "message",
            ),
            (without("options"), "parameter_missing", "options"),
            (
                with("options", json!(["Only"])),
                "parameter_invalid",
                "options",
            ),
            (
                with("options", json!(["Yes", "yes"])),
                "parameter_invalid",
                "options",
            ),
            (
                with("options", json!(["Yes", ""])),
                "parameter_invalid",
                "options",
            ),
            (
                with("options", json!(["Yes", 3])),
                "parameter_invalid",
                "options",
            ),
            (
                with("options", json!("Yes,No")),
                "parameter_invalid",
                "options",
            ),
            (
                with("timeout_default", json!("Maybe")),
                "parameter_invalid",
                "timeout_default",
            ),
            (
                with("timeout_hours", json!(0)),
                "parameter_invalid",
                "timeout_hours",
            ),
            (
                with("timeout_hours", json!(24 * 31)),
                "parameter_invalid",
                "timeout_hours",
            ),
            (
                with("timeout_hours", json!("4")),
                "parameter_invalid",
                "timeout_hours",
            ),
            (
                with("timeout_seconds", json!(600)),
                "parameter_invalid",
                "timeout_seconds",
            ),
            (
                with("channel", json!("pigeon")),
                "parameter_invalid",
                "channel",
            ),
            (
                with("webhook_url", json!("http://example.com/hook")),
                "parameter_invalid",
                "webhook_url",
            ),
            (
                with("webhook_url", json!("https://user:pw@example.com/hook")),
                "parameter_invalid",
                "webhook_url",
            ),
            (
                with("metadata", json!([1, 2])),
                "parameter_invalid",
                "metadata",
            ),
            (
                with("timout_default", json!("Reject")),
                "parameter_unknown",
                "timout_default",
            ),
        ];
        for (body, code, param) in cases {
            assert_eq!(
                err_param(body.clone()),
                (code.into(), param.into()),
                "{body}"
            );
        }
    }

    #[test]
    fn page_hints_parse_and_are_checked() {
        let mut s = seed();
        s["context"] = json!("  Invoice INV-2207, due Friday.  ");
        s["danger"] = json!(["Approve"]);
        s["confirm_danger"] = json!(true);
        s["allow_comment"] = json!(true);
        let a = parse(s.clone()).unwrap().answer;
        assert_eq!(a.context.as_deref(), Some("Invoice INV-2207, due Friday."));
        assert_eq!(a.danger, ["Approve"]);
        assert!(a.confirm_danger && a.allow_comment);
        assert_eq!(parse(seed()).unwrap().answer, AnswerSettings::default());
        let with = |k: &str, v: Value| {
            let mut s = s.clone();
            s[k] = v;
            s
        };
        for (body, param) in [
            (
                with("context", json!("x".repeat(MAX_CONTEXT_CHARS + 1))),
                "context",
            ),
            (with("context", json!(5)), "context"),
            (with("danger", json!(["Delete"])), "danger"),
            (with("danger", json!("Approve")), "danger"),
            (with("danger", json!(["Approve", "Reject"])), "danger"),
            (with("danger", json!([])), "confirm_danger"),
            (with("confirm_danger", json!("yes")), "confirm_danger"),
            (with("allow_comment", json!(1)), "allow_comment"),
        ] {
            assert_eq!(err_param(body.clone()).1, param, "{body}");
        }
        s["context"] = json!("   ");
        assert_eq!(parse(s).unwrap().answer.context, None);
    }

    #[test]
    fn typos_get_a_suggestion() {
        let mut s = seed();
        s["timout_default"] = json!("Reject");
        assert!(parse(s)
            .unwrap_err()
            .message()
            .contains("Did you mean `timeout_default`?"));
    }

    #[test]
    fn body_shape_errors() {
        assert_eq!(
            parse_create(b"", &LIMITS).unwrap_err().code(),
            "invalid_json"
        );
        assert_eq!(
            parse_create(b"{\"recipient\":", &LIMITS)
                .unwrap_err()
                .code(),
            "invalid_json"
        );
        assert_eq!(
            parse_create(b"[1]", &LIMITS).unwrap_err().code(),
            "invalid_json"
        );
    }

    #[test]
    fn channels_normalise_their_recipients() {
        let mut s = seed();
        s["channel"] = json!("email");
        s["recipient"] = json!("Ops@Example.COM");
        assert_eq!(parse(s.clone()).unwrap().recipient, "Ops@example.com");
        s["recipient"] = json!("not-an-email");
        assert!(parse(s.clone()).is_err());
        s["channel"] = json!("slack");
        s["recipient"] = json!("C0123456789");
        assert_eq!(parse(s.clone()).unwrap().recipient, "C0123456789");
        s["channel"] = json!("whatsapp");
        s["recipient"] = json!("whatsapp:+44 7700 900123");
        assert_eq!(parse(s).unwrap().recipient, "+447700900123");
    }

    #[test]
    fn timeouts_default_and_convert() {
        let mut s = seed();
        s.as_object_mut().unwrap().remove("timeout_hours");
        assert_eq!(
            parse(s.clone()).unwrap().timeout_seconds,
            DEFAULT_TIMEOUT_SECONDS
        );
        s["timeout_seconds"] = json!(90);
        assert_eq!(parse(s.clone()).unwrap().timeout_seconds, 90);
        s["timeout_hours"] = json!(1);
        assert_eq!(err_param(s).1, "timeout_seconds");
    }

    #[test]
    fn fingerprints_ignore_formatting_but_not_meaning() {
        let a = parse(seed()).unwrap();
        let mut s = seed();
        s["recipient"] = json!("+13128471928");
        let b = parse_create(format!("  {}  ", s).as_bytes(), &LIMITS).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        s["message"] = json!("Wire $8,500 to Meridian?");
        assert_ne!(a.fingerprint(), parse(s).unwrap().fingerprint());
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_fraction_of_zero() {
        assert_eq!(whole_number(&json!(60)), Some(60));
        assert_eq!(whole_number(&json!(60.0)), Some(60));
        assert_eq!(whole_number(&json!(60.5)), None);
        assert_eq!(whole_number(&json!(1e300)), None);
        assert_eq!(whole_number(&json!("60")), None);
    }

    #[test]
    fn webhook_urls() {
        let local = Limits {
            allow_http_localhost: true,
            ..LIMITS
        };
        assert!(parse_webhook_url("https://hooks.example.com/p?x=1", &LIMITS).is_ok());
        assert!(parse_webhook_url("http://127.0.0.1:9000/hook", &LIMITS).is_err());
        assert!(parse_webhook_url("http://127.0.0.1:9000/hook", &local).is_ok());
        assert!(parse_webhook_url("http://localhost.evil.com/hook", &local).is_err());
        assert!(parse_webhook_url("ftp://example.com", &local).is_err());
        assert!(
            parse_webhook_url(&format!("https://e.com/{}", "a".repeat(2100)), &LIMITS).is_err()
        );
        // The create request names the field, whatever the reason (see webhook::target).
        for url in [
            "https://10.0.0.1/hook",
            "https://2130706433/",
            "https://[::ffff:169.254.169.254]/",
            "https://intranet/",
            "https://metadata.google.internal/",
        ] {
            let mut s = seed();
            s["webhook_url"] = json!(url);
            assert_eq!(
                err_param(s),
                ("parameter_invalid".into(), "webhook_url".into()),
                "{url}"
            );
        }
        let mut s = seed();
        s["webhook_url"] = json!("https://Hooks.Example.com");
        assert_eq!(
            parse(s).unwrap().webhook_url.as_deref(),
            Some("https://hooks.example.com/")
        );
    }
}
