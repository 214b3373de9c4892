//! Votes of a multi-approver pause: the vote transition (core) committed with its
//! audit event (`vote.recorded`), its webhook (`pause.vote_recorded`), and, when the
//! vote ends the pause, the events of the end; for `ordered`, the next approver's
//! message is committed with the vote that asks them.

use serde_json::json;

use super::{PauseObject, Seen};
use crate::core::audit::AuditKind;
use crate::core::error::ApiError;
use crate::core::outbox::{effects_of, Effect};
use crate::core::pause::{Pause, Refusal, Responder};
use crate::core::protocol::Outcome;
use crate::core::webhook::event::EventType;

/// What the approver sent.
pub(super) struct Answer<'a> {
    pub choice: usize,
    pub comment: Option<&'a str>,
    pub confirmed: bool,
}

impl PauseObject {
    pub(super) fn record_vote(
        &self,
        p: &mut Pause,
        approver: usize,
        a: Answer,
        now: i64,
        seen: Seen,
    ) -> Result<Outcome, ApiError> {
        let via = seen.via.as_str();
        let voted = match p.vote(approver, a.choice, a.comment, a.confirmed, now, via) {
            Ok(v) => v,
            Err(r) => {
                return Ok(match r {
                    Refusal::NotPending(_) => Outcome::NotPending,
                    Refusal::NoSuchOption => Outcome::NoSuchOption,
                    Refusal::CommentNotAllowed | Refusal::CommentTooLong => Outcome::CommentRefused,
                    Refusal::NeedsConfirmation => Outcome::NeedsConfirmation,
                    Refusal::AlreadyVoted => Outcome::AlreadyVoted,
                    Refusal::NotYourTurn => Outcome::NotYourTurn,
                    Refusal::NotAnApprover => Outcome::NotFound,
                })
            }
        };
        let nth = (p.votes.len() - 1) as u8;
        let vote = p.votes[usize::from(nth)].clone();
        let contact = p.approvers[approver].current().clone();
        let mut ctx = json!({
            "approver": vote.approver, "approver_index": approver, "name": vote.name,
            "choice": vote.choice, "choice_index": a.choice, "comment": vote.comment,
            "channel": contact.channel.as_str(), "via": via,
            "ip_country": seen.country, "user_agent": seen.user_agent,
        });
        if let Some(u) = seen.slack_user {
            ctx["slack_user"] = json!({ "id": u.id, "name": u.name });
        }
        let actor = format!("approver:{}", vote.approver);
        self.audit(p, &actor, AuditKind::VoteRecorded, &ctx)?;
        let hook = p.webhook_url.is_some();
        let mut effects = Vec::new();
        if hook {
            effects.push(Effect::Webhook {
                event: EventType::VoteRecorded,
                nth: Some(nth),
            });
        }
        if let Some(next) = voted.ask_next {
            effects.push(Effect::Deliver {
                approver: Some(next),
            });
        }
        match voted.ended {
            Some(t) => {
                let votes: Vec<_> = p
                    .votes
                    .iter()
                    .map(|v| json!({"approver": v.approver, "choice": v.choice}))
                    .collect();
                if p.responded_by == Some(Responder::NoAgreement) {
                    let ctx = json!({
                        "rule": p.rule, "votes": votes, "status": p.status.as_str(),
                        "default_fired": p.response_choice,
                    });
                    self.audit(p, "system", AuditKind::PolicyNoAgreement, &ctx)?;
                } else {
                    let ctx = json!({
                        "choice": p.response_choice, "responded_by": "approvers",
                        "rule": p.rule, "votes": votes, "via": via,
                    });
                    self.audit(p, "system", AuditKind::PauseResponded, &ctx)?;
                }
                effects.extend(effects_of(hook, t.into()));
            }
            None => effects.push(Effect::Index),
        }
        self.commit(p, &effects)?;
        Ok(Outcome::Changed)
    }
}
