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
        let effects = self.after_delivery(&mut p, approver, failed, true)?;
        self.commit(&mut p, &effects)?;
        if retry {
            Err(internal("transient delivery failure"))
        } else {
            Ok(())
        }
    }
}

impl PauseObject {
    /// The effects of a delivery outcome already recorded on `p` (a send's, or a
    /// provider's report), for approver `approver`'s message or the one recipient's.
    /// A failure for good moves an approver to their next contact; with none left (or
    /// for the one recipient) `pause.delivery_failed` goes out when `announce`. The
    /// listing row comes last, as always.
    pub(super) fn after_delivery(
        &self,
        p: &mut Pause,
        approver: Option<usize>,
        failed_for_good: bool,
        announce: bool,
    ) -> Result<Vec<Effect>, ApiError> {
        let (mut effects, next_contact) = match approver {
            Some(i) if failed_for_good => self.fall_back(p, i)?.unwrap_or_default(),
            _ => (Vec::new(), false),
        };
        // Not failed for good while a next contact is tried: the webhook waits for the last.
        if failed_for_good && !next_contact && announce {
            let mut failed = effects_of(p.webhook_url.is_some(), EventType::DeliveryFailed);
            if let Some(Effect::Webhook { nth, .. }) = failed.first_mut() {
                *nth = approver.and_then(|i| u8::try_from(i).ok());
            }
            effects.extend(failed); // ends with the listing row
        } else {
            effects.push(Effect::Index);
        }
        Ok(effects)
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
