//! What a send attempt came to, and how it is recorded on the pause.

use super::pause::{Delivery, DeliveryStatus};

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
                d.status = DeliveryStatus::Sent;
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
                d.status = DeliveryStatus::Failed;
                d.provider = Some(provider.clone());
                d.error_code = Some(code.clone());
                d.error_message = Some(message.clone());
            }
            DeliveryOutcome::Transient { provider, message } => {
                d.status = DeliveryStatus::Retrying;
                d.provider = Some(provider.clone());
                d.error_code = None;
                d.error_message = Some(message.clone());
            }
        }
    }
}

/// What to do before calling the provider, given the status the last attempt left.
#[derive(Debug, Clone, PartialEq)]
pub enum BeforeSend {
    /// Call the provider; with `mark_sending`, first record `sending` (committed
    /// before the call), so a crash during it is recognised on the next attempt.
    Send { mark_sending: bool },
    /// A previous attempt stopped mid-call and the provider is not safe to call
    /// twice: it may have gone out. Never risk a second message; this outcome is
    /// recorded instead (the provider's report can still correct it).
    GiveUp(DeliveryOutcome),
}

pub const OUTCOME_UNKNOWN: &str = "outcome_unknown";

/// The crash-during-send rule.
pub fn before_send(status: DeliveryStatus, safe_to_repeat: bool, provider: &str) -> BeforeSend {
    if safe_to_repeat {
        BeforeSend::Send {
            mark_sending: false,
        }
    } else if status == DeliveryStatus::Sending {
        BeforeSend::GiveUp(DeliveryOutcome::Permanent {
            provider: provider.into(),
            code: OUTCOME_UNKNOWN.into(),
            message: "Delivery was interrupted while the provider was being called and was not repeated, to avoid a duplicate message.".into(),
        })
    } else {
        BeforeSend::Send { mark_sending: true }
    }
}

/// How far along a message is, as providers report it afterwards (Twilio's
/// `MessageStatus`). Callbacks can arrive out of order: a later report never moves a
/// message back (`sent` after `delivered` is ignored).
fn rank(status: DeliveryStatus) -> u8 {
    match status {
        DeliveryStatus::Sent => 1,
        DeliveryStatus::Delivered => 2,
        DeliveryStatus::Read => 3,
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
    use DeliveryStatus::{Delivered, Failed, Read, Sent};
    let new = match provider_status {
        "failed" | "undelivered" => Failed,
        "delivered" => Delivered,
        "read" => Read,
        // accepted, queued, sending, sent: handed over, nothing new to record.
        "accepted" | "queued" | "sending" | "sent" => Sent,
        _ => return false,
    };
    let moves = if new == Failed {
        rank(d.status) < rank(Delivered) && d.status != Failed
    } else {
        rank(new) > rank(d.status)
    };
    if !moves {
        return false;
    }
    d.status = new;
    d.updated_at = Some(now);
    if new == Failed {
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
            status: DeliveryStatus::Queued,
            ..Default::default()
        };
        DeliveryOutcome::Transient {
            provider: "twilio".into(),
            message: "503".into(),
        }
        .apply(&mut d, 5);
        assert_eq!((d.status, d.attempts), (DeliveryStatus::Retrying, 1));
        DeliveryOutcome::Permanent {
            provider: "twilio".into(),
            code: "21211".into(),
            message: "invalid".into(),
        }
        .apply(&mut d, 6);
        assert_eq!(
            (d.status, d.attempts, d.error_code.as_deref()),
            (DeliveryStatus::Failed, 2, Some("21211"))
        );
        DeliveryOutcome::Sent {
            provider: "local_outbox".into(),
            message_id: None,
            conversation: None,
        }
        .apply(&mut d, 7);
        assert_eq!(
            (d.status, d.error_code.clone()),
            (DeliveryStatus::Sent, None)
        );
    }

    #[test]
    fn status_reports_only_move_forward() {
        let mut d = Delivery {
            status: DeliveryStatus::Sent,
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
        assert_eq!(d.status, DeliveryStatus::Delivered);
        let mut f = Delivery {
            status: DeliveryStatus::Sent,
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
            (f.status, f.error_code.as_deref()),
            (DeliveryStatus::Failed, Some("30003"))
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

    #[test]
    fn a_send_interrupted_mid_call_is_not_repeated() {
        // Not safe to repeat (SMS, Slack): mark `sending` first...
        assert_eq!(
            before_send(DeliveryStatus::Queued, false, "twilio"),
            BeforeSend::Send { mark_sending: true }
        );
        assert_eq!(
            before_send(DeliveryStatus::Retrying, false, "twilio"),
            BeforeSend::Send { mark_sending: true }
        );
        // ...and a later attempt that finds `sending` gives up with outcome_unknown.
        let BeforeSend::GiveUp(out) = before_send(DeliveryStatus::Sending, false, "twilio") else {
            panic!("a crashed send must not be repeated");
        };
        assert!(!out.is_transient());
        let mut d = Delivery {
            status: DeliveryStatus::Sending,
            ..Default::default()
        };
        out.apply(&mut d, 9);
        assert_eq!(
            (d.status, d.error_code.as_deref(), d.provider.as_deref()),
            (
                DeliveryStatus::Failed,
                Some(OUTCOME_UNKNOWN),
                Some("twilio")
            )
        );
        // Safe to repeat (email with an idempotency key, the local outbox): just send.
        for s in DeliveryStatus::ALL {
            assert_eq!(
                before_send(s, true, "email"),
                BeforeSend::Send {
                    mark_sending: false
                }
            );
        }
    }
}
