//! Twilio's Messages API (SMS and WhatsApp) and its status callbacks.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;

use super::{form, http_failure};
use crate::core::delivery::DeliveryOutcome;
use crate::core::keys::secrets_equal;

pub const PROVIDER: &str = "twilio";

/// Who the message comes from: a number (or `whatsapp:` address), or a Messaging Service.
#[derive(Debug, Clone, PartialEq)]
pub enum Sender {
    From(String),
    MessagingService(String),
}

/// What the message carries: a free-form body, or an approved WhatsApp template
/// (required outside the 24-hour session window).
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Body(String),
    Template { sid: String, variables: String },
}

/// The form body of `POST /2010-04-01/Accounts/{sid}/Messages.json`.
pub fn message_form(to: &str, sender: &Sender, content: &Content, status_callback: &str) -> String {
    let mut p: Vec<(&str, &str)> = vec![("To", to)];
    match sender {
        Sender::From(f) => p.push(("From", f)),
        Sender::MessagingService(s) => p.push(("MessagingServiceSid", s)),
    }
    match content {
        Content::Body(b) => p.push(("Body", b)),
        Content::Template { sid, variables } => {
            p.push(("ContentSid", sid));
            p.push(("ContentVariables", variables));
        }
    }
    p.push(("StatusCallback", status_callback));
    form(&p)
}

/// WhatsApp addresses are the number with a `whatsapp:` prefix.
pub fn whatsapp(addr: &str) -> String {
    if addr.starts_with("whatsapp:") {
        addr.to_string()
    } else {
        format!("whatsapp:{addr}")
    }
}

/// The template's variables: 1 = who asks, 2 = the question, 3 = the link.
pub fn template_variables(requester: &str, message: &str, link: &str) -> String {
    serde_json::json!({ "1": requester, "2": message, "3": link }).to_string()
}

/// `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the auth token, of the full URL
/// followed by every POST parameter's name and value, sorted by name.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    secrets_equal(&signature(auth_token, url, params), header)
}

#[derive(Deserialize)]
struct Created {
    sid: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

/// A clearer sentence for the codes people run into.
pub fn explain(code: &str) -> Option<&'static str> {
    Some(match code {
        "21211" => "The recipient is not a valid phone number.",
        "21610" => "The recipient has opted out of messages from this sender (replied STOP).",
        "21408" => "Sending to this region is not enabled on the Twilio account.",
        "21614" => "The recipient's number cannot receive SMS.",
        "63016" => "WhatsApp: outside the 24-hour session window only an approved template may be sent; configure TWILIO_WHATSAPP_CONTENT_SID.",
        "30007" => "The carrier filtered the message.",
        "30003" => "The recipient's handset is unreachable.",
        "30005" => "The recipient's number is unknown or no longer exists.",
        "30006" => "The recipient's number is a landline or unreachable carrier.",
        _ => return None,
    })
}

/// Twilio answers 201 with the message, or an error body
/// `{"code":21211,"message":"...","more_info":"...","status":400}`.
pub fn classify(status: u16, body: &str) -> DeliveryOutcome {
    if (200..300).contains(&status) {
        let sid = serde_json::from_str::<Created>(body)
            .ok()
            .and_then(|c| c.sid);
        return DeliveryOutcome::Sent {
            provider: PROVIDER.into(),
            message_id: sid,
            conversation: None,
        };
    }
    let err = serde_json::from_str::<ErrorBody>(body).ok();
    let code = err
        .as_ref()
        .and_then(|e| e.code)
        .map(|c| c.to_string())
        .unwrap_or_else(|| format!("http_{status}"));
    let their = err.and_then(|e| e.message).unwrap_or_default();
    let message = match explain(&code) {
        Some(ours) if their.is_empty() => ours.to_string(),
        Some(ours) => format!("{ours} (Twilio: {their})"),
        None if their.is_empty() => format!("Twilio answered HTTP {status}."),
        None => their,
    };
    http_failure(PROVIDER, status, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn signature_matches_twilios_published_example() {
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature("12345", url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        // Order of the POST parameters does not matter; their values do.
        let mut shuffled = params.clone();
        shuffled.reverse();
        assert!(verify(
            "12345",
            url,
            &shuffled,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        let mut tampered = params.clone();
        tampered[2].1 = "9999".into();
        assert!(!verify(
            "12345",
            url,
            &tampered,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify(
            "54321",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }

    #[test]
    fn message_form_has_the_fields_twilio_requires() {
        let f = message_form(
            "+13128471928",
            &Sender::From("+15005550006".into()),
            &Content::Body("Acme: Pay?\nhttps://x/r/abc".into()),
            "https://x/callbacks/twilio/status?pause_id=pause_1",
        );
        assert_eq!(f, "To=%2B13128471928&From=%2B15005550006&Body=Acme%3A+Pay%3F%0Ahttps%3A%2F%2Fx%2Fr%2Fabc&StatusCallback=https%3A%2F%2Fx%2Fcallbacks%2Ftwilio%2Fstatus%3Fpause_id%3Dpause_1");
        let t = message_form(
            &whatsapp("+13128471928"),
            &Sender::MessagingService("MG1".into()),
            &Content::Template {
                sid: "HX1".into(),
                variables: template_variables("Acme", "Pay?", "https://x/r/a"),
            },
            "https://x/cb",
        );
        assert!(t.starts_with(
            "To=whatsapp%3A%2B13128471928&MessagingServiceSid=MG1&ContentSid=HX1&ContentVariables="
        ));
        assert_eq!(whatsapp("whatsapp:+1"), "whatsapp:+1");
    }

    #[test]
    fn answers_are_classified_by_code_and_status() {
        assert_eq!(
            classify(201, r#"{"sid":"SM123","status":"queued"}"#),
            DeliveryOutcome::Sent {
                provider: "twilio".into(),
                message_id: Some("SM123".into()),
                conversation: None
            }
        );
        for code in ["21211", "21610", "21408", "63016"] {
            let body = format!(
                r#"{{"code":{code},"message":"theirs","more_info":"https://www.twilio.com/docs/errors/{code}","status":400}}"#
            );
            match classify(400, &body) {
                DeliveryOutcome::Permanent {
                    code: c, message, ..
                } => {
                    assert_eq!(c, code);
                    assert!(
                        message.contains("theirs") && message.len() > 20,
                        "{message}"
                    );
                }
                o => panic!("{code}: {o:?}"),
            }
        }
        assert!(classify(503, "upstream down").is_transient());
        assert!(classify(
            429,
            r#"{"code":20429,"message":"Too Many Requests","status":429}"#
        )
        .is_transient());
        assert!(
            matches!(classify(401, r#"{"code":20003,"message":"Authenticate","status":401}"#),
            DeliveryOutcome::Permanent { code, .. } if code == "20003")
        );
    }
}
