//! Unit tests of `parse_create` (the fuzzing is in tests/fuzz_parsers.rs).

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
    assert!(parse_webhook_url(&format!("https://e.com/{}", "a".repeat(2100)), &LIMITS).is_err());
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
