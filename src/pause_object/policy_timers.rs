//! The policy's clock in the object (issue 15): on every wake-up (and before every
//! command, like the timeout) the due escalation levels are reached and the due
//! reminder is sent, each with its audit event and effects, committed with the state.
//! The rules are pure (`core::policy::{schedule, tick, fallback}`).

use super::PauseObject;
use crate::channels;
use crate::core::audit::AuditKind;
use crate::core::delivery::DeliveryOutcome;
use crate::core::error::ApiError;
use crate::core::outbox::Effect;
use crate::core::pause::{Pause, Status};
use crate::core::policy::delivery as policy_delivery;
use crate::core::policy::fallback::{self, Fallback};
use crate::core::policy::model::RECIPIENT_ID;
use crate::core::policy::tick::tick;
use crate::core::webhook::event::EventType;
use crate::http::internal;

impl PauseObject {
    /// Applies what the policy's clock says is due at `now` (nothing once ended).
    pub(super) fn run_timers(&self, p: &mut Pause, now: i64) -> Result<(), ApiError> {
        let t = tick(p, now);
        if t.is_empty() {
            return Ok(());
        }
        let mut effects = Vec::new();
        let id_of = |i: &u8| {
            p.approvers
                .get(usize::from(*i))
                .map_or(String::new(), |a| a.id.clone())
        };
        for (level, added) in &t.escalated {
            let k = usize::from(*level).saturating_sub(1);
            let ctx = serde_json::json!({
                "level": level,
                "after_seconds": p.escalation.get(k).map(|l| l.after_seconds),
                "approvers": added.iter().map(id_of).collect::<Vec<_>>(),
            });
            self.audit(p, "system", AuditKind::PauseEscalated, &ctx)?;
            effects.extend(added.iter().map(|i| Effect::Deliver { approver: Some(*i) }));
            if p.webhook_url.is_some() {
                effects.push(Effect::Webhook {
                    event: EventType::Escalated,
                    nth: u8::try_from(k).ok(),
                });
            }
        }
        if let Some(r) = &t.reminder {
            let to: Vec<String> =
                r.to.iter()
                    .map(|a| a.as_ref().map_or(RECIPIENT_ID.to_string(), id_of))
                    .collect();
            let ctx = serde_json::json!({
                "number": r.number,
                "to": to,
            });
            self.audit(p, "system", AuditKind::ReminderSent, &ctx)?;
            effects.extend(r.to.iter().map(|a| Effect::Remind {
                approver: *a,
                number: r.number,
            }));
        }
        effects.push(Effect::Index);
        self.commit(p, &effects)
    }

    /// Sends reminder `number` (the question again, same link, "Reminder:" first)
    /// unless the pause ended or the approver voted meanwhile. Its outcome changes
    /// nothing on the pause (the question's delivery stays what it was); a failure is
    /// an audit event, a transient one is retried.
    pub(super) async fn remind(
        &self,
        p: Pause,
        approver: Option<u8>,
        number: u8,
    ) -> Result<(), ApiError> {
        if p.status != Status::Pending || voted(&p, approver) {
            return Ok(());
        }
        let i = approver.map(usize::from);
        let mut view = match i {
            None => p.clone(),
            Some(i) => match policy_delivery::addressed(&p, i) {
                Some(v) => v,
                None => return Ok(()),
            },
        };
        view.message = format!("Reminder: {}", view.message);
        let route = channels::route(&self.env, &view);
        let contact = i.map(|i| (i, view.approvers[i].contact));
        let outcome = channels::deliver(&self.env, &view, &route, contact, Some(number)).await;
        let (provider, error) = match &outcome {
            DeliveryOutcome::Sent { .. } => return Ok(()),
            DeliveryOutcome::Permanent {
                provider,
                code,
                message,
            } => (
                provider,
                serde_json::json!({"code": code, "message": message, "will_retry": false}),
            ),
            DeliveryOutcome::Transient { provider, message } => (
                provider,
                serde_json::json!({"message": message, "will_retry": true}),
            ),
        };
        let mut ctx = serde_json::json!({
            "channel": view.channel.as_str(), "provider": provider, "reminder": number,
            "approver": i.map(|i| p.approvers[i].id.clone()),
        });
        if let (Some(c), Some(e)) = (ctx.as_object_mut(), error.as_object()) {
            c.extend(e.clone());
        }
        self.audit(&p, "system", AuditKind::MessageFailed, &ctx)?;
        if outcome.is_transient() {
            Err(internal("transient reminder failure"))
        } else {
            Ok(())
        }
    }

    /// After approver `i`'s contact failed for good (its outcome or report already
    /// recorded on `p`): moves to their next contact, with the `delivery.fallback`
    /// audit event. Returns the effects to commit with the state (a send to the next
    /// contact) and whether there was a next contact; `None` when this failure is not
    /// one to fall back on.
    pub(super) fn fall_back(
        &self,
        p: &mut Pause,
        i: usize,
    ) -> Result<Option<(Vec<Effect>, bool)>, ApiError> {
        let Some(a) = p.approvers.get_mut(i) else {
            return Ok(None);
        };
        let code = a.delivery.error_code.clone();
        let Some(f) = fallback::after_failure(a) else {
            return Ok(None);
        };
        if i == 0 {
            // The top level shows the first approver's delivery (old clients).
            p.delivery = p.approvers[0].delivery.clone();
        }
        let ctx = f.audit_context(&p.approvers[i], code.as_deref());
        self.audit(p, "system", AuditKind::DeliveryFallback, &ctx)?;
        Ok(Some(match f {
            Fallback::Next { .. } => (
                vec![Effect::Deliver {
                    approver: u8::try_from(i).ok(),
                }],
                true,
            ),
            Fallback::Unreachable { .. } => (Vec::new(), false),
        }))
    }
}

/// Has this approver (or the single recipient) answered?
fn voted(p: &Pause, approver: Option<u8>) -> bool {
    match approver.and_then(|i| p.approvers.get(usize::from(i))) {
        Some(a) => p.votes.iter().any(|v| v.approver == a.id),
        None => p.responded_at.is_some(),
    }
}
