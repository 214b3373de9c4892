//! The effect runners: each acts on the pause's current state (it may have changed
//! while the effect waited) and either succeeds, or fails to be retried.

use super::PauseObject;
use crate::channels;
use crate::core::audit::AuditKind;
use crate::core::delivery::{before_send, BeforeSend, DeliveryOutcome};
use crate::core::error::ApiError;
use crate::core::outbox::{effects_of, Effect};
use crate::core::pause::{DeliveryStatus, Pause, Status};
use crate::core::policy::delivery as policy_delivery;
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
            Effect::Deliver { approver } => self.deliver(p, approver.map(usize::from)).await,
            Effect::Remind { approver, number } => self.remind(p, approver, number).await,
            Effect::Webhook { event, nth } => {
                producer::emit_all(&self.env, &p, &[(event, nth)]).await
            }
        }
    }

    /// Sends the question (to the one recipient, or to approver `approver` through
    /// their contact in use), records the outcome (and its audit event), and fails if
    /// the outcome is worth retrying.
    async fn deliver(&self, p: Pause, approver: Option<usize>) -> Result<(), ApiError> {
        let view = match approver {
            None => p,
            Some(i) => match policy_delivery::addressed(&p, i) {
                Some(v) => v,
                None => return Ok(()), // no such approver: nothing to send
            },
        };
        let route = channels::route(&self.env, &view);
        let outcome = match before_send(
            view.delivery.status,
            route.safe_to_repeat(),
            route.provider(),
        ) {
            BeforeSend::GiveUp(outcome) => outcome,
            BeforeSend::Send { mark_sending } => {
                if mark_sending {
                    let Some(mut marked) = self.load()? else {
                        return Ok(());
                    };
                    if let Some(d) = policy_delivery::delivery_mut(&mut marked, approver) {
                        d.status = DeliveryStatus::Sending;
                    }
                    self.commit(&mut marked, &[])?;
                }
                let contact = approver.map(|i| (i, p_contact(&view, i)));
                channels::deliver(&self.env, &view, &route, contact, None).await
            }
        };
        let Some(mut p) = self.load()? else {
            return Ok(());
        };
        let retry = outcome.is_transient();
        let failed = matches!(outcome, DeliveryOutcome::Permanent { .. });
        policy_delivery::record(&mut p, approver, &outcome, now_ms());
        p.version += 1;
        let (kind, mut ctx) = delivery_event(&outcome, &view);
        if let Some(i) = approver {
            ctx["approver"] = p.approvers[i].id.clone().into();
            ctx["recipient"] = view.recipient.clone().into();
        }
        self.audit(&p, "system", kind, &ctx)?;
        // An approver's contact that failed for good: their next contact is tried.
        let mut effects = Vec::new();
        let fell_back = match approver {
            Some(i) if failed => self.fall_back(&mut p, i)?,
            _ => None,
        };
        if let Some((more, next)) = fell_back {
            effects.extend(more);
            if next {
                // Not failed for good yet: the webhook waits for the last contact.
                effects.push(Effect::Index);
                self.commit(&mut p, &effects)?;
                return Ok(());
            }
        }
        if failed {
            let mut failed_effects = effects_of(p.webhook_url.is_some(), EventType::DeliveryFailed);
            if let Some(Effect::Webhook { nth, .. }) = failed_effects.first_mut() {
                *nth = approver.map(|i| i as u8);
            }
            effects.extend(failed_effects);
        } else {
            effects.push(Effect::Index);
        }
        self.commit(&mut p, &effects)?;
        if retry {
            Err(internal("transient delivery failure"))
        } else {
            Ok(())
        }
    }
}

/// The index of the approver's contact in use (part of the message's key, so each
/// contact's message is its own).
fn p_contact(view: &Pause, i: usize) -> u8 {
    view.approvers.get(i).map_or(0, |a| a.contact)
}

fn delivery_event(outcome: &DeliveryOutcome, p: &Pause) -> (AuditKind, serde_json::Value) {
    let base = |provider: &str| {
        serde_json::json!({
            "channel": p.channel.as_str(), "provider": provider, "attempt": p.delivery.attempts + 1,
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
