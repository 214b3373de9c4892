//! The effect runners: each acts on the pause's current state (it may have changed
//! while the effect waited) and either succeeds, or fails to be retried.

use super::PauseObject;
use crate::channels;
use crate::core::audit::AuditKind;
use crate::core::delivery::{before_send, BeforeSend, DeliveryOutcome};
use crate::core::error::ApiError;
use crate::core::outbox::{effects_of, Effect};
use crate::core::pause::{DeliveryStatus, Pause, Status};
use crate::core::webhook::event::EventType;
use crate::http::{internal, now_ms};
use crate::webhook::producer;

impl PauseObject {
    pub(super) async fn run(&self, effect: Effect) -> Result<(), ApiError> {
        let Some(p) = self.load()? else { return Ok(()) };
        match effect {
            Effect::Index | Effect::Audit { .. } => self.write_batch(&[&effect]).await,
            // A pause answered or cancelled before its message left needs no message.
            Effect::Deliver { .. } if p.status != Status::Pending => Ok(()),
            Effect::Deliver { .. } => self.deliver(p).await,
            Effect::Webhook { event } => producer::emit(&self.env, &p, event).await,
        }
    }

    /// Sends the question, records the outcome (and its audit event), and fails if
    /// the outcome is worth retrying.
    async fn deliver(&self, p: Pause) -> Result<(), ApiError> {
        let route = channels::route(&self.env, &p);
        let outcome = match before_send(p.delivery.status, route.safe_to_repeat(), route.provider())
        {
            BeforeSend::GiveUp(outcome) => outcome,
            BeforeSend::Send { mark_sending } => {
                if mark_sending {
                    let mut marked = p.clone();
                    marked.delivery.status = DeliveryStatus::Sending;
                    self.commit(&mut marked, &[])?;
                }
                channels::deliver(&self.env, &p, &route).await
            }
        };
        let Some(mut p) = self.load()? else {
            return Ok(());
        };
        let retry = outcome.is_transient();
        let failed = matches!(outcome, DeliveryOutcome::Permanent { .. });
        outcome.apply(&mut p.delivery, now_ms());
        p.version += 1;
        let (kind, ctx) = delivery_event(&outcome, &p);
        self.audit(&p, "system", kind, &ctx)?;
        if failed {
            let effects = effects_of(p.webhook_url.is_some(), EventType::DeliveryFailed);
            self.commit(&mut p, &effects)?;
        } else {
            self.commit(&mut p, &[Effect::Index])?;
        }
        if retry {
            Err(internal("transient delivery failure"))
        } else {
            Ok(())
        }
    }
}

fn delivery_event(outcome: &DeliveryOutcome, p: &Pause) -> (AuditKind, serde_json::Value) {
    let base = |provider: &str| {
        serde_json::json!({
            "channel": p.channel.as_str(), "provider": provider, "attempt": p.delivery.attempts,
        })
    };
    match outcome {
        DeliveryOutcome::Sent {
            provider,
            message_id,
            ..
        } => {
            let mut c = base(provider);
            c["message_id"] = message_id.clone().into();
            (AuditKind::MessageSent, c)
        }
        DeliveryOutcome::Permanent {
            provider,
            code,
            message,
        } => {
            let mut c = base(provider);
            c["code"] = code.as_str().into();
            c["message"] = message.as_str().into();
            c["will_retry"] = false.into();
            (AuditKind::MessageFailed, c)
        }
        DeliveryOutcome::Transient { provider, message } => {
            let mut c = base(provider);
            c["message"] = message.as_str().into();
            c["will_retry"] = true.into();
            (AuditKind::MessageFailed, c)
        }
    }
}
