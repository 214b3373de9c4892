//! The pause object's transactional outbox, pure: what an effect is, and the one rule
//! that says which effects are due now and when the object must wake next. The
//! object's `flush` runs what this says is due; its `arm` sets the alarm it says.

use serde::{Deserialize, Serialize};

use super::audit::AuditEvent;
use super::webhook::event::EventType;

/// Work that must happen because of a change, recorded with it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Effect {
    /// Upsert the D1 listing row with the current state.
    Index,
    /// Send the question: to the recipient (`approver: None`, the form stored before
    /// policies existed) or to the approver with this index in `Pause::approvers`.
    Deliver {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approver: Option<u8>,
    },
    /// Send a reminder of the question (same link) to the recipient (`None`) or the
    /// approver with this index, unless they answered meanwhile.
    Remind {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approver: Option<u8>,
        /// Which reminder (1-based): each is a message of its own.
        number: u8,
    },
    /// Insert an audit row (already chained) into D1.
    Audit { event: Box<AuditEvent> },
    /// Record the webhook event and enqueue its delivery (only with a `webhook_url`).
    /// `nth` tells apart events that happen more than once (the vote's index for
    /// `vote_recorded`, the level's for `escalated`).
    Webhook {
        event: EventType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nth: Option<u8>,
    },
}

impl Effect {
    /// Background effects never run inside a request: the API answers first.
    pub(crate) fn background(&self) -> bool {
        matches!(self, Effect::Deliver { .. } | Effect::Remind { .. })
    }

    /// One D1 write and nothing else: a flush sends those due in one batch.
    pub(crate) fn d1_write(&self) -> bool {
        matches!(self, Effect::Index | Effect::Audit { .. })
    }

    /// A webhook event: a flush emits those due together (one D1 batch, one queue batch).
    pub(crate) fn webhook(&self) -> bool {
        matches!(self, Effect::Webhook { .. })
    }
}

/// The effects of a transition: the webhook if one is wanted, then the listing row.
/// The index row comes last: it waits for the effects before it (see [`plan`]).
pub(crate) fn effects_of(has_webhook: bool, event: EventType) -> Vec<Effect> {
    let mut effects = Vec::with_capacity(2);
    if has_webhook {
        effects.push(Effect::Webhook { event, nth: None });
    }
    effects.push(Effect::Index);
    effects
}

/// One outbox row as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub seq: i64,
    pub effect: Effect,
    pub attempts: i64,
    /// Not before this time (Unix ms): the retry delay of a failed attempt.
    pub next_at: i64,
    /// While an attempt runs, the instance that holds it and until when.
    pub lease_until: i64,
    pub lease_owner: Option<String>,
}

/// What the outbox asks for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Rows to run now, by seq, in order.
    pub due: Vec<i64>,
    /// When to wake next (the alarm): `None` when nothing waits.
    pub wake_at: Option<i64>,
}

/// Which rows are due at `now` for the object instance `instance`, and when to wake.
///
/// - Rows run in seq order. The listing row (`Index`) shows a state only once that
///   state's earlier effects are done, so it waits behind any earlier row that is not
///   background (a pause still `pending` in the index is what the restart sweep
///   recovers); a due row ahead of it counts as done only once it succeeded, so the
///   caller plans again after each run.
/// - A row leased by this instance is running now; a lease of another instance died
///   with it (one instance at a time) and is taken over at once.
/// - Background rows (`Deliver`) run only when `background` (the alarm, never a
///   request).
/// - `wake_at` is the earliest due time among the rows that are not waiting behind
///   others (this instance's running rows at their lease's end), and the pause's
///   `deadline` (`Some` while it is pending).
pub(crate) fn plan(
    rows: &[Row],
    now: i64,
    instance: &str,
    background: bool,
    deadline: Option<i64>,
) -> Plan {
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| r.seq);
    let mut due = Vec::new();
    let mut wake_at = deadline;
    // Flush: an earlier effect that is not done holds the index back.
    let mut earlier_pending = false;
    // Wake: any earlier effect that is not background holds the index back.
    let mut earlier_foreground = false;
    for r in sorted {
        let bg = r.effect.background();
        let is_index = r.effect == Effect::Index;
        let ours = r.lease_owner.as_deref() == Some(instance);
        if !(is_index && earlier_foreground) {
            let at = if ours {
                r.next_at.max(r.lease_until)
            } else {
                r.next_at
            };
            wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
        }
        earlier_foreground |= !bg;
        if is_index && earlier_pending {
            continue;
        }
        let leased_here = ours && r.lease_until > now;
        if r.next_at <= now && !leased_here && (background || !bg) {
            due.push(r.seq);
        } else {
            earlier_pending |= !bg;
        }
    }
    Plan { due, wake_at }
}

/// What a flush does next with the rows [`plan`] gives as due (less those it tried).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Emit these webhook events together: their rows in one D1 batch, their first
    /// attempts in one queue batch, so a commit's events do not wait for each other.
    Webhooks(Vec<i64>),
    /// Send these D1 writes (audit rows, the listing row) in one batch.
    Batch(Vec<i64>),
    /// Run this effect alone: it calls out (delivery, a reminder).
    One(i64),
    Done,
}

/// The order of a flush: every webhook event due first, together (the listing row may
/// wait for them), planning again after; then every D1 write due, together, in one
/// round trip; background effects (delivery) last, one at a time, so no audit row
/// waits for a provider.
pub(crate) fn next_step(due: &[&Row]) -> Step {
    let of = |keep: fn(&Effect) -> bool| -> Vec<i64> {
        due.iter()
            .filter(|r| keep(&r.effect))
            .map(|r| r.seq)
            .collect()
    };
    let hooks = of(Effect::webhook);
    if !hooks.is_empty() {
        return Step::Webhooks(hooks);
    }
    let writes = of(Effect::d1_write);
    if !writes.is_empty() {
        return Step::Batch(writes);
    }
    due.first().map_or(Step::Done, |r| Step::One(r.seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::audit::ChainHead;

    const ME: &str = "me";

    fn row(seq: i64, effect: Effect) -> Row {
        Row {
            seq,
            effect,
            attempts: 0,
            next_at: 0,
            lease_until: 0,
            lease_owner: None,
        }
    }

    fn audit() -> Effect {
        let head = ChainHead::default();
        let (event, _) = crate::core::audit::append(
            &head,
            crate::core::audit::NewEvent {
                event_id: "evt_1".into(),
                pause_id: "pause_1",
                account_id: "acct_1",
                at: 1,
                actor: "system".into(),
                kind: crate::core::audit::AuditKind::PauseCreated,
                context: &serde_json::json!({}),
            },
        );
        Effect::Audit {
            event: Box::new(event),
        }
    }

    fn webhook() -> Effect {
        Effect::Webhook {
            event: EventType::Responded,
            nth: None,
        }
    }

    #[test]
    fn effects_keep_their_stored_form() {
        // Rows written before this module existed must still read.
        let stored = [
            r#"{"kind":"index"}"#,
            r#"{"kind":"deliver"}"#,
            r#"{"kind":"deliver","approver":2}"#,
            r#"{"kind":"remind","number":1}"#,
            r#"{"kind":"remind","approver":1,"number":2}"#,
        ];
        let effects = [
            Effect::Index,
            Effect::Deliver { approver: None },
            Effect::Deliver { approver: Some(2) },
            Effect::Remind {
                approver: None,
                number: 1,
            },
            Effect::Remind {
                approver: Some(1),
                number: 2,
            },
        ];
        for (text, e) in stored.iter().zip(effects) {
            assert_eq!(serde_json::to_string(&e).unwrap(), *text);
            assert_eq!(serde_json::from_str::<Effect>(text).unwrap(), e);
        }
        let w = serde_json::to_string(&webhook()).unwrap();
        assert_eq!(w, r#"{"kind":"webhook","event":"responded"}"#);
        let a = audit();
        let back: Effect = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn transitions_put_the_index_last() {
        assert_eq!(
            effects_of(true, EventType::Cancelled),
            vec![
                Effect::Webhook {
                    event: EventType::Cancelled,
                    nth: None
                },
                Effect::Index
            ]
        );
        assert_eq!(effects_of(false, EventType::Cancelled), vec![Effect::Index]);
    }

    #[test]
    fn everything_due_runs_in_order() {
        let rows = vec![row(3, Effect::Index), row(1, audit()), row(2, webhook())];
        let p = plan(&rows, 100, ME, false, None);
        assert_eq!(p.due, vec![1, 2, 3]);
        assert_eq!(p.wake_at, Some(0));
    }

    #[test]
    fn the_index_waits_behind_a_failing_webhook_effect() {
        let mut w = row(1, webhook());
        w.attempts = 2;
        w.next_at = 5_000;
        let rows = vec![w, row(2, Effect::Index), row(3, audit())];
        let p = plan(&rows, 100, ME, true, None);
        // The audit row after it is independent and runs; the index does not.
        assert_eq!(p.due, vec![3]);
        // It wakes with the webhook's retry, not for the index (which is due already).
        let p = plan(&rows[..2], 100, ME, true, None);
        assert_eq!((p.due, p.wake_at), (vec![], Some(5_000)));
    }

    #[test]
    fn deliver_is_background_and_never_holds_the_index() {
        let rows = vec![
            row(1, Effect::Deliver { approver: None }),
            row(2, Effect::Index),
        ];
        // Inside a request: the index runs, delivery waits for the alarm...
        let p = plan(&rows, 100, ME, false, None);
        assert_eq!(p.due, vec![2]);
        // ...which the wake time asks for at once.
        assert_eq!(p.wake_at, Some(0));
        // In the alarm both run.
        assert_eq!(plan(&rows, 100, ME, true, None).due, vec![1, 2]);
        // A delivery retrying later holds nothing back either.
        let mut d = row(1, Effect::Deliver { approver: None });
        d.next_at = 9_000;
        let p = plan(&[d, row(2, Effect::Index)], 100, ME, true, None);
        assert_eq!((p.due, p.wake_at), (vec![2], Some(0)));
    }

    #[test]
    fn a_lease_of_this_instance_is_running_one_of_another_is_dead() {
        let mut mine = row(1, audit());
        mine.lease_owner = Some(ME.into());
        mine.lease_until = 60_100;
        let rows = vec![mine.clone(), row(2, Effect::Index)];
        let p = plan(&rows, 100, ME, true, None);
        // Running here: not due again, and the index waits for it.
        assert_eq!(p.due, Vec::<i64>::new());
        // Wake when the lease runs out, in case the run never finishes.
        assert_eq!(p.wake_at, Some(60_100));
        // The same lease held by an earlier instance: taken over now.
        let mut theirs = mine.clone();
        theirs.lease_owner = Some("earlier".into());
        let p = plan(&[theirs, row(2, Effect::Index)], 100, ME, true, None);
        assert_eq!((p.due, p.wake_at), (vec![1, 2], Some(0)));
        // Our own lease that expired: due again.
        let mut stale = mine;
        stale.lease_until = 50;
        assert_eq!(plan(&[stale], 100, ME, true, None).due, vec![1]);
    }

    #[test]
    fn wake_is_the_earliest_of_retries_and_the_deadline() {
        let mut a = row(1, audit());
        a.next_at = 7_000;
        let mut w = row(2, webhook());
        w.next_at = 3_000;
        let rows = vec![a, w];
        assert_eq!(plan(&rows, 100, ME, true, Some(2_000)).wake_at, Some(2_000));
        assert_eq!(plan(&rows, 100, ME, true, Some(9_000)).wake_at, Some(3_000));
        assert_eq!(plan(&rows, 100, ME, true, None).wake_at, Some(3_000));
        assert_eq!(plan(&[], 100, ME, true, Some(9_000)).wake_at, Some(9_000));
        assert_eq!(
            plan(&[], 100, ME, true, None),
            Plan {
                due: vec![],
                wake_at: None
            }
        );
    }

    #[test]
    fn an_index_behind_a_retrying_delivery_and_a_failing_audit_waits() {
        let mut d = row(1, Effect::Deliver { approver: None });
        d.next_at = 1_000;
        let mut a = row(2, audit());
        a.next_at = 4_000;
        let rows = vec![d, a, row(3, Effect::Index)];
        let p = plan(&rows, 100, ME, true, None);
        assert_eq!((p.due, p.wake_at), (vec![], Some(1_000)));
    }

    #[test]
    fn a_flush_calls_out_first_then_batches_the_d1_writes_then_delivers() {
        assert!(Effect::Index.d1_write() && audit().d1_write());
        assert!(!Effect::Deliver { approver: None }.d1_write() && !webhook().d1_write());
        // A create: listing row, delivery, the pause.created audit row.
        let created = [
            row(1, Effect::Index),
            row(2, Effect::Deliver { approver: None }),
            row(3, audit()),
        ];
        let all: Vec<&Row> = created.iter().collect();
        assert_eq!(next_step(&all), Step::Batch(vec![1, 3]));
        assert_eq!(next_step(&all[1..2]), Step::One(2));
        // An answer with a webhook: the webhook first; then audit and index.
        let answered = [row(4, audit()), row(5, webhook()), row(6, Effect::Index)];
        let all: Vec<&Row> = answered.iter().collect();
        assert_eq!(next_step(&all), Step::Webhooks(vec![5]));
        let rest: Vec<&Row> = [&answered[0], &answered[2]].into();
        assert_eq!(next_step(&rest), Step::Batch(vec![4, 6]));
        assert_eq!(next_step(&[]), Step::Done);
    }

    #[test]
    fn after_a_failing_webhook_the_batch_holds_the_audit_row_but_not_the_index() {
        let mut w = row(2, webhook());
        w.next_at = 5_000; // failed, retried later
        let rows = vec![row(1, audit()), w, row(3, Effect::Index)];
        let due = plan(&rows, 100, ME, false, None).due;
        assert_eq!(due, vec![1]);
        let due: Vec<&Row> = rows.iter().filter(|r| due.contains(&r.seq)).collect();
        assert_eq!(next_step(&due), Step::Batch(vec![1]));
    }

    fn vote_recorded(nth: u8) -> Effect {
        Effect::Webhook {
            event: EventType::VoteRecorded,
            nth: Some(nth),
        }
    }

    #[test]
    fn the_webhook_events_of_a_deciding_vote_leave_together() {
        // A quorum's deciding tap: vote and decision audit rows, two events, the index.
        let rows = vec![
            row(1, audit()),
            row(2, audit()),
            row(3, vote_recorded(1)),
            row(4, webhook()),
            row(5, Effect::Index),
        ];
        let due = plan(&rows, 100, ME, false, None).due;
        assert_eq!(due, vec![1, 2, 3, 4, 5]);
        let all: Vec<&Row> = rows.iter().collect();
        assert_eq!(next_step(&all), Step::Webhooks(vec![3, 4]));
        // Once both are done, the D1 writes go in one batch.
        let rest: Vec<&Row> = [&rows[0], &rows[1], &rows[4]].into();
        assert_eq!(next_step(&rest), Step::Batch(vec![1, 2, 5]));
    }

    #[test]
    fn a_webhook_event_retrying_later_does_not_hold_back_one_due_now_but_holds_the_index() {
        let mut v = row(1, vote_recorded(0));
        v.attempts = 1;
        v.next_at = 5_000;
        let rows = vec![v, row(2, webhook()), row(3, Effect::Index)];
        let due = plan(&rows, 100, ME, false, None).due;
        assert_eq!(due, vec![2]);
        let due: Vec<&Row> = rows.iter().filter(|r| due.contains(&r.seq)).collect();
        assert_eq!(next_step(&due), Step::Webhooks(vec![2]));
        // Delivery and reminders are not webhooks: they never join the group.
        let bg = [
            row(1, Effect::Deliver { approver: Some(0) }),
            row(2, webhook()),
            row(
                3,
                Effect::Remind {
                    approver: None,
                    number: 1,
                },
            ),
        ];
        let all: Vec<&Row> = bg.iter().collect();
        assert_eq!(next_step(&all), Step::Webhooks(vec![2]));
        assert_eq!(next_step(&[&bg[0], &bg[2]]), Step::One(1));
    }
}
