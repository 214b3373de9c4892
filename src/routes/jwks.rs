//! `GET /.well-known/jwks.json`: the public keys that sign decision receipts, the
//! current one first and the rotated-out ones after it, so old receipts stay
//! verifiable. Public, cacheable, readable from any origin.

use worker::{Env, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::http::json;

/// Five minutes: a new key is used at once, but the old one stays listed, so a
/// verifier with a stale copy can still refetch on an unknown `kid`.
const CACHE_CONTROL: &str = "public, max-age=300";

pub(crate) fn get(env: &Env) -> Result<Response, ApiError> {
    let mut resp = json(200, &config::receipt_jwks(env));
    let h = resp.headers_mut();
    let _ = h.set("content-type", "application/jwk-set+json");
    let _ = h.set("cache-control", CACHE_CONTROL);
    let _ = h.set("access-control-allow-origin", "*");
    Ok(resp)
}
