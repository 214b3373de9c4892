//! Email through an HTTP API in Resend's wire format: a mobile-friendly HTML part
//! and a plain-text part, one button per option. Each button opens the response page
//! with the choice preselected (`?c=N`); the page still asks for a POST to confirm,
//! so mail scanners that follow links never answer for the person.

use serde::Deserialize;
use serde_json::{json, Value};

use super::http_failure;
use crate::core::delivery::DeliveryOutcome;
use crate::core::page_html::escape;

pub const PROVIDER: &str = "resend";

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

/// `POST /emails`.
pub fn send_body(
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
    })
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
}
