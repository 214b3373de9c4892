//! What a send attempt came to, and how it is recorded on the pause.

use super::pause::Delivery;

#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// Handed to the provider (or the local outbox).
    Sent { provider: String },
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
            DeliveryOutcome::Sent { provider } => {
                d.status = "sent".into();
                d.provider = Some(provider.clone());
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
        }
        .apply(&mut d, 7);
        assert_eq!((d.status.as_str(), d.error_code.clone()), ("sent", None));
    }
}
