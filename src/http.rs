//! Small helpers shared by the HTTP handlers: ids, time, JSON and error responses.

use serde_json::Value;
use worker::{Headers, Request, Response};

use crate::core::error::ApiError;
use crate::core::ids::hex;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the runtime provides crypto.getRandomValues");
    b
}

pub fn new_request_id() -> String {
    format!("req_{}", hex(&random_bytes::<8>()))
}

pub fn json(status: u16, body: &Value) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set("cache-control", "no-store");
    Response::from_bytes(body.to_string().into_bytes())
        .expect("a byte body is always accepted")
        .with_status(status)
        .with_headers(headers)
}

/// The one place an `ApiError` becomes a response. 500s log their detail and send
/// only the generic sentence and the request id.
pub fn error_response(err: &ApiError, request_id: &str) -> Response {
    if let ApiError::Internal(detail) = err {
        worker::console_error!("{request_id} internal error: {detail}");
    }
    let mut resp = json(err.status(), &err.to_json(request_id));
    match err {
        ApiError::MethodNotAllowed { allowed } => {
            let _ = resp.headers_mut().set("allow", allowed);
        }
        ApiError::RateLimited { .. } | ApiError::Throttled { .. } => {
            let secs = err.retry_after().unwrap_or(60);
            let _ = resp.headers_mut().set("retry-after", &secs.to_string());
        }
        _ => {}
    }
    resp
}

pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

/// Reads the body, refusing it before parsing when it is over the limit.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let bytes = req.bytes().await.map_err(internal)?;
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// JSON endpoints take JSON: a body sent as a form or text is refused with 415.
pub fn require_json(req: &Request) -> Result<(), ApiError> {
    match req.headers().get("content-type").ok().flatten() {
        Some(ct) if !ct.to_ascii_lowercase().starts_with("application/json") => {
            Err(ApiError::UnsupportedMediaType)
        }
        _ => Ok(()),
    }
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
