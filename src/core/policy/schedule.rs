//! The policy's clock, pure: which escalation levels and which reminder are due at
//! `now`, and when the object must wake next for them.
//!
//! Every timer is a fixed moment computed from the pause (`created_at` + a level's
//! delay, a reminder slot), and the pause records how many of each it has used
//! (levels reached, reminder slots done). So a wake-up that comes late (a restart
//! lost the alarm) fires what it missed exactly once: a level that is due is added
//! once; reminder slots that all passed are sent as one reminder, not one per slot
//! (the same question twice in one second helps nobody), and never more than the
//! configured count. Nothing is due once the pause has ended or its deadline passed.

use super::model::ReminderSchedule;
use crate::core::pause::{Pause, Status};

/// Seconds (as the request gives them) in milliseconds, saturating.
fn ms(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000)
}

/// What the schedule needs to know about a pause.
#[derive(Debug, Clone)]
pub(crate) struct Timers<'a> {
    pub created_at: i64,
    pub expires_at: i64,
    /// Still waiting for a decision.
    pub pending: bool,
    /// Each escalation level's delay after `created_at` (ms), in level order.
    pub level_delays: Vec<i64>,
    /// Levels already added (they are added in order).
    pub levels_reached: usize,
    pub reminders: Option<&'a ReminderSchedule>,
    /// Reminder slots already used (sent, or passed over by a late reminder).
    pub reminder_slots_done: usize,
}

impl<'a> Timers<'a> {
    /// The timers of a pause as stored.
    pub(crate) fn of(p: &'a Pause) -> Self {
        Timers {
            created_at: p.created_at,
            expires_at: p.expires_at,
            pending: p.status == Status::Pending,
            level_delays: p.escalation.iter().map(|l| ms(l.after_seconds)).collect(),
            levels_reached: p
                .escalation
                .iter()
                .take_while(|l| l.reached_at.is_some())
                .count(),
            reminders: p.reminders.as_ref().map(|r| &r.schedule),
            reminder_slots_done: p.reminders.as_ref().map_or(0, |r| usize::from(r.sent)),
        }
    }
}

/// What is due at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Due {
    /// Escalation levels to add now, in order.
    pub levels: Vec<usize>,
    /// A reminder to send now.
    pub reminder: Option<Reminder>,
    /// When to wake next once this is done: the next level, reminder slot, or the
    /// deadline; always later than `now`; `None` when the pause has ended.
    pub wake_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reminder {
    /// The slot's own time (the latest one that passed): who was asked before it and
    /// has not voted gets the reminder.
    pub slot_at: i64,
    /// `reminder_slots_done` once this reminder is recorded.
    pub slots_done: usize,
}

/// The reminder slots of a pause, ascending: the moments strictly between creation
/// and the deadline, at most the configured count.
pub(crate) fn reminder_slots(r: &ReminderSchedule, created_at: i64, expires_at: i64) -> Vec<i64> {
    let inside = |t: &i64| *t > created_at && *t < expires_at;
    let mut slots: Vec<i64> = match r {
        ReminderSchedule::BeforeTimeout { seconds } => seconds
            .iter()
            .filter(|b| **b > 0)
            .map(|b| expires_at.saturating_sub(ms(*b)))
            .filter(inside)
            .collect(),
        ReminderSchedule::Every { seconds, max } if *seconds > 0 => (1..=i64::from(*max))
            .map(|k| created_at.saturating_add(ms(*seconds).saturating_mul(k)))
            .filter(inside)
            .collect(),
        ReminderSchedule::Every { .. } => Vec::new(),
    };
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// What is due at `now`, and the wake time after it is done.
pub(crate) fn due(t: &Timers, now: i64) -> Due {
    if !t.pending || now >= t.expires_at {
        return Due::default();
    }
    let level_at = |i: usize| t.created_at.saturating_add(t.level_delays[i]);
    let levels: Vec<usize> = (t.levels_reached..t.level_delays.len())
        .take_while(|i| level_at(*i) <= now)
        .collect();
    let next_level = levels.last().map_or(t.levels_reached, |l| l + 1);
    let slots = t
        .reminders
        .map(|r| reminder_slots(r, t.created_at, t.expires_at))
        .unwrap_or_default();
    let passed = slots.iter().filter(|s| **s <= now).count();
    let reminder = (passed > t.reminder_slots_done).then(|| Reminder {
        slot_at: slots[passed - 1],
        slots_done: passed,
    });
    let slots_done = passed.max(t.reminder_slots_done);
    let wake_at = [
        (next_level < t.level_delays.len()).then(|| level_at(next_level)),
        slots.get(slots_done).copied(),
        Some(t.expires_at),
    ]
    .into_iter()
    .flatten()
    .min();
    Due {
        levels,
        reminder,
        wake_at,
    }
}

/// Who a reminder goes to: approvers asked before the slot's time (not those added in
/// the same wake-up: they just got the question) who have not voted. Items are
/// `(asked_at, voted)` in approver order; the result holds their indexes.
pub(crate) fn reminder_recipients(
    approvers: impl IntoIterator<Item = (Option<i64>, bool)>,
    slot_at: i64,
) -> Vec<usize> {
    approvers
        .into_iter()
        .enumerate()
        .filter(|(_, (asked, voted))| !voted && asked.is_some_and(|a| a < slot_at))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_800_000_000_000;

    fn every(minutes: u64, max: u8) -> ReminderSchedule {
        ReminderSchedule::Every {
            seconds: minutes * 60,
            max,
        }
    }

    fn before(minutes: &[u64]) -> ReminderSchedule {
        ReminderSchedule::BeforeTimeout {
            seconds: minutes.iter().map(|m| m * 60).collect(),
        }
    }

    fn timers<'a>(delays: &[i64], reminders: Option<&'a ReminderSchedule>) -> Timers<'a> {
        Timers {
            created_at: T0,
            expires_at: T0 + 240 * MIN,
            pending: true,
            level_delays: delays.to_vec(),
            levels_reached: 0,
            reminders,
            reminder_slots_done: 0,
        }
    }

    #[test]
    fn nothing_is_due_before_the_first_level_and_it_wakes_for_it() {
        let t = timers(&[30 * MIN, 120 * MIN], None);
        let d = due(&t, T0 + MIN);
        assert_eq!(d.levels, Vec::<usize>::new());
        assert_eq!(d.reminder, None);
        assert_eq!(d.wake_at, Some(T0 + 30 * MIN));
    }

    #[test]
    fn a_level_is_due_at_its_time_and_the_next_one_is_the_wake() {
        let t = timers(&[30 * MIN, 120 * MIN], None);
        let d = due(&t, T0 + 30 * MIN);
        assert_eq!(d.levels, vec![0]);
        assert_eq!(d.wake_at, Some(T0 + 120 * MIN));
        // Once recorded, not again.
        let t = Timers {
            levels_reached: 1,
            ..t
        };
        let d = due(&t, T0 + 30 * MIN + 5);
        assert_eq!(d.levels, Vec::<usize>::new());
        assert_eq!(d.wake_at, Some(T0 + 120 * MIN));
        // After the last level, the deadline is the wake.
        let t = Timers {
            levels_reached: 2,
            ..t
        };
        assert_eq!(due(&t, T0 + 121 * MIN).wake_at, Some(T0 + 240 * MIN));
    }

    #[test]
    fn a_late_wake_adds_every_missed_level_once() {
        let t = timers(&[30 * MIN, 120 * MIN], None);
        let d = due(&t, T0 + 200 * MIN);
        assert_eq!(d.levels, vec![0, 1]);
        assert_eq!(d.wake_at, Some(T0 + 240 * MIN));
    }

    #[test]
    fn nothing_fires_once_the_pause_ended_or_its_deadline_passed() {
        let r = every(10, 3);
        let ended = Timers {
            pending: false,
            ..timers(&[30 * MIN], Some(&r))
        };
        assert_eq!(due(&ended, T0 + 100 * MIN), Due::default());
        let t = timers(&[30 * MIN], Some(&r));
        assert_eq!(due(&t, T0 + 240 * MIN), Due::default());
    }

    #[test]
    fn reminders_before_the_timeout() {
        let r = before(&[60, 10]);
        let t = timers(&[], Some(&r));
        assert_eq!(
            reminder_slots(&r, t.created_at, t.expires_at),
            vec![T0 + 180 * MIN, T0 + 230 * MIN]
        );
        assert_eq!(due(&t, T0).wake_at, Some(T0 + 180 * MIN));
        let d = due(&t, T0 + 180 * MIN);
        assert_eq!(
            d.reminder,
            Some(Reminder {
                slot_at: T0 + 180 * MIN,
                slots_done: 1
            })
        );
        assert_eq!(d.wake_at, Some(T0 + 230 * MIN));
        let t = Timers {
            reminder_slots_done: 1,
            ..t
        };
        assert_eq!(due(&t, T0 + 181 * MIN).reminder, None);
        let d = due(&t, T0 + 231 * MIN);
        assert_eq!(d.reminder.map(|r| r.slots_done), Some(2));
        assert_eq!(d.wake_at, Some(T0 + 240 * MIN));
    }

    #[test]
    fn reminders_every_n_stop_at_max_and_before_the_deadline() {
        let r = every(15, 3);
        assert_eq!(
            reminder_slots(&r, T0, T0 + 240 * MIN),
            vec![T0 + 15 * MIN, T0 + 30 * MIN, T0 + 45 * MIN]
        );
        // Slots at or after the deadline are dropped: the default fires then.
        let long = every(100, 3);
        assert_eq!(
            reminder_slots(&long, T0, T0 + 240 * MIN),
            vec![T0 + 100 * MIN, T0 + 200 * MIN]
        );
        let exact = every(120, 3);
        assert_eq!(
            reminder_slots(&exact, T0, T0 + 240 * MIN),
            vec![T0 + 120 * MIN]
        );
        let t = Timers {
            reminder_slots_done: 3,
            ..timers(&[], Some(&r))
        };
        assert_eq!(due(&t, T0 + 50 * MIN).reminder, None);
        assert_eq!(due(&t, T0 + 50 * MIN).wake_at, Some(T0 + 240 * MIN));
    }

    #[test]
    fn odd_reminder_settings_give_no_slots_rather_than_panic() {
        for r in [
            every(0, 3),
            ReminderSchedule::Every {
                seconds: u64::MAX,
                max: u8::MAX,
            },
            ReminderSchedule::Every {
                seconds: i64::MAX as u64 / 1000,
                max: 3,
            },
            ReminderSchedule::BeforeTimeout {
                seconds: vec![0, u64::MAX, i64::MAX as u64],
            },
        ] {
            assert!(reminder_slots(&r, T0, T0 + MIN).is_empty(), "{r:?}");
        }
        // Duplicates are one slot.
        let dup = before(&[1, 1]);
        assert_eq!(reminder_slots(&dup, T0, T0 + 10 * MIN).len(), 1);
    }

    #[test]
    fn a_late_wake_sends_one_reminder_for_all_the_slots_it_missed() {
        let r = every(15, 3);
        let t = timers(&[], Some(&r));
        let d = due(&t, T0 + 40 * MIN);
        assert_eq!(
            d.reminder,
            Some(Reminder {
                slot_at: T0 + 30 * MIN,
                slots_done: 2
            })
        );
        assert_eq!(d.wake_at, Some(T0 + 45 * MIN));
    }

    #[test]
    fn a_level_and_a_reminder_due_together_both_fire() {
        let r = every(30, 1);
        let d = due(&timers(&[30 * MIN], Some(&r)), T0 + 30 * MIN);
        assert_eq!(d.levels, vec![0]);
        assert_eq!(d.reminder.map(|r| r.slot_at), Some(T0 + 30 * MIN));
        assert_eq!(d.wake_at, Some(T0 + 240 * MIN));
    }

    #[test]
    fn reminders_go_to_those_asked_before_the_slot_who_have_not_voted() {
        let slot = T0 + 60 * MIN;
        let approvers = [
            (Some(T0), false),            // asked at creation, silent: reminded
            (Some(T0), true),             // voted: not reminded
            (None, false),                // never asked (ordered, not yet): not reminded
            (Some(T0 + 30 * MIN), false), // an escalation level: reminded
            (Some(slot), false),          // added in this very wake-up: just asked
            (Some(T0 + 90 * MIN), false), // late wake, added after the slot: just asked
        ];
        assert_eq!(reminder_recipients(approvers, slot), vec![0, 3]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn reminder_times() -> impl Strategy<Value = Option<ReminderSchedule>> {
            prop_oneof![
                Just(None),
                proptest::collection::vec(0u64..300, 0..=3)
                    .prop_map(|seconds| Some(ReminderSchedule::BeforeTimeout { seconds })),
                (0u64..300, 0u8..=3)
                    .prop_map(|(seconds, max)| Some(ReminderSchedule::Every { seconds, max })),
            ]
        }

        proptest! {
            /// Wake-ups at random moments (some late, some early, some repeated), each
            /// recording what it fired: no level twice, never more reminders than the
            /// configured count, none after the end, the wake always ahead, and nothing
            /// that came due is skipped.
            #[test]
            fn random_wake_ups_fire_each_timer_once(
                mut delays in proptest::collection::vec(1i64..300_000, 0..=3),
                reminders in reminder_times(),
                timeout in 1i64..400_000,
                steps in proptest::collection::vec(0i64..100_000, 1..12),
                ends_at in proptest::option::of(0usize..12),
            ) {
                delays.sort_unstable();
                delays.dedup();
                let (created_at, expires_at) = (T0, T0 + timeout);
                let mut reached = 0usize;
                let mut slots_done = 0usize;
                let mut sent = 0usize;
                let mut fired = vec![0u32; delays.len()];
                let mut pending = true;
                let mut now = created_at;
                for (i, step) in steps.iter().enumerate() {
                    now += step;
                    if ends_at == Some(i) {
                        pending = false;
                    }
                    let t = Timers {
                        created_at, expires_at, pending, level_delays: delays.clone(),
                        levels_reached: reached, reminders: reminders.as_ref(),
                        reminder_slots_done: slots_done,
                    };
                    let d = due(&t, now);
                    if let Some(w) = d.wake_at {
                        prop_assert!(w > now, "wake {} not after now {}", w, now);
                        prop_assert!(pending && w <= expires_at);
                    }
                    if !pending || now >= expires_at {
                        prop_assert_eq!(&d, &Due::default());
                    }
                    for l in &d.levels {
                        prop_assert!(created_at + delays[*l] <= now);
                        fired[*l] += 1;
                    }
                    reached += d.levels.len();
                    if let Some(r) = d.reminder {
                        prop_assert!(r.slot_at <= now && r.slot_at < expires_at);
                        prop_assert!(r.slots_done > slots_done);
                        slots_done = r.slots_done;
                        sent += 1;
                    }
                    // Nothing due is left behind while the pause runs.
                    if pending && now < expires_at {
                        prop_assert!(delays[reached..].iter().all(|d| created_at + d > now));
                        let slots = reminders.as_ref().map(|r| reminder_slots(r, created_at, expires_at)).unwrap_or_default();
                        prop_assert!(slots[slots_done..].iter().all(|s| *s > now));
                    }
                }
                prop_assert!(fired.iter().all(|n| *n <= 1));
                let max = match &reminders {
                    None => 0,
                    Some(ReminderSchedule::BeforeTimeout { seconds }) => seconds.len(),
                    Some(ReminderSchedule::Every { max, .. }) => usize::from(*max),
                };
                prop_assert!(sent <= max && slots_done <= max);
            }
        }
    }
}
