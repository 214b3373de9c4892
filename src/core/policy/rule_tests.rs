//! Exhaustive tests of the rules.

use super::*;
use crate::core::pause::Channel;
use crate::core::policy::model::Contact;

fn opts() -> Vec<String> {
    vec!["Approve".into(), "Reject".into(), "Hold".into()]
}

fn people(levels: &[u8]) -> Vec<Approver> {
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| Approver {
            id: format!("a{i}"),
            name: None,
            contacts: vec![Contact {
                channel: Channel::Sms,
                recipient: format!("+1312555010{i}"),
            }],
            contact: 0,
            level: *l,
            asked_at: (*l == 0).then_some(1),
            link: String::new(),
            delivery: Default::default(),
            attempts: vec![],
        })
        .collect()
}

fn votes(v: &[(usize, &str)]) -> Vec<Vote> {
    v.iter()
        .enumerate()
        .map(|(n, (i, c))| Vote {
            approver: format!("a{i}"),
            name: None,
            choice: c.to_string(),
            comment: None,
            at: n as i64,
            via: "page".into(),
        })
        .collect()
}

fn decided(choice: &str, by: &[usize]) -> Decision {
    Decision::Decided {
        choice: choice.into(),
        by: by.iter().map(|i| format!("a{i}")).collect(),
    }
}

fn quorum(count: u8, veto: &[&str]) -> Rule {
    Rule::Quorum {
        count,
        veto: veto.iter().map(|s| s.to_string()).collect(),
    }
}

fn t(rule: &Rule, a: &[Approver], v: &[(usize, &str)]) -> Decision {
    tally(rule, a, &votes(v), &opts())
}

#[test]
fn any_the_first_vote_decides() {
    let a = people(&[0, 0, 0]);
    assert_eq!(t(&Rule::Any, &a, &[]), Decision::Pending);
    assert_eq!(t(&Rule::Any, &a, &[(1, "Reject")]), decided("Reject", &[1]));
    assert_eq!(
        t(&Rule::Any, &a, &[(1, "Reject"), (0, "Approve")]),
        decided("Reject", &[1])
    );
}

#[test]
fn quorum_two_of_three_with_a_veto() {
    let a = people(&[0, 0, 0]);
    let r = quorum(2, &["Reject"]);
    assert_eq!(t(&r, &a, &[(0, "Approve")]), Decision::Pending);
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (2, "Approve")]),
        decided("Approve", &[0, 2])
    );
    // A veto decides at once, even as the first vote, even after an approval.
    assert_eq!(t(&r, &a, &[(1, "Reject")]), decided("Reject", &[1]));
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Reject")]),
        decided("Reject", &[1])
    );
    // Split votes with one approver left: still possible.
    assert_eq!(t(&r, &a, &[(0, "Approve"), (1, "Hold")]), Decision::Pending);
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Hold"), (2, "Hold")]),
        decided("Hold", &[1, 2])
    );
}

#[test]
fn quorum_ends_without_agreement_when_no_option_can_reach_the_count() {
    let a = people(&[0, 0, 0]);
    let r = quorum(2, &[]);
    // Three different answers from three approvers: nobody left.
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Reject"), (2, "Hold")]),
        Decision::NoAgreement
    );
    // Three of three needed, two disagree at once: impossible with one left.
    let r3 = quorum(3, &[]);
    assert_eq!(
        t(&r3, &a, &[(0, "Approve"), (1, "Reject")]),
        Decision::NoAgreement
    );
    assert_eq!(
        t(&r3, &a, &[(0, "Approve"), (1, "Approve")]),
        Decision::Pending
    );
    // With a veto left to cast, one remaining approver could still end it.
    let rv = quorum(3, &["Hold"]);
    assert_eq!(
        t(&rv, &a, &[(0, "Approve"), (1, "Reject")]),
        Decision::Pending
    );
}

#[test]
fn levels_not_yet_added_count_as_possible_voters_for_quorum() {
    // Two now, one more at level 1 (not reached): 3 of 3 still possible after a split?
    let a = people(&[0, 0, 1]);
    assert!(!is_added(&a[2]));
    let r = quorum(2, &[]);
    // The two present disagree; the level-1 approver could still make 2.
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Reject")]),
        Decision::Pending
    );
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Reject"), (2, "Reject")]),
        decided("Reject", &[1, 2])
    );
    let r3 = quorum(3, &[]);
    assert_eq!(
        t(&r3, &a, &[(0, "Approve"), (1, "Reject")]),
        Decision::NoAgreement
    );
}

#[test]
fn all_needs_everyone_added_to_agree_and_a_reject_ends_it() {
    let a = people(&[0, 0, 0]);
    let r = Rule::All { veto: vec![] };
    assert_eq!(t(&r, &a, &[]), Decision::Pending);
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Approve")]),
        Decision::Pending
    );
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Approve"), (2, "Approve")]),
        decided("Approve", &[0, 1, 2])
    );
    // One rejects without a veto: agreement is impossible at once.
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Reject")]),
        Decision::NoAgreement
    );
    // With Reject as a veto, the reject decides.
    let rv = Rule::All {
        veto: vec!["Reject".into()],
    };
    assert_eq!(
        t(&rv, &a, &[(0, "Approve"), (1, "Reject")]),
        decided("Reject", &[1])
    );
    assert_eq!(t(&rv, &a, &[(2, "Reject")]), decided("Reject", &[2]));
}

#[test]
fn all_counts_a_level_only_once_it_is_added() {
    let mut a = people(&[0, 0, 1]);
    let r = Rule::All { veto: vec![] };
    let both = [(0, "Approve"), (1, "Approve")];
    assert_eq!(t(&r, &a, &both), decided("Approve", &[0, 1]));
    a[2].asked_at = Some(5);
    assert_eq!(t(&r, &a, &both), Decision::Pending);
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Approve"), (2, "Approve")]),
        decided("Approve", &[0, 1, 2])
    );
}

#[test]
fn ordered_three_asks_one_after_another() {
    let mut a = people(&[0, 0, 0]);
    a[1].asked_at = None;
    a[2].asked_at = None;
    let r = Rule::Ordered {
        veto: vec!["Reject".into()],
    };
    // At create only the first is asked; it is nobody's turn to be asked.
    assert_eq!(next_to_ask(&r, &a, &[]), None);
    assert!(may_vote(&r, &a, &[], 0));
    assert!(!may_vote(&r, &a, &[], 1));
    let v1 = votes(&[(0, "Approve")]);
    assert_eq!(tally(&r, &a, &v1, &opts()), Decision::Pending);
    assert_eq!(next_to_ask(&r, &a, &v1), Some(1));
    assert!(!may_vote(&r, &a, &v1, 1)); // not asked yet
    a[1].asked_at = Some(2);
    assert_eq!(next_to_ask(&r, &a, &v1), None);
    assert!(may_vote(&r, &a, &v1, 1));
    assert!(!may_vote(&r, &a, &v1, 0) && !may_vote(&r, &a, &v1, 2));
    let v2 = votes(&[(0, "Approve"), (1, "Approve")]);
    assert_eq!(next_to_ask(&r, &a, &v2), Some(2));
    a[2].asked_at = Some(3);
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Approve"), (2, "Approve")]),
        decided("Approve", &[0, 1, 2])
    );
    // The last approver's vote decides; a veto anywhere ends it.
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Hold"), (2, "Approve")]),
        decided("Approve", &[0, 1, 2])
    );
    assert_eq!(
        t(&r, &a, &[(0, "Approve"), (1, "Reject")]),
        decided("Reject", &[1])
    );
}

#[test]
fn only_ordered_asks_in_turn_and_only_added_approvers_vote() {
    let a = people(&[0, 0, 1]);
    for r in [Rule::Any, quorum(2, &[]), Rule::All { veto: vec![] }] {
        assert_eq!(next_to_ask(&r, &a, &[]), None);
        assert!(may_vote(&r, &a, &[], 0) && may_vote(&r, &a, &[], 1));
        assert!(!may_vote(&r, &a, &[], 2));
        assert!(!may_vote(&r, &a, &[], 9));
    }
}
