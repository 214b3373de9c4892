//! Signed decision receipts (issue 15): when a pause ends, a compact JWS (Ed25519) over
//! the RFC 8785 canonical JSON of what was decided, by whom, about which action, bound
//! to the pause's audit chain head. Executors verify it offline against the JWKS at
//! `/.well-known/jwks.json`.

pub(crate) mod jcs;
pub(crate) mod sign;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ids::hex;

/// Hex SHA-256 of the RFC 8785 canonical JSON of an action (`{name, arguments}`).
pub(crate) fn action_sha256(action: &Value) -> String {
    hex(&Sha256::digest(jcs::canonicalize(action).as_bytes()))
}
