//! A new multi-approver pause: its approvers (each with their own link), levels and
//! reminders from the request, and the messages that leave at create.

use super::model::{Approver, EscalationLevel, Reminders, Rule};
use super::request::NewPolicy;
use crate::core::outbox::Effect;
use crate::core::pause::{Delivery, Pause};

/// Sets the pause's policy from the request. `link(i)` is approver `i`'s own link.
/// Level 0 is asked now (for `ordered`, only the first approver); the top-level
/// `channel`/`recipient`/`link` are the first approver's, for clients that know one.
pub fn apply(p: &mut Pause, new: &NewPolicy, link: impl Fn(u8) -> String, now: i64) {
    let ordered = matches!(new.rule, Rule::Ordered { .. });
    p.approvers = new
        .approvers
        .iter()
        .enumerate()
        .map(|(i, a)| Approver {
            id: a.id.clone(),
            name: a.name.clone(),
            contacts: a.contacts.clone(),
            contact: 0,
            level: a.level,
            asked_at: (a.level == 0 && (!ordered || i == 0)).then_some(now),
            link: link(i as u8),
            delivery: Delivery::default(),
            attempts: Vec::new(),
        })
        .collect();
    p.rule = new.rule.clone();
    p.escalation = new
        .escalation
        .iter()
        .map(|s| EscalationLevel {
            after_seconds: *s,
            reached_at: None,
        })
        .collect();
    p.reminders = new
        .reminders
        .clone()
        .map(|schedule| Reminders { schedule, sent: 0 });
    if let Some(first) = p.approvers.first() {
        p.channel = first.contacts[0].channel;
        p.recipient = first.contacts[0].recipient.clone();
        p.link = first.link.clone();
    }
}

/// The effects a create commits: the listing row, then a message to everyone asked
/// now (the one recipient of a single-recipient pause).
pub(crate) fn create_effects(p: &Pause) -> Vec<Effect> {
    let mut effects = vec![Effect::Index];
    if p.approvers.is_empty() {
        effects.push(Effect::Deliver { approver: None });
    }
    for (i, a) in p.approvers.iter().enumerate() {
        if a.asked_at.is_some() {
            effects.push(Effect::Deliver {
                approver: Some(i as u8),
            });
        }
    }
    effects
}
