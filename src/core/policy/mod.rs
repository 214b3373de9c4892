//! Approval policies (issue 15): several approvers, a rule that decides, escalation,
//! reminders, the action being approved. `model` is the shared vocabulary.
pub mod model;
// Used by the object's alarm once it is wired in.
#[allow(dead_code)]
pub(crate) mod schedule;
