//! What a send attempt came to, and how it is recorded on the pause.

use super::pause::Delivery;

#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// Handed to the provider (or the local outbox).
    Sent {
        provider: String,
        /// The provider's id of the message (Twilio `sid`, Slack `ts`, email id).
        message_id: Option<String>,
        /// Where it landed when the provider picks it (Slack's channel id).
        conversation: Option<String>,
    },
    /// Will never succeed as asked (invalid number, opted out...): recorded, not retried.
    Permanent {
        provider: String,
        code: String,
        message: String,
    },
    /// Might succeed later (5xx, 429, network): retried with back-off.
    Transient { provider: String, message: String },
}

impl DeliveryOutcome {
    pub fn is_transient(&self) -> bool {
        matches!(self, DeliveryOutcome::Transient { .. })
    }

    pub fn apply(&self, d: &mut Delivery, now: i64) {
        d.attempts += 1;
        d.updated_at = Some(now);
        match self {
            DeliveryOutcome::Sent {
                provider,
                message_id,
                conversation,
            } => {
                d.status = "sent".into();
                d.provider = Some(provider.clone());
                d.message_id = message_id.clone();
                d.conversation = conversation.clone();
                d.error_code = None;
                d.error_message = None;
            }
            DeliveryOutcome::Permanent {
                provider,
                code,
                message,
            } => {
                d.status = "failed".into();
                d.provider = Some(provider.clone());
                d.error_code = Some(code.clone());
                d.error_message = Some(message.clone());
            }
            DeliveryOutcome::Transient { provider, message } => {
                d.status = "retrying".into();
                d.provider = Some(provider.clone());
                d.error_code = None;
                d.error_message = Some(message.clone());
            }
        }
    }
}

/// How far along a message is, as providers report it afterwards (Twilio's
/// `MessageStatus`). Callbacks can arrive out of order: a later report never moves a
/// message back (`sent` after `delivered` is ignored).
fn rank(status: &str) -> u8 {
    match status {
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        _ => 0,
    }
}

/// Applies a provider's status report; returns whether anything changed.
pub fn apply_status_report(
    d: &mut Delivery,
    provider_status: &str,
    error_code: Option<&str>,
    error_message: Option<String>,
    now: i64,
) -> bool {
    let new = match provider_status {
        "failed" | "undelivered" => "failed",
        "delivered" => "delivered",
        "read" => "read",
        // accepted, queued, sending, sent: handed over, nothing new to record.
        "accepted" | "queued" | "sending" | "sent" => "sent",
        _ => return false,
    };
    let moves = if new == "failed" {
        rank(&d.status) < rank("delivered") && d.status != "failed"
    } else {
        rank(new) > rank(&d.status)
    };
    if !moves {
        return false;
    }
    d.status = new.into();
    d.updated_at = Some(now);
    if new == "failed" {
        d.error_code = error_code.map(str::to_string);
        d.error_message = error_message;
    } else {
        d.error_code = None;
        d.error_message = None;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_recorded() {
        let mut d = Delivery {
            status: "queued".into(),
            ..Default::default()
        };
        DeliveryOutcome::Transient {
            provider: "twilio".into(),
            message: "503".into(),
        }
        .apply(&mut d, 5);
        assert_eq!((d.status.as_str(), d.attempts), ("retrying", 1));
        DeliveryOutcome::Permanent {
            provider: "twilio".into(),
            code: "21211".into(),
            message: "invalid".into(),
        }
        .apply(&mut d, 6);
        assert_eq!(
            (d.status.as_str(), d.attempts, d.error_code.as_deref()),
            ("failed", 2, Some("21211"))
        );
        DeliveryOutcome::Sent {
            provider: "local_outbox".into(),
            message_id: None,
            conversation: None,
        }
        .apply(&mut d, 7);
        assert_eq!((d.status.as_str(), d.error_code.clone()), ("sent", None));
    }

    #[test]
    fn status_reports_only_move_forward() {
        let mut d = Delivery {
            status: "sent".into(),
            ..Default::default()
        };
        assert!(!apply_status_report(&mut d, "queued", None, None, 1));
        assert!(apply_status_report(&mut d, "delivered", None, None, 2));
        assert!(!apply_status_report(&mut d, "sent", None, None, 3));
        assert!(!apply_status_report(
            &mut d,
            "failed",
            Some("30003"),
            None,
            4
        ));
        assert_eq!(d.status, "delivered");
        let mut f = Delivery {
            status: "sent".into(),
            ..Default::default()
        };
        assert!(apply_status_report(
            &mut f,
            "undelivered",
            Some("30003"),
            Some("unreachable".into()),
            5
        ));
        assert_eq!(
            (f.status.as_str(), f.error_code.as_deref()),
            ("failed", Some("30003"))
        );
        assert!(!apply_status_report(
            &mut f,
            "failed",
            Some("30003"),
            None,
            6
        ));
        assert!(!apply_status_report(&mut f, "bogus", None, None, 7));
    }
}
