//! The console's pure parts (HTML rendering, form parsing), tested natively.
pub mod audit_view;
pub mod keys_view;
pub mod pauses_view;
pub mod usage_view;
pub mod view;
