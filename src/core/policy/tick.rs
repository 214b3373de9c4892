//! What the policy's clock does to a pause when it wakes, pure: the due escalation
//! levels are reached (their approvers asked), the due reminder is counted and its
//! recipients named. The object turns the result into effects and audit events.

use super::schedule::{due, reminder_recipients, reminder_slots, Timers};
use crate::core::pause::{DeliveryStatus, Pause};

/// What a wake-up changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Tick {
    /// Each level reached now (1-based, as `Approver::level`) with the approvers it
    /// added (indexes into `Pause::approvers`).
    pub escalated: Vec<(u8, Vec<u8>)>,
    pub reminder: Option<ReminderSent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReminderSent {
    /// The pause's reminder count once this one is recorded.
    pub number: u8,
    /// Who gets it: `None` is a single-recipient pause's recipient.
    pub to: Vec<Option<u8>>,
}

impl Tick {
    pub(crate) fn is_empty(&self) -> bool {
        self.escalated.is_empty() && self.reminder.is_none()
    }
}

/// Applies what is due at `now` to `p` (bumping its version when anything changed).
pub(crate) fn tick(p: &mut Pause, now: i64) -> Tick {
    let d = due(&Timers::of(p), now);
    let mut out = Tick::default();
    for k in d.levels {
        let level = u8::try_from(k + 1).unwrap_or(u8::MAX);
        p.escalation[k].reached_at = Some(now);
        let mut added = Vec::new();
        for (i, a) in p.approvers.iter_mut().enumerate() {
            if a.level == level && a.asked_at.is_none() {
                a.asked_at = Some(now);
                added.extend(u8::try_from(i).ok());
            }
        }
        out.escalated.push((level, added));
    }
    if let (Some(r), Some(rem)) = (d.reminder, p.reminders.as_mut()) {
        rem.sent = u8::try_from(r.slots_done).unwrap_or(u8::MAX);
        let to = if p.approvers.is_empty() {
            vec![None]
        } else {
            let who = p.approvers.iter().map(|a| {
                let voted = p.votes.iter().any(|v| v.approver == a.id);
                // A contact that failed for good is not worth a reminder.
                let unreachable = a.delivery.status == DeliveryStatus::Failed;
                (a.asked_at, voted || unreachable)
            });
            reminder_recipients(who, r.slot_at)
                .into_iter()
                .filter_map(|i| u8::try_from(i).ok().map(Some))
                .collect()
        };
        out.reminder = Some(ReminderSent {
            number: rem.sent,
            to,
        });
    }
    if !out.is_empty() {
        p.version += 1;
    }
    out
}

/// When the policy's clock next needs the object (the pause's deadline included),
/// or `None` once the pause has ended.
pub(crate) fn wake_at(p: &Pause, now: i64) -> Option<i64> {
    due(&Timers::of(p), now).wake_at
}

/// When the next reminder goes out (`reminders.next_at` in the API), `None` once none
/// is left or the pause has ended.
pub(crate) fn next_reminder_at(p: &Pause) -> Option<i64> {
    let r = p.reminders.as_ref()?;
    if p.status != crate::core::pause::Status::Pending {
        return None;
    }
    reminder_slots(&r.schedule, p.created_at, p.expires_at)
        .get(usize::from(r.sent))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pause::tests::sample;
    use crate::core::pause::{Channel, Status};
    use crate::core::policy::model::{
        Approver, Contact, EscalationLevel, ReminderSchedule, Reminders, Vote,
    };

    const S: i64 = 1000;
    /// `sample`'s `created_at`.
    const C: i64 = 1_000;

    fn approver(id: &str, level: u8, asked_at: Option<i64>) -> Approver {
        Approver {
            id: id.into(),
            name: None,
            contacts: vec![Contact {
                channel: Channel::Email,
                recipient: format!("{id}@example.com"),
            }],
            contact: 0,
            level,
            asked_at,
            link: String::new(),
            delivery: Default::default(),
            attempts: vec![],
        }
    }

    /// Created at 1 s, deadline at 1000 s; Dana and Lee asked at creation, the deputy
    /// at 100 s, the CEO at 200 s; reminders every 300 s, at most 3.
    fn escalating() -> Pause {
        let mut p = sample(Some("Reject"));
        p.expires_at = 1000 * S;
        p.approvers = vec![
            approver("dana", 0, Some(p.created_at)),
            approver("lee", 0, Some(p.created_at)),
            approver("deputy", 1, None),
            approver("ceo", 2, None),
        ];
        p.escalation = [100, 200]
            .map(|after_seconds| EscalationLevel {
                after_seconds,
                reached_at: None,
            })
            .to_vec();
        p.reminders = Some(Reminders {
            schedule: ReminderSchedule::Every {
                seconds: 300,
                max: 3,
            },
            sent: 0,
        });
        p
    }

    #[test]
    fn a_due_level_asks_its_approvers_once() {
        let mut p = escalating();
        assert_eq!(wake_at(&p, 2 * S), Some(p.created_at + 100 * S));
        assert!(tick(&mut p, 50 * S).is_empty());
        let v = p.version;
        let t = tick(&mut p, C + 100 * S);
        assert_eq!(t.escalated, vec![(1, vec![2])]);
        assert_eq!(p.escalation[0].reached_at, Some(p.created_at + 100 * S));
        assert_eq!(p.approvers[2].asked_at, Some(p.created_at + 100 * S));
        assert_eq!(p.approvers[3].asked_at, None);
        assert_eq!(p.version, v + 1);
        assert!(tick(&mut p, C + 150 * S).is_empty());
        assert_eq!(p.version, v + 1);
        assert_eq!(wake_at(&p, 150 * S), Some(p.created_at + 200 * S));
    }

    #[test]
    fn a_late_wake_reaches_both_levels_and_reminds_only_those_asked_before() {
        let mut p = escalating();
        p.votes.push(Vote {
            approver: "lee".into(),
            name: None,
            choice: "Approve".into(),
            comment: None,
            at: 5 * S,
            via: "page".into(),
        });
        let now = p.created_at + 320 * S;
        let t = tick(&mut p, now);
        assert_eq!(t.escalated, vec![(1, vec![2]), (2, vec![3])]);
        // Lee voted; the deputy and the CEO were asked just now, after the slot.
        assert_eq!(
            t.reminder,
            Some(ReminderSent {
                number: 1,
                to: vec![Some(0)]
            })
        );
        assert_eq!(p.reminders.as_ref().unwrap().sent, 1);
        // The next reminder goes to everyone asked and silent.
        let t = tick(&mut p, C + 600 * S);
        assert_eq!(
            t.reminder.map(|r| (r.number, r.to)),
            Some((2, vec![Some(0), Some(2), Some(3)]))
        );
    }

    #[test]
    fn unreachable_approvers_get_no_reminder() {
        let mut p = escalating();
        p.approvers[0].delivery.status = DeliveryStatus::Failed;
        assert_eq!(tick(&mut p, C + 250 * S).escalated.len(), 2);
        let t = tick(&mut p, C + 300 * S);
        assert_eq!(
            t.reminder.map(|r| r.to),
            Some(vec![Some(1), Some(2), Some(3)])
        );
    }

    #[test]
    fn a_single_recipient_pause_reminds_its_recipient() {
        let mut p = sample(None);
        p.expires_at = 1000 * S;
        p.reminders = Some(Reminders {
            schedule: ReminderSchedule::BeforeTimeout { seconds: vec![100] },
            sent: 0,
        });
        assert_eq!(wake_at(&p, 2 * S), Some(900 * S));
        assert_eq!(next_reminder_at(&p), Some(900 * S));
        let t = tick(&mut p, 900 * S);
        assert_eq!(next_reminder_at(&p), None);
        assert_eq!(t.reminder.map(|r| r.to), Some(vec![None]));
        assert!(tick(&mut p, 950 * S).is_empty());
        assert_eq!(wake_at(&p, 950 * S), Some(1000 * S));
    }

    #[test]
    fn an_ended_pause_does_nothing_and_needs_no_wake() {
        let mut p = escalating();
        p.status = Status::Responded;
        assert!(tick(&mut p, 500 * S).is_empty());
        assert_eq!(wake_at(&p, 500 * S), None);
        assert!(p.escalation.iter().all(|l| l.reached_at.is_none()));
    }
}
