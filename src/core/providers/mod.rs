//! The providers' wire formats, pure: request bodies, signatures of their callbacks,
//! and the classification of their answers into `DeliveryOutcome`s.
pub mod email;
pub mod slack;
pub mod twilio;

use super::delivery::DeliveryOutcome;
use super::pause::Channel;

/// The provider that carries a channel.
pub fn provider_of(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms | Channel::Whatsapp => twilio::PROVIDER,
        Channel::Email => email::PROVIDER,
        Channel::Slack => slack::PROVIDER,
    }
}

/// A live pause on a channel with no provider set up, outside local mode: a
/// permanent failure that says what to set (locally it goes to the outbox instead).
pub fn not_configured(channel: Channel) -> DeliveryOutcome {
    let settings = match channel {
        Channel::Sms => "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID)",
        Channel::Whatsapp => "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM",
        Channel::Email => "RESEND_API_KEY and EMAIL_FROM",
        Channel::Slack => "SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET for the buttons)",
    };
    DeliveryOutcome::Permanent {
        provider: provider_of(channel).into(),
        code: "channel_not_configured".into(),
        message: format!(
            "The {} channel is not configured on this deployment: set {settings}, then create the pause again.",
            channel.as_str()
        ),
    }
}

/// `application/x-www-form-urlencoded`, in the given order.
pub fn form(params: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Is an HTTP status worth retrying (rate limited, timeouts, server errors)?
pub fn transient_http(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// A provider's error answer: retried when the status is transient, recorded as a
/// permanent failure with the provider's code otherwise.
pub fn http_failure(provider: &str, status: u16, code: String, message: String) -> DeliveryOutcome {
    if transient_http(status) {
        DeliveryOutcome::Transient {
            provider: provider.into(),
            message: format!("{code}: {message}"),
        }
    } else {
        DeliveryOutcome::Permanent {
            provider: provider.into(),
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encodes_like_browsers_do() {
        assert_eq!(
            form(&[("To", "+13128471928"), ("Body", "Pay €5? a&b=c\nok")]),
            "To=%2B13128471928&Body=Pay+%E2%82%AC5%3F+a%26b%3Dc%0Aok"
        );
    }

    #[test]
    fn failures_split_by_status() {
        assert!(http_failure("x", 503, "c".into(), "m".into()).is_transient());
        assert_eq!(
            http_failure("x", 400, "21211".into(), "m".into()),
            DeliveryOutcome::Permanent {
                provider: "x".into(),
                code: "21211".into(),
                message: "m".into()
            }
        );
    }

    #[test]
    fn an_unconfigured_channel_is_a_permanent_failure_naming_its_settings() {
        for (c, provider, setting) in [
            (Channel::Sms, "twilio", "TWILIO_FROM"),
            (Channel::Whatsapp, "twilio", "TWILIO_WHATSAPP_FROM"),
            (Channel::Email, "resend", "RESEND_API_KEY"),
            (Channel::Slack, "slack", "SLACK_BOT_TOKEN"),
        ] {
            let DeliveryOutcome::Permanent {
                provider: p,
                code,
                message,
            } = not_configured(c)
            else {
                panic!("{c:?} must be permanent");
            };
            assert_eq!(
                (p.as_str(), code.as_str()),
                (provider, "channel_not_configured")
            );
            assert!(
                message.contains(setting) && message.contains(c.as_str()),
                "{message}"
            );
        }
    }

    #[test]
    fn which_statuses_retry() {
        assert!(transient_http(503) && transient_http(429) && transient_http(500));
        assert!(!transient_http(400) && !transient_http(401) && !transient_http(404));
    }
}
