//! The pure core: no `worker` types here, so `cargo test` runs all of it natively.
pub mod error;
pub mod ids;
pub mod page_html;
pub mod pause;
pub mod phone;
pub mod request;
pub mod time;
pub mod token;
