//! Deployment settings read from the Worker's environment (vars and secrets).

use worker::Env;

use crate::core::error::ApiError;
use crate::core::keys::check_admin_token;
use crate::core::request::{Limits, MAX_TIMEOUT_SECONDS};
use crate::core::webhook::target::{self, Policy};

/// Production refuses timeouts shorter than this; tests lower it with a var.
const DEFAULT_MIN_TIMEOUT_SECONDS: u64 = 60;

pub fn string(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|s| !s.is_empty())
}

/// `PAUSEPOINT_MODE=local` turns on the developer conveniences (`/dev/outbox`, http
/// webhook URLs to localhost). Anything else is production.
pub fn is_local(env: &Env) -> bool {
    string(env, "PAUSEPOINT_MODE").as_deref() == Some("local")
}

pub fn limits(env: &Env) -> Limits {
    let min = string(env, "MIN_TIMEOUT_SECONDS")
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_MIN_TIMEOUT_SECONDS)
        .max(1);
    Limits {
        min_timeout_seconds: min,
        max_timeout_seconds: MAX_TIMEOUT_SECONDS,
        allow_http_localhost: is_local(env),
    }
}

/// The HMAC key for response links. Without it nothing can be signed: a 500 that
/// says so in the log, never in the response.
pub fn token_secret(env: &Env) -> Result<Vec<u8>, ApiError> {
    match string(env, "TOKEN_SECRET") {
        Some(s) if s.len() >= 16 => Ok(s.into_bytes()),
        _ => Err(ApiError::internal(
            "TOKEN_SECRET is not set or shorter than 16 characters",
        )),
    }
}

/// `ADMIN_TOKEN`: unset, the admin routes do not exist; shorter than 32 characters,
/// they refuse to run (a 500, and the log says why) rather than accept a guessable token.
pub fn admin_token(env: &Env) -> Result<Option<String>, ApiError> {
    match string(env, "ADMIN_TOKEN") {
        Some(t) => check_admin_token(&t)
            .map(|()| Some(t))
            .map_err(ApiError::internal),
        None => Ok(None),
    }
}

/// Checks a webhook URL with everything the deployment knows: its mode, its egress
/// guard (`PAUSEPOINT_EGRESS=loopback`: test machines call nothing but loopback) and
/// its own origins (`PUBLIC_BASE_URL`, and the request's when there is one).
pub fn webhook_target(
    env: &Env,
    url: &str,
    request_origin: Option<&str>,
) -> Result<String, String> {
    let public = string(env, "PUBLIC_BASE_URL");
    let own: Vec<&str> = public
        .as_deref()
        .into_iter()
        .chain(request_origin)
        .collect();
    target::check(
        url,
        &Policy {
            local: is_local(env),
            loopback_only: string(env, "PAUSEPOINT_EGRESS").as_deref() == Some("loopback"),
            own_origins: &own,
        },
    )
}

/// Where response links point: `PUBLIC_BASE_URL`, else the origin the request came to.
pub fn base_url(env: &Env, request_origin: &str) -> String {
    string(env, "PUBLIC_BASE_URL")
        .unwrap_or_else(|| request_origin.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// CORS is closed unless `CORS_ALLOWED_ORIGINS` lists the origin (or is `*`).
pub fn cors_allows(env: &Env, origin: &str) -> bool {
    crate::core::cors::cors_allows(string(env, "CORS_ALLOWED_ORIGINS").as_deref(), origin)
}

/// `/mcp`'s Origin check against `PUBLIC_BASE_URL` and `MCP_ALLOWED_ORIGINS`.
pub fn mcp_origin_allowed(env: &Env, origin: &str) -> bool {
    crate::core::cors::mcp_origin_allowed(
        string(env, "PUBLIC_BASE_URL").as_deref(),
        string(env, "MCP_ALLOWED_ORIGINS").as_deref(),
        origin,
    )
}

/// The receipt signing key (`RECEIPT_SIGNING_KEY`, a private Ed25519 JWK). `None` when
/// unset or unusable: pauses still end (a decision is never held back for its
/// receipt), their `receipt` is null, and the log says why.
pub fn receipt_key(env: &Env) -> Option<crate::core::receipt::sign::SigningKey> {
    let Some(text) = string(env, "RECEIPT_SIGNING_KEY").filter(|s| !s.trim().is_empty()) else {
        worker::console_error!("RECEIPT_SIGNING_KEY is not set: pauses end without a receipt");
        return None;
    };
    match crate::core::receipt::sign::SigningKey::from_jwk(&text) {
        Ok(k) => Some(k),
        Err(e) => {
            worker::console_error!("RECEIPT_SIGNING_KEY is refused: {e}");
            None
        }
    }
}

/// The JWKS of `/.well-known/jwks.json`: the current key, then the old public keys of
/// `RECEIPT_PUBLIC_KEYS` (refused entries are logged and left out).
pub fn receipt_jwks(env: &Env) -> serde_json::Value {
    use crate::core::receipt::sign;
    let (old, errors) =
        sign::parse_public_keys(&string(env, "RECEIPT_PUBLIC_KEYS").unwrap_or_default());
    for e in errors {
        worker::console_error!("{e}");
    }
    sign::jwks(receipt_key(env).map(|k| k.public()).as_ref(), &old)
}
