//! Approval policies (issue 15): several approvers, a rule that decides, escalation,
//! reminders, the action being approved. `model` is the shared vocabulary.
pub mod model;
