//! Channel fallback, pure: every send to an approver is kept in their `attempts`
//! (`policy::delivery::record`, and `reported` for a provider's later report); when
//! the contact in use fails for good (a permanent refusal, or the provider's later
//! report `failed`/`undelivered`), the next contact of the approver is tried; with
//! none left the approver stays unreachable. The object runs the send and records
//! the audit event (`delivery.fallback`) this returns.
//!
//! An attempt whose outcome is unknown (the Worker died during a provider call that is
//! not safe to repeat) is not a failure: the message may well have arrived, and only
//! the provider's report can tell. Such a report, if it says failed, falls back then.

use super::model::{Approver, Contact};
use crate::core::delivery::OUTCOME_UNKNOWN;
use crate::core::pause::{Delivery, DeliveryStatus};

/// What became of an approver whose contact failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// `to` is now the contact in use; send to it.
    Next { from: Contact, to: Contact },
    /// No contact left: every one of the approver's contacts failed.
    Unreachable { tried: usize },
}

impl Fallback {
    /// The `delivery.fallback` audit context.
    pub(crate) fn audit_context(
        &self,
        a: &Approver,
        error_code: Option<&str>,
    ) -> serde_json::Value {
        let contact = |c: &Contact| serde_json::json!({"channel": c.channel.as_str(), "recipient": c.recipient});
        match self {
            Fallback::Next { from, to } => serde_json::json!({
                "approver": a.id, "from": contact(from), "to": contact(to),
                "error_code": error_code, "unreachable": false,
            }),
            Fallback::Unreachable { tried } => serde_json::json!({
                "approver": a.id, "from": contact(a.current()), "to": null,
                "error_code": error_code, "unreachable": true, "contacts_tried": tried,
            }),
        }
    }
}

/// Has the contact in use failed for good (not merely retrying, nor unknown)?
pub(crate) fn failed_for_good(d: &Delivery) -> bool {
    d.status == DeliveryStatus::Failed && d.error_code.as_deref() != Some(OUTCOME_UNKNOWN)
}

/// Call after a send's outcome (`policy::delivery::record`) or a provider's report
/// (`policy::delivery::reported`) was recorded on the approver, attempts included:
/// falls back if the contact in use failed for good.
pub(crate) fn after_failure(a: &mut Approver) -> Option<Fallback> {
    fall_back_if_failed(a)
}

fn fall_back_if_failed(a: &mut Approver) -> Option<Fallback> {
    if !failed_for_good(&a.delivery) {
        return None;
    }
    let next = usize::from(a.contact) + 1;
    if next >= a.contacts.len() {
        return Some(Fallback::Unreachable {
            tried: a.contacts.len(),
        });
    }
    let from = a.current().clone();
    a.contact = u8::try_from(next).unwrap_or(u8::MAX);
    // A fresh delivery for the new contact: its own status, provider and message id.
    a.delivery = Delivery::default();
    Some(Fallback::Next {
        from,
        to: a.current().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::delivery::{apply_status_report, DeliveryOutcome};
    use crate::core::pause::tests::sample;
    use crate::core::pause::{Channel, Pause};
    use crate::core::policy::delivery::{record, reported};

    /// Dana: SMS first, email as her fallback.
    fn with_dana() -> Pause {
        let mut p = sample(None);
        p.approvers = vec![Approver {
            id: "dana".into(),
            name: Some("Dana (CFO)".into()),
            contacts: vec![
                Contact {
                    channel: Channel::Sms,
                    recipient: "+13128471928".into(),
                },
                Contact {
                    channel: Channel::Email,
                    recipient: "dana@example.com".into(),
                },
            ],
            contact: 0,
            level: 0,
            asked_at: Some(1),
            link: String::new(),
            delivery: Delivery::default(),
            attempts: vec![],
        }];
        p
    }

    fn permanent(code: &str) -> DeliveryOutcome {
        DeliveryOutcome::Permanent {
            provider: "twilio".into(),
            code: code.into(),
            message: "refused".into(),
        }
    }

    fn sent() -> DeliveryOutcome {
        DeliveryOutcome::Sent {
            provider: "twilio".into(),
            message_id: Some("SM1".into()),
            conversation: None,
        }
    }

    #[test]
    fn a_permanent_failure_moves_to_the_next_contact_then_none_is_left() {
        let mut p = with_dana();
        record(&mut p, Some(0), &permanent("21211"), 10);
        let a = &mut p.approvers[0];
        let f = after_failure(a).expect("falls back");
        assert_eq!(
            f,
            Fallback::Next {
                from: a.contacts[0].clone(),
                to: a.contacts[1].clone()
            }
        );
        assert_eq!((a.contact, a.delivery.status), (1, DeliveryStatus::Queued));
        let ctx = f.audit_context(a, Some("21211"));
        assert_eq!(ctx["to"]["channel"], "email");
        assert_eq!(ctx["unreachable"], false);
        // The email bounces too: nothing left.
        let bounced = DeliveryOutcome::Permanent {
            provider: "resend".into(),
            code: "validation_error".into(),
            message: "bad".into(),
        };
        record(&mut p, Some(0), &bounced, 20);
        let a = &mut p.approvers[0];
        let f = after_failure(a).expect("reports unreachable");
        assert_eq!(f, Fallback::Unreachable { tried: 2 });
        assert_eq!(a.contact, 1);
        assert_eq!(f.audit_context(a, None)["unreachable"], true);
        // Every attempt is kept, in order.
        let seen: Vec<_> = a
            .attempts
            .iter()
            .map(|t| (t.channel, t.status, t.error_code.as_deref(), t.at))
            .collect();
        assert_eq!(
            seen,
            vec![
                (Channel::Sms, DeliveryStatus::Failed, Some("21211"), 10),
                (
                    Channel::Email,
                    DeliveryStatus::Failed,
                    Some("validation_error"),
                    20
                )
            ]
        );
    }

    #[test]
    fn sent_and_retrying_do_not_fall_back() {
        let mut p = with_dana();
        let transient = DeliveryOutcome::Transient {
            provider: "twilio".into(),
            message: "503".into(),
        };
        record(&mut p, Some(0), &transient, 1);
        assert_eq!(after_failure(&mut p.approvers[0]), None);
        record(&mut p, Some(0), &sent(), 2);
        assert_eq!(after_failure(&mut p.approvers[0]), None);
        assert_eq!(p.approvers[0].contact, 0);
    }

    #[test]
    fn a_failed_report_after_sent_falls_back() {
        let mut p = with_dana();
        record(&mut p, Some(0), &sent(), 1);
        assert_eq!(after_failure(&mut p.approvers[0]), None);
        assert!(apply_status_report(
            &mut p.approvers[0].delivery,
            "undelivered",
            Some("30003"),
            None,
            5
        ));
        reported(&mut p, 0);
        let a = &mut p.approvers[0];
        let f = after_failure(a).expect("falls back");
        assert!(matches!(f, Fallback::Next { .. }));
        assert_eq!(a.attempts.len(), 1, "the report updates the SMS attempt");
        assert_eq!(
            (a.attempts[0].status, a.attempts[0].error_code.as_deref()),
            (DeliveryStatus::Failed, Some("30003"))
        );
        assert_eq!(a.current().channel, Channel::Email);
        // A delivered report changes the attempt and falls back on nothing.
        let mut q = with_dana();
        record(&mut q, Some(0), &sent(), 1);
        assert!(apply_status_report(
            &mut q.approvers[0].delivery,
            "delivered",
            None,
            None,
            3
        ));
        reported(&mut q, 0);
        assert_eq!(after_failure(&mut q.approvers[0]), None);
        assert_eq!(q.approvers[0].attempts[0].status, DeliveryStatus::Delivered);
    }

    #[test]
    fn an_unknown_outcome_is_not_a_failure_to_fall_back_on() {
        let mut p = with_dana();
        record(&mut p, Some(0), &permanent(OUTCOME_UNKNOWN), 1);
        let a = &mut p.approvers[0];
        assert_eq!(after_failure(a), None);
        assert_eq!(a.contact, 0);
        // The provider's report can still say it failed.
        a.delivery.error_code = Some("30005".into());
        assert!(after_failure(a).is_some());
        assert_eq!(a.contact, 1);
    }

    #[test]
    fn an_approver_without_fallbacks_is_unreachable_at_once() {
        let mut p = with_dana();
        p.approvers[0].contacts.truncate(1);
        record(&mut p, Some(0), &permanent("21610"), 1);
        assert_eq!(
            after_failure(&mut p.approvers[0]),
            Some(Fallback::Unreachable { tried: 1 })
        );
    }
}
