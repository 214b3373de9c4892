//! Request bodies and parameters become typed values here, or an `ApiError` naming
//! the field at fault. Every parser is total (fuzzed with arbitrary Unicode and bytes).
//!
//! - `create`: `POST /v1/pause` → `NewPause` (with `recipient` per channel)
//! - `fields`: body shape, unknown fields with a suggestion, shared field readers
//! - `list`, `wait`, `idempotency`: the query and header parameters
//! - `admin`, `keys`: the bodies of `/admin/accounts` and the key routes

pub mod admin;
pub mod create;
pub mod fields;
pub mod idempotency;
pub mod keys;
pub mod list;
pub mod recipient;
pub mod wait;

pub use create::{
    human_duration, parse_create, parse_webhook_url, Limits, NewPause, DEFAULT_TIMEOUT_SECONDS,
    MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS, MAX_METADATA_BYTES, MAX_OPTIONS, MAX_OPTION_CHARS,
    MAX_TIMEOUT_SECONDS, MAX_URL_CHARS,
};
pub use fields::{parse_object, reject_unknown, whole_number};
pub use idempotency::IdempotencyKey;
pub use list::ListQuery;
pub use wait::parse_wait;
