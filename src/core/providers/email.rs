//! Email through an HTTP API in Resend's wire format: a mobile-friendly HTML part
//! and a plain-text part, one button per option. Each button opens the response page
//! with the choice preselected (`?c=N`); the page still asks for a POST to confirm,
//! so mail scanners that follow links never answer for the person.

use serde::Deserialize;
use serde_json::{json, Value};

use super::http_failure;
use crate::core::delivery::DeliveryOutcome;
use crate::core::keys::secrets_equal;
use crate::core::page_html::escape;
use crate::core::webhook::sign::{secret_key, sign};

pub const PROVIDER: &str = "resend";
/// The tag each send carries; the provider's events echo it back, which is how an
/// account-wide event finds its pause (no mapping to store).
pub const PAUSE_TAG: &str = "pause_id";
/// Events older or newer than this are refused (Standard Webhooks' tolerance).
pub const MAX_AGE_SECONDS: i64 = 300;

pub fn choice_link(link: &str, index: usize) -> String {
    format!("{link}?c={index}")
}

pub fn subject(requester: &str, message: &str) -> String {
    let mut q: String = message.chars().take(60).collect();
    if q.len() < message.len() {
        q.push('…');
    }
    format!("{requester} asks: {q}").replace(['\r', '\n'], " ")
}

pub fn text(requester: &str, message: &str, options: &[String], link: &str) -> String {
    let mut t = format!("{requester} asks:\n\n{message}\n\n");
    for (i, o) in options.iter().enumerate() {
        t.push_str(&format!("{o}: {}\n", choice_link(link, i)));
    }
    t.push_str(&format!("\nOr open the request: {link}\n"));
    t
}

/// Table layout and inline styles: what mail clients render reliably.
pub fn html(requester: &str, message: &str, options: &[String], link: &str) -> String {
    let buttons: String = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let (bg, fg) = if i == 0 { ("#1f5fd6", "#ffffff") } else { ("#ffffff", "#1f5fd6") };
            format!(
                "<tr><td style=\"padding:6px 0\"><a href=\"{}\" style=\"display:block;padding:14px 16px;border:2px solid #1f5fd6;border-radius:10px;background:{bg};color:{fg};font-weight:600;text-align:center;text-decoration:none;font-size:17px\">{}</a></td></tr>",
                escape(&choice_link(link, i)),
                escape(o)
            )
        })
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title></head><body style=\"margin:0;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#16181d\"><table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:20px 12px\"><table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:480px;background:#ffffff;border-radius:14px;padding:20px\"><tr><td style=\"color:#555;font-size:14px;padding-bottom:8px\">{who} asks:</td></tr><tr><td style=\"font-size:20px;font-weight:600;padding-bottom:14px;white-space:pre-wrap\">{q}</td></tr>{buttons}<tr><td style=\"color:#555;font-size:13px;padding-top:14px\">You will be asked to confirm. <a href=\"{l}\" style=\"color:#1f5fd6\">Open the request</a></td></tr></table></td></tr></table></body></html>",
        title = escape(&subject(requester, message)),
        who = escape(requester),
        q = escape(message),
        l = escape(link),
    )
}

/// `POST /emails`, tagged with the pause (ids are `pause_` + hex: tag-safe).
#[allow(clippy::too_many_arguments)]
pub fn send_body(
    pause_id: &str,
    from: &str,
    to: &str,
    requester: &str,
    message: &str,
    options: &[String],
    link: &str,
) -> Value {
    json!({
        "from": from,
        "to": [to],
        "subject": subject(requester, message),
        "html": html(requester, message, options, link),
        "text": text(requester, message, options, link),
        "tags": [{ "name": PAUSE_TAG, "value": pause_id }],
    })
}

/// Verifies a provider event signed the Standard Webhooks way (Resend signs with
/// Svix): `signatures` holds one or more space-separated `v1,<base64>`; any one
/// matching the `whsec_` secret over `"{id}.{timestamp}.{body}"` will do.
pub fn verify_event(
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    body: &[u8],
    signatures: &str,
    now_seconds: i64,
) -> bool {
    let (Some(key), Ok(ts), Ok(body)) = (
        secret_key(secret),
        timestamp.parse::<i64>(),
        std::str::from_utf8(body),
    ) else {
        return false;
    };
    // The timestamp signed is the one sent: "0123" is not "123".
    if ts.to_string() != timestamp || now_seconds.abs_diff(ts) > MAX_AGE_SECONDS.unsigned_abs() {
        return false;
    }
    let expected = sign(&key, msg_id, ts, body);
    signatures
        .split(' ')
        .fold(false, |ok, s| secrets_equal(&expected, s) | ok)
}

/// What an email event means for the delivery it reports on.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// The receiving server refused it after the API accepted it: failed for good.
    Bounced {
        message: Option<String>,
    },
    Delivered,
    /// Anything else (sent, opened, clicked, delivery_delayed, complained: a complaint
    /// means it reached the inbox, so it is no delivery failure): acknowledged, ignored.
    Other,
}

/// The parts of an email event we act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub email_id: String,
    /// The `pause_id` tag echoed back; `None` for mail that is not ours.
    pub pause_id: Option<String>,
}

/// Reads `{"type":"email.bounced","data":{"email_id":..,"tags":..,"bounce":{..}}}`.
/// Tags come as an object (`{"pause_id":"pause_.."}`) or as `[{name, value}]`.
/// `None` when the body is not such an event.
pub fn parse_event(body: &[u8]) -> Option<Event> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let data = v.get("data")?;
    let email_id = data.get("email_id")?.as_str()?.to_string();
    let kind = match v.get("type")?.as_str()? {
        "email.bounced" => EventKind::Bounced {
            message: data["bounce"]["message"].as_str().map(str::to_string),
        },
        "email.delivered" => EventKind::Delivered,
        _ => EventKind::Other,
    };
    let tags = &data["tags"];
    let pause_id = tags[PAUSE_TAG].as_str().or_else(|| {
        tags.as_array()?
            .iter()
            .find(|t| t["name"].as_str() == Some(PAUSE_TAG))?["value"]
            .as_str()
    });
    Some(Event {
        kind,
        email_id,
        pause_id: pause_id.map(str::to_string),
    })
}

/// A delivery report as the pause object takes it: status, error code and message.
pub fn report(kind: &EventKind) -> Option<(&'static str, Option<String>, Option<String>)> {
    match kind {
        EventKind::Bounced { message } => Some((
            "failed",
            Some("bounced".into()),
            Some(
                message
                    .as_deref()
                    .map(|m| format!("The email bounced: {m}"))
                    .unwrap_or_else(|| "The email bounced.".into()),
            ),
        )),
        EventKind::Delivered => Some(("delivered", None, None)),
        EventKind::Other => None,
    }
}

#[derive(Deserialize)]
struct Sent {
    id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    name: Option<String>,
    message: Option<String>,
}

/// Resend answers 200 `{"id":...}` or `{"statusCode":422,"name":"validation_error","message":...}`.
pub fn classify(status: u16, body: &str) -> DeliveryOutcome {
    if (200..300).contains(&status) {
        return DeliveryOutcome::Sent {
            provider: PROVIDER.into(),
            message_id: serde_json::from_str::<Sent>(body).ok().and_then(|s| s.id),
            conversation: None,
        };
    }
    let err = serde_json::from_str::<ErrorBody>(body).ok();
    let code = err
        .as_ref()
        .and_then(|e| e.name.clone())
        .unwrap_or_else(|| format!("http_{status}"));
    let message = err
        .and_then(|e| e.message)
        .unwrap_or_else(|| format!("The email API answered HTTP {status}."));
    http_failure(PROVIDER, status, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Vec<String> {
        vec!["Approve".into(), "Reject <all>".into()]
    }

    #[test]
    fn one_button_per_option_each_preselecting_its_choice() {
        let h = html("Acme", "Pay \"now\"?", &opts(), "https://x/r/tok");
        assert_eq!(h.matches("<a href=\"https://x/r/tok?c=").count(), 2);
        assert!(h.contains("https://x/r/tok?c=1") && h.contains("Reject &lt;all&gt;"));
        assert!(h.contains("Pay &quot;now&quot;?") && h.contains("width=device-width"));
        let t = text("Acme", "Pay?", &opts(), "https://x/r/tok");
        assert!(
            t.contains("Approve: https://x/r/tok?c=0\n")
                && t.contains("Reject <all>: https://x/r/tok?c=1\n")
        );
    }

    #[test]
    fn body_has_resends_fields() {
        let b = send_body(
            "pause_00ff",
            "PausePoint <ask@x.dev>",
            "ada@example.com",
            "Acme",
            "Pay?",
            &opts(),
            "https://x/r/t",
        );
        assert_eq!(b["to"][0], "ada@example.com");
        assert_eq!(b["subject"], "Acme asks: Pay?");
        assert!(b["html"].is_string() && b["text"].is_string());
        assert_eq!(b["tags"][0]["name"], "pause_id");
        assert_eq!(b["tags"][0]["value"], "pause_00ff");
        assert_eq!(
            subject("A", &"x\ny".repeat(40)).chars().count(),
            "A asks: ".len() + 61
        );
    }

    #[test]
    fn answers_are_classified() {
        assert!(
            matches!(classify(200, r#"{"id":"em_1"}"#), DeliveryOutcome::Sent { message_id: Some(id), .. } if id == "em_1")
        );
        assert!(
            matches!(classify(422, r#"{"statusCode":422,"name":"validation_error","message":"Invalid `to` field."}"#),
            DeliveryOutcome::Permanent { code, message, .. } if code == "validation_error" && message.contains("`to`"))
        );
        assert!(classify(
            429,
            r#"{"statusCode":429,"name":"rate_limit_exceeded","message":"slow"}"#
        )
        .is_transient());
        assert!(classify(500, "").is_transient());
    }

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn signed(body: &str, ts: i64) -> String {
        sign(&secret_key(SECRET).unwrap(), "msg_1", ts, body)
    }

    #[test]
    fn events_are_verified_like_standard_webhooks() {
        let body = r#"{"type":"email.bounced"}"#;
        let sig = signed(body, 1000);
        assert!(verify_event(
            SECRET,
            "msg_1",
            "1000",
            body.as_bytes(),
            &sig,
            1100
        ));
        // Any one of several signatures (the provider rotating its secret).
        let two = format!("v1,AAAA {sig}");
        assert!(verify_event(
            SECRET,
            "msg_1",
            "1000",
            body.as_bytes(),
            &two,
            1000
        ));
        // Another id, body, secret, a stale or reformatted timestamp: refused.
        assert!(!verify_event(
            SECRET,
            "msg_2",
            "1000",
            body.as_bytes(),
            &sig,
            1000
        ));
        assert!(!verify_event(SECRET, "msg_1", "1000", b"{}", &sig, 1000));
        let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert!(!verify_event(
            other,
            "msg_1",
            "1000",
            body.as_bytes(),
            &sig,
            1000
        ));
        assert!(!verify_event(
            SECRET,
            "msg_1",
            "1000",
            body.as_bytes(),
            &sig,
            1301
        ));
        assert!(!verify_event(
            SECRET,
            "msg_1",
            "01000",
            body.as_bytes(),
            &sig,
            1000
        ));
        assert!(!verify_event(
            "not-a-secret",
            "msg_1",
            "1000",
            body.as_bytes(),
            &sig,
            1000
        ));
        assert!(!verify_event(
            SECRET,
            "msg_1",
            "1000",
            body.as_bytes(),
            "",
            1000
        ));
    }

    #[test]
    fn a_bounce_names_its_email_and_pause() {
        let e = parse_event(br#"{"type":"email.bounced","created_at":"2026-01-01T00:00:00Z","data":{"email_id":"em_1","to":["a@x"],"bounce":{"message":"No such user","type":"Permanent"},"tags":{"pause_id":"pause_0a"}}}"#).unwrap();
        assert_eq!(e.email_id, "em_1");
        assert_eq!(e.pause_id.as_deref(), Some("pause_0a"));
        let (status, code, msg) = report(&e.kind).unwrap();
        assert_eq!((status, code.as_deref()), ("failed", Some("bounced")));
        assert_eq!(msg.unwrap(), "The email bounced: No such user");
        // Tags as a list; delivered; complained and others are ignored.
        let d = parse_event(br#"{"type":"email.delivered","data":{"email_id":"em_2","tags":[{"name":"x","value":"y"},{"name":"pause_id","value":"pause_0b"}]}}"#).unwrap();
        assert_eq!(
            (d.kind.clone(), d.pause_id.as_deref()),
            (EventKind::Delivered, Some("pause_0b"))
        );
        assert_eq!(report(&d.kind).unwrap().0, "delivered");
        let c = parse_event(br#"{"type":"email.complained","data":{"email_id":"em_3"}}"#).unwrap();
        assert_eq!((c.kind.clone(), c.pause_id), (EventKind::Other, None));
        assert_eq!(report(&c.kind), None);
        // Not an event at all.
        for bad in [
            &b"{}"[..],
            b"[]",
            b"null",
            br#"{"type":1,"data":{"email_id":"e"}}"#,
            br#"{"type":"email.bounced","data":{}}"#,
            b"\xff",
        ] {
            assert_eq!(parse_event(bad), None);
        }
    }
}
