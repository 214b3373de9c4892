//! The rules, pure: given the approvers and the votes so far, is the pause decided,
//! still open, or can it no longer agree? And for `ordered`, who is asked next.
//!
//! An approver counts once they are added: level 0 from the start, an escalation
//! level's approvers once the level is reached (their `asked_at` is set then), an
//! `ordered` approver once it is their turn. For the `quorum` impossibility check,
//! every approver who has not voted may still vote, levels not yet added included.

use super::model::{Approver, Rule, Vote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Not decided yet.
    Pending,
    /// Decided: the option, and the ids of the approvers whose votes decided it.
    Decided { choice: String, by: Vec<String> },
    /// The votes can no longer agree (the pause ends "without agreement").
    NoAgreement,
}

/// Whether the approver has been added (may vote now).
pub fn is_added(a: &Approver) -> bool {
    a.level == 0 || a.asked_at.is_some()
}

fn vote_of<'v>(a: &Approver, votes: &'v [Vote]) -> Option<&'v Vote> {
    votes.iter().find(|v| v.approver == a.id)
}

/// What the votes decide under the rule.
pub fn tally(rule: &Rule, approvers: &[Approver], votes: &[Vote], options: &[String]) -> Decision {
    let decided = |v: &Vote| Decision::Decided {
        choice: v.choice.clone(),
        by: vec![v.approver.clone()],
    };
    // A veto decides at once, whatever the rule (`any` has none).
    if let Some(v) = votes.iter().find(|v| rule.veto().contains(&v.choice)) {
        return decided(v);
    }
    match rule {
        Rule::Any => votes.first().map_or(Decision::Pending, decided),
        Rule::All { .. } => {
            let Some(first) = votes.first() else {
                return Decision::Pending;
            };
            if votes.iter().any(|v| v.choice != first.choice) {
                return Decision::NoAgreement;
            }
            let added: Vec<&Approver> = approvers.iter().filter(|a| is_added(a)).collect();
            if added.iter().all(|a| vote_of(a, votes).is_some()) {
                Decision::Decided {
                    choice: first.choice.clone(),
                    by: votes.iter().map(|v| v.approver.clone()).collect(),
                }
            } else {
                Decision::Pending
            }
        }
        Rule::Quorum { count, veto } => {
            let count = usize::from(*count);
            let left = approvers
                .iter()
                .filter(|a| vote_of(a, votes).is_none())
                .count();
            let mut reachable = false;
            for o in options {
                let by: Vec<String> = votes
                    .iter()
                    .filter(|v| &v.choice == o)
                    .map(|v| v.approver.clone())
                    .collect();
                if by.len() >= count {
                    return Decision::Decided {
                        choice: o.clone(),
                        by,
                    };
                }
                let needed = if veto.contains(o) { 1 } else { count };
                reachable |= by.len() + left >= needed;
            }
            if reachable {
                Decision::Pending
            } else {
                Decision::NoAgreement
            }
        }
        Rule::Ordered { .. } => match approvers.last().and_then(|a| vote_of(a, votes)) {
            Some(last) => Decision::Decided {
                choice: last.choice.clone(),
                by: approvers
                    .iter()
                    .filter_map(|a| vote_of(a, votes).map(|v| v.approver.clone()))
                    .collect(),
            },
            None => Decision::Pending,
        },
    }
}

/// For `ordered`, while pending: the index of the approver to ask now (the first who
/// has not voted) if they have not been asked yet. `None` for the other rules.
pub fn next_to_ask(rule: &Rule, approvers: &[Approver], votes: &[Vote]) -> Option<usize> {
    if !matches!(rule, Rule::Ordered { .. }) {
        return None;
    }
    let i = approvers.iter().position(|a| vote_of(a, votes).is_none())?;
    approvers[i].asked_at.is_none().then_some(i)
}

/// Whether the approver may vote now: added, and not `ordered` out of turn.
pub fn may_vote(rule: &Rule, approvers: &[Approver], votes: &[Vote], index: usize) -> bool {
    let Some(a) = approvers.get(index) else {
        return false;
    };
    match rule {
        Rule::Ordered { .. } => {
            approvers.iter().position(|b| vote_of(b, votes).is_none()) == Some(index)
                && a.asked_at.is_some()
        }
        _ => is_added(a),
    }
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
