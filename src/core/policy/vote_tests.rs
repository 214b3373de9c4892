//! The vote transition on a pause.

use crate::core::pause::tests::sample;
use crate::core::pause::{Channel, Pause, Refusal, Responder, Status, Transition};
use crate::core::policy::model::{Approver, Contact, Rule};
use crate::core::policy::vote::Voted;

fn pause(rule: Rule, n: usize, default: Option<&str>) -> Pause {
    let mut p = sample(default);
    let ordered = matches!(rule, Rule::Ordered { .. });
    p.rule = rule;
    p.approvers = (0..n)
        .map(|i| Approver {
            id: format!("a{i}"),
            name: Some(format!("Person {i}")),
            contacts: vec![Contact {
                channel: Channel::Sms,
                recipient: format!("+1312555010{i}"),
            }],
            contact: 0,
            level: 0,
            asked_at: (!ordered || i == 0).then_some(1_000),
            link: String::new(),
            delivery: Default::default(),
            attempts: vec![],
        })
        .collect();
    p
}

const OPEN: Voted = Voted {
    ended: None,
    ask_next: None,
};

#[test]
fn quorum_two_of_three_records_each_vote_once_and_decides_on_the_second() {
    let mut p = pause(
        Rule::Quorum {
            count: 2,
            veto: vec!["Reject".into()],
        },
        3,
        None,
    );
    assert_eq!(p.vote(0, 0, None, true, 2_000, "page"), Ok(OPEN));
    assert_eq!(p.status, Status::Pending);
    assert_eq!(p.version, 2);
    assert_eq!(
        p.vote(0, 1, None, true, 2_001, "page"),
        Err(Refusal::AlreadyVoted)
    );
    assert_eq!(p.votes.len(), 1);
    let v = p.vote(2, 0, None, true, 2_002, "slack").unwrap();
    assert_eq!(v.ended, Some(Transition::Responded));
    assert_eq!(p.response_choice.as_deref(), Some("Approve"));
    assert_eq!(p.responded_by, Some(Responder::Approvers));
    assert_eq!(p.responded_at, Some(2_002));
    assert_eq!(
        p.vote(1, 1, None, true, 2_003, "page"),
        Err(Refusal::NotPending(Status::Responded))
    );
    let api = p.to_api();
    assert_eq!(api["votes"].as_array().unwrap().len(), 2);
    assert_eq!(api["votes"][1]["approver"], "a2");
    assert_eq!(api["votes"][1]["via"], "slack");
    assert_eq!(api["responded_by"], "approvers");
    assert_eq!(api["approvers"][2]["voted"], true);
    assert_eq!(api["approvers"][1]["voted"], false);
    assert_eq!(api["rule"]["type"], "quorum");
}

#[test]
fn refused_votes_change_nothing() {
    let mut p = pause(Rule::Any, 2, None);
    let before = p.clone();
    assert_eq!(
        p.vote(5, 0, None, true, 2_000, "page"),
        Err(Refusal::NotAnApprover)
    );
    assert_eq!(
        p.vote(0, 9, None, true, 2_000, "page"),
        Err(Refusal::NoSuchOption)
    );
    assert_eq!(
        p.vote(0, 0, Some("hi"), true, 2_000, "page"),
        Err(Refusal::CommentNotAllowed)
    );
    p.answer.danger = vec!["Reject".into()];
    p.answer.confirm_danger = true;
    assert_eq!(
        p.vote(0, 1, None, false, 2_000, "page"),
        Err(Refusal::NeedsConfirmation)
    );
    p.answer = before.answer.clone();
    assert_eq!(p, before);
}

#[test]
fn all_with_a_reject_ends_without_agreement_applying_the_default() {
    let mut p = pause(Rule::All { veto: vec![] }, 3, Some("Reject"));
    p.vote(0, 0, None, true, 2_000, "page").unwrap();
    let v = p.vote(1, 1, None, true, 2_001, "page").unwrap();
    assert_eq!(v.ended, Some(Transition::Responded));
    assert_eq!(p.status, Status::Responded);
    assert_eq!(p.response_choice.as_deref(), Some("Reject"));
    assert_eq!(p.responded_by, Some(Responder::NoAgreement));
    assert_eq!(p.to_api()["responded_by"], "no_agreement");
    // Without a default: timed out, resolved when agreement became impossible.
    let mut q = pause(Rule::All { veto: vec![] }, 2, None);
    q.vote(0, 0, None, true, 2_000, "page").unwrap();
    let v = q.vote(1, 1, None, true, 2_500, "page").unwrap();
    assert_eq!(v.ended, Some(Transition::TimedOut));
    assert_eq!(q.status, Status::TimedOut);
    assert_eq!(q.response_choice, None);
    assert_eq!(q.resolved_at(), Some(2_500));
}

#[test]
fn ordered_asks_the_next_with_each_approval_and_refuses_out_of_turn() {
    let mut p = pause(
        Rule::Ordered {
            veto: vec!["Reject".into()],
        },
        3,
        None,
    );
    assert_eq!(
        p.vote(1, 0, None, true, 2_000, "page"),
        Err(Refusal::NotYourTurn)
    );
    let v = p.vote(0, 0, None, true, 2_000, "page").unwrap();
    assert_eq!(
        v,
        Voted {
            ended: None,
            ask_next: Some(1)
        }
    );
    assert_eq!(p.approvers[1].asked_at, Some(2_000));
    assert_eq!(p.approvers[2].asked_at, None);
    assert_eq!(
        p.vote(2, 0, None, true, 2_001, "page"),
        Err(Refusal::NotYourTurn)
    );
    let v = p.vote(1, 0, None, true, 2_002, "page").unwrap();
    assert_eq!(v.ask_next, Some(2));
    let v = p.vote(2, 0, None, true, 2_003, "page").unwrap();
    assert_eq!(
        v,
        Voted {
            ended: Some(Transition::Responded),
            ask_next: None
        }
    );
    assert_eq!(p.response_choice.as_deref(), Some("Approve"));
}

#[test]
fn a_single_recipient_answer_is_its_one_vote() {
    let mut p = sample(None);
    p.respond(1, 2_000, "page").unwrap();
    assert_eq!(p.votes.len(), 1);
    assert_eq!(p.votes[0].approver, "recipient");
    let api = p.to_api();
    assert_eq!(api["votes"][0]["choice"], "Reject");
    assert_eq!(api["rule"]["type"], "any");
    assert!(api.get("approvers").is_none());
    // One answered before votes were kept shows it all the same.
    p.votes.clear();
    assert_eq!(p.to_api()["votes"][0]["approver"], "recipient");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn rule_of(kind: u8, count: u8, veto: bool) -> Rule {
        let veto = if veto {
            vec!["Reject".to_string()]
        } else {
            vec![]
        };
        match kind % 4 {
            0 => Rule::Any,
            1 => Rule::All { veto },
            2 => Rule::Quorum { count, veto },
            _ => Rule::Ordered { veto },
        }
    }

    proptest! {
        /// Any taps in any order: the pause ends at most once, each approver's vote is
        /// recorded at most once, nothing is recorded after the end, and a decision by
        /// votes is the option of a vote.
        #[test]
        fn votes_end_a_pause_at_most_once(
            kind in 0u8..4, n in 1usize..6, count in 2u8..6, veto in any::<bool>(),
            taps in proptest::collection::vec((0usize..7, 0usize..3), 0..20),
        ) {
            let rule = rule_of(kind, count.min(n.max(2) as u8), veto);
            let mut p = pause(rule, n.max(2), Some("Reject"));
            let mut ended = 0;
            for (who, choice) in taps {
                let before = p.votes.len();
                match p.vote(who, choice, None, true, 2_000, "page") {
                    Ok(v) => {
                        prop_assert_eq!(p.votes.len(), before + 1);
                        if v.ended.is_some() { ended += 1; }
                    }
                    Err(_) => prop_assert_eq!(p.votes.len(), before),
                }
            }
            prop_assert!(ended <= 1);
            let mut ids: Vec<&str> = p.votes.iter().map(|v| v.approver.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), p.votes.len());
            if p.responded_by == Some(Responder::Approvers) {
                let c = p.response_choice.clone().unwrap();
                prop_assert!(p.votes.iter().any(|v| v.choice == c));
            }
            prop_assert_eq!(ended == 1, p.status != Status::Pending);
        }
    }
}
