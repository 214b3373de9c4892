//! Approval policies (issue 15): several approvers, a rule that decides, escalation,
//! reminders, the action being approved. `model` is the shared vocabulary.
pub mod create;
pub mod delivery;
pub mod model;
pub mod page;
pub mod request;
pub mod rule;
pub mod view;
pub mod vote;
