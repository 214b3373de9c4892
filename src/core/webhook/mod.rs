//! Webhooks, the pure part: Standard Webhooks signatures, the event body, the retry
//! schedule, what an attempt's answer means and where one may be sent. The adapters (`src/webhooks.rs`,
//! `src/db/webhooks.rs`) do the I/O around it.
pub mod event;
pub mod schedule;
pub mod sign;
pub mod status;
pub mod target;
