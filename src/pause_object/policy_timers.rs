//! The policy's clock in the object (issue 15): on every wake-up (and before every
//! command, like the timeout) the due escalation levels are reached and the due
//! reminder is sent, each with its audit event and effects, committed with the state.
//! The rules are pure (`core::policy::{schedule, tick, fallback}`).

use super::PauseObject;
use crate::core::audit::AuditKind;
use crate::core::error::ApiError;
use crate::core::outbox::Effect;
use crate::core::pause::{Pause, Status};
use crate::core::policy::fallback::Fallback;
use crate::core::policy::model::RECIPIENT_ID;
use crate::core::policy::tick::tick;

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
            // MERGE-POLICY: the `pause.escalated` webhook (EventType::Escalated, nth = k).
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
            effects.extend(r.to.iter().map(|a| Effect::Remind { approver: *a }));
        }
        effects.push(Effect::Index);
        self.commit(p, &effects)
    }

    /// Sends a reminder (the question again, same link) unless the pause ended or the
    /// approver voted meanwhile.
    pub(super) async fn remind(&self, p: Pause, approver: Option<u8>) -> Result<(), ApiError> {
        if p.status != Status::Pending || voted(&p, approver) {
            return Ok(());
        }
        // MERGE-POLICY: send through the per-approver send (reminder variant).
        Ok(())
    }

    #[allow(dead_code)] // MERGE-POLICY: called from the per-approver deliver and report paths.
    /// Records a fallback of approver `i` (already applied to `p` by
    /// `core::policy::fallback`): the audit event, and a send to the next contact.
    /// Returns the effects to commit with the state.
    pub(super) fn record_fallback(
        &self,
        p: &Pause,
        i: u8,
        f: &Fallback,
        error_code: Option<&str>,
    ) -> Result<Vec<Effect>, ApiError> {
        let Some(a) = p.approvers.get(usize::from(i)) else {
            return Ok(Vec::new());
        };
        self.audit(
            p,
            "system",
            AuditKind::DeliveryFallback,
            &f.audit_context(a, error_code),
        )?;
        Ok(match f {
            Fallback::Next { .. } => vec![Effect::Deliver { approver: Some(i) }],
            Fallback::Unreachable { .. } => Vec::new(),
        })
    }
}

/// Has this approver (or the single recipient) answered?
fn voted(p: &Pause, approver: Option<u8>) -> bool {
    match approver.and_then(|i| p.approvers.get(usize::from(i))) {
        Some(a) => p.votes.iter().any(|v| v.approver == a.id),
        None => p.responded_at.is_some(),
    }
}
