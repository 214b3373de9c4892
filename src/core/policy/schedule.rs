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

/// When reminders go out, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReminderTimes {
    /// So long before the deadline, each (`before_timeout_seconds`).
    BeforeTimeout(Vec<i64>),
    /// Every `every` after the creation, at most `max` times.
    Every { every: i64, max: u32 },
}

/// What the schedule needs to know about a pause.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers<'a> {
    pub created_at: i64,
    pub expires_at: i64,
    /// Still waiting for a decision.
    pub pending: bool,
    /// Each escalation level's delay after `created_at` (ms), in level order.
    pub level_delays: &'a [i64],
    /// Levels already added (they are added in order).
    pub levels_reached: usize,
    pub reminders: Option<&'a ReminderTimes>,
    /// Reminder slots already used (sent, or passed over by a late reminder).
    pub reminder_slots_done: usize,
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
pub(crate) fn reminder_slots(r: &ReminderTimes, created_at: i64, expires_at: i64) -> Vec<i64> {
    let inside = |t: &i64| *t > created_at && *t < expires_at;
    let mut slots: Vec<i64> = match r {
        ReminderTimes::BeforeTimeout(before) => before
            .iter()
            .filter(|b| **b > 0)
            .map(|b| expires_at.saturating_sub(*b))
            .filter(inside)
            .collect(),
        ReminderTimes::Every { every, max } if *every > 0 => (1..=i64::from(*max))
            .map(|k| created_at.saturating_add(every.saturating_mul(k)))
            .filter(inside)
            .collect(),
        ReminderTimes::Every { .. } => Vec::new(),
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

    fn timers<'a>(delays: &'a [i64], reminders: Option<&'a ReminderTimes>) -> Timers<'a> {
        Timers {
            created_at: T0,
            expires_at: T0 + 240 * MIN,
            pending: true,
            level_delays: delays,
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
        let r = ReminderTimes::Every {
            every: 10 * MIN,
            max: 3,
        };
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
        let r = ReminderTimes::BeforeTimeout(vec![60 * MIN, 10 * MIN]);
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
        let r = ReminderTimes::Every {
            every: 15 * MIN,
            max: 3,
        };
        assert_eq!(
            reminder_slots(&r, T0, T0 + 240 * MIN),
            vec![T0 + 15 * MIN, T0 + 30 * MIN, T0 + 45 * MIN]
        );
        // Slots at or after the deadline are dropped: the default fires then.
        let long = ReminderTimes::Every {
            every: 100 * MIN,
            max: 3,
        };
        assert_eq!(
            reminder_slots(&long, T0, T0 + 240 * MIN),
            vec![T0 + 100 * MIN, T0 + 200 * MIN]
        );
        let exact = ReminderTimes::Every {
            every: 120 * MIN,
            max: 3,
        };
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
            ReminderTimes::Every { every: 0, max: 3 },
            ReminderTimes::Every {
                every: -5,
                max: u32::MAX,
            },
            ReminderTimes::Every {
                every: i64::MAX,
                max: 3,
            },
            ReminderTimes::BeforeTimeout(vec![0, -1, i64::MAX, i64::MIN]),
        ] {
            assert!(reminder_slots(&r, T0, T0 + MIN).is_empty(), "{r:?}");
        }
        // Duplicates are one slot.
        let dup = ReminderTimes::BeforeTimeout(vec![MIN, MIN]);
        assert_eq!(reminder_slots(&dup, T0, T0 + 10 * MIN).len(), 1);
    }

    #[test]
    fn a_late_wake_sends_one_reminder_for_all_the_slots_it_missed() {
        let r = ReminderTimes::Every {
            every: 15 * MIN,
            max: 3,
        };
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
        let r = ReminderTimes::Every {
            every: 30 * MIN,
            max: 1,
        };
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

        fn reminder_times() -> impl Strategy<Value = Option<ReminderTimes>> {
            prop_oneof![
                Just(None),
                proptest::collection::vec(1i64..300_000, 0..=3)
                    .prop_map(|v| Some(ReminderTimes::BeforeTimeout(v))),
                (1i64..300_000, 0u32..=3)
                    .prop_map(|(every, max)| Some(ReminderTimes::Every { every, max })),
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
                        created_at, expires_at, pending, level_delays: &delays,
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
                    Some(ReminderTimes::BeforeTimeout(v)) => v.len(),
                    Some(ReminderTimes::Every { max, .. }) => *max as usize,
                };
                prop_assert!(sent <= max && slots_done <= max);
            }
        }
    }
}
