//! The pure core: no `worker` types here, so `cargo test` runs all of it natively.
pub mod audit;
pub mod delivery;
pub mod error;
pub mod ids;
pub mod keys;
pub mod message;
pub mod page_form;
pub mod page_html;
pub mod pause;
pub mod phone;
pub mod plans;
pub mod providers;
pub mod request;
pub mod retry;
pub mod time;
pub mod token;
pub mod webhook;
