//! Approval policies (issue 15).
// Used by the object's alarm once it is wired in (the model comes from `policy`).
#[allow(dead_code)]
pub(crate) mod schedule;
