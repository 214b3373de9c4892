//! Delivery per approver, pure: the pause as one approver's message sees it (their
//! contact in use, their link, their delivery), and where an outcome is recorded.

use super::model::DeliveryAttempt;
use crate::core::delivery::DeliveryOutcome;
use crate::core::pause::{Delivery, Pause};

/// The pause addressed to approver `i`: `channel`, `recipient`, `link` and
/// `delivery` are theirs, so the channel code sends it unchanged. `None` without
/// such an approver.
pub fn addressed(p: &Pause, i: usize) -> Option<Pause> {
    let a = p.approvers.get(i)?;
    let c = a.current();
    let mut view = p.clone();
    view.channel = c.channel;
    view.recipient = c.recipient.clone();
    view.link = a.link.clone();
    view.delivery = a.delivery.clone();
    Some(view)
}

/// The delivery a message to `approver` (None: the one recipient) is recorded in.
pub fn delivery_mut(p: &mut Pause, approver: Option<usize>) -> Option<&mut Delivery> {
    match approver {
        None => Some(&mut p.delivery),
        Some(i) => p.approvers.get_mut(i).map(|a| &mut a.delivery),
    }
}

/// Records a send outcome: on the approver's delivery, as an attempt of the contact in
/// use, and (for the first approver) on the top-level delivery old clients read.
pub fn record(p: &mut Pause, approver: Option<usize>, outcome: &DeliveryOutcome, now: i64) {
    let Some(i) = approver else {
        outcome.apply(&mut p.delivery, now);
        return;
    };
    let Some(a) = p.approvers.get_mut(i) else {
        return;
    };
    outcome.apply(&mut a.delivery, now);
    let c = a.current().clone();
    a.attempts.push(DeliveryAttempt {
        channel: c.channel,
        recipient: c.recipient,
        status: a.delivery.status,
        at: now,
        error_code: a.delivery.error_code.clone(),
    });
    if i == 0 {
        p.delivery = p.approvers[0].delivery.clone();
    }
}

/// After a provider's report changed approver `i`'s delivery: their last attempt
/// shows it, and so does the top-level delivery for the first approver.
pub fn reported(p: &mut Pause, i: usize) {
    let Some(a) = p.approvers.get_mut(i) else {
        return;
    };
    let (status, code) = (a.delivery.status, a.delivery.error_code.clone());
    if let Some(last) = a.attempts.last_mut() {
        last.status = status;
        last.error_code = code;
    }
    if i == 0 {
        p.delivery = p.approvers[0].delivery.clone();
    }
}

/// The approver whose message a provider reports on: same provider and message id.
pub fn by_message(p: &Pause, provider: &str, message_id: Option<&str>) -> Option<usize> {
    let message_id = message_id?;
    p.approvers.iter().position(|a| {
        a.delivery.provider.as_deref() == Some(provider)
            && a.delivery.message_id.as_deref() == Some(message_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;
    use crate::core::pause::{Channel, DeliveryStatus};
    use crate::core::policy::model::{Approver, Contact};

    fn two() -> Pause {
        let mut p = sample(None);
        p.approvers = (0..2)
            .map(|i| Approver {
                id: format!("a{i}"),
                name: None,
                contacts: vec![Contact {
                    channel: if i == 0 { Channel::Sms } else { Channel::Email },
                    recipient: format!("r{i}"),
                }],
                contact: 0,
                level: 0,
                asked_at: Some(1),
                link: format!("http://x/r/t{i}"),
                delivery: Default::default(),
                attempts: vec![],
            })
            .collect();
        p
    }

    #[test]
    fn each_approver_is_addressed_with_their_own_contact_and_link() {
        let p = two();
        let v = addressed(&p, 1).unwrap();
        assert_eq!((v.channel, v.recipient.as_str()), (Channel::Email, "r1"));
        assert_eq!(v.link, "http://x/r/t1");
        assert!(addressed(&p, 2).is_none());
    }

    #[test]
    fn outcomes_land_on_the_approver_and_the_first_one_shows_on_top() {
        let mut p = two();
        let sent = DeliveryOutcome::Sent {
            provider: "twilio".into(),
            message_id: Some("SM1".into()),
            conversation: None,
        };
        record(&mut p, Some(1), &sent, 5);
        assert_eq!(p.approvers[1].delivery.status, DeliveryStatus::Sent);
        assert_eq!(p.approvers[1].attempts.len(), 1);
        assert_eq!(p.delivery.status, DeliveryStatus::Queued);
        record(&mut p, Some(0), &sent, 6);
        assert_eq!(p.delivery.status, DeliveryStatus::Sent);
        assert_eq!(by_message(&p, "twilio", Some("SM1")), Some(0));
        assert_eq!(by_message(&p, "twilio", Some("SM9")), None);
        assert_eq!(by_message(&p, "twilio", None), None);
        p.approvers[0].delivery.status = DeliveryStatus::Delivered;
        reported(&mut p, 0);
        assert_eq!(p.approvers[0].attempts[0].status, DeliveryStatus::Delivered);
        assert_eq!(p.delivery.status, DeliveryStatus::Delivered);
    }
}
