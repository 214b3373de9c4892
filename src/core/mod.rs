//! The pure core: no `worker` types here, so `cargo test` runs all of it natively.
pub mod delivery;
pub mod error;
pub mod ids;
pub mod keys;
pub mod mcp;
pub mod message;
pub mod page_html;
pub mod pause;
pub mod phone;
pub mod request;
pub mod retry;
pub mod time;
pub mod token;
