//! The vote transition of a multi-approver pause: record the approver's vote, then
//! let the rule say whether the pause is decided, cannot agree, or asks the next
//! `ordered` approver. Like `respond`, a refused vote changes nothing.

use super::model::Vote;
use super::rule::{may_vote, next_to_ask, tally, Decision};
use crate::core::pause::{Pause, Refusal, Responder, Status, Transition};

/// What a recorded vote led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voted {
    /// The pause ended (decided, or without agreement).
    pub ended: Option<Transition>,
    /// The `ordered` approver to message now (their `asked_at` is set).
    pub ask_next: Option<u8>,
}

/// `via` of a pause that ended without agreement.
pub const NO_AGREEMENT_VIA: &str = "policy";

impl Pause {
    /// The approver's vote (by index), with an optional comment. Each approver votes
    /// once; the first vote that decides ends the pause.
    pub fn vote(
        &mut self,
        approver: usize,
        choice: usize,
        comment: Option<&str>,
        confirmed: bool,
        now: i64,
        via: &str,
    ) -> Result<Voted, Refusal> {
        if self.status != Status::Pending {
            return Err(Refusal::NotPending(self.status));
        }
        let a = self.approvers.get(approver).ok_or(Refusal::NotAnApprover)?;
        if self.votes.iter().any(|v| v.approver == a.id) {
            return Err(Refusal::AlreadyVoted);
        }
        if !may_vote(&self.rule, &self.approvers, &self.votes, approver) {
            return Err(Refusal::NotYourTurn);
        }
        let (label, comment) = self.check_answer(choice, comment, confirmed)?;
        self.votes.push(Vote {
            approver: a.id.clone(),
            name: a.name.clone(),
            choice: label,
            comment: comment.map(Into::into),
            at: now,
            via: via.into(),
        });
        self.version += 1;
        let mut voted = Voted {
            ended: None,
            ask_next: None,
        };
        match tally(&self.rule, &self.approvers, &self.votes, &self.options) {
            Decision::Pending => {
                if let Some(next) = next_to_ask(&self.rule, &self.approvers, &self.votes) {
                    self.approvers[next].asked_at = Some(now);
                    voted.ask_next = Some(next as u8);
                }
            }
            Decision::Decided { choice, .. } => {
                self.status = Status::Responded;
                self.response_choice = Some(choice);
                self.responded_at = Some(now);
                self.responded_by = Some(Responder::Approvers);
                self.responded_via = Some(via.into());
                voted.ended = Some(Transition::Responded);
            }
            Decision::NoAgreement => voted.ended = Some(self.end_without_agreement(now)),
        }
        Ok(voted)
    }

    /// The votes cannot agree: the timeout default applies now if there is one
    /// (`responded`), else the pause is `timed_out`; either way `responded_by` is
    /// `no_agreement` and `responded_at` says when.
    fn end_without_agreement(&mut self, now: i64) -> Transition {
        self.responded_at = Some(now);
        self.responded_by = Some(Responder::NoAgreement);
        self.responded_via = Some(NO_AGREEMENT_VIA.into());
        match self.timeout_default.clone() {
            Some(d) => {
                self.status = Status::Responded;
                self.response_choice = Some(d);
                Transition::Responded
            }
            None => {
                self.status = Status::TimedOut;
                Transition::TimedOut
            }
        }
    }

    /// The approver's own vote, if they voted.
    pub fn vote_of(&self, approver: usize) -> Option<&Vote> {
        let a = self.approvers.get(approver)?;
        self.votes.iter().find(|v| v.approver == a.id)
    }
}

#[cfg(test)]
#[path = "vote_tests.rs"]
mod tests;
