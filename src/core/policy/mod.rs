//! Approval policies (issue 15): several approvers, a rule that decides, escalation,
//! reminders, the action being approved. `model` is the shared vocabulary.
pub mod model;
// sched: the policy's clock (escalation, reminders) and channel fallback.
// Wired into the per-approver delivery when merging policy's step 4.
#[allow(dead_code)]
pub(crate) mod fallback;
pub(crate) mod schedule;
pub(crate) mod tick;
