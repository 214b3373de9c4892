//! Small helpers shared by the HTTP handlers: ids, time, JSON and error responses.

use futures_util::StreamExt;
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
        ApiError::RateLimited {
            retry_after_seconds,
        } => {
            let _ = resp
                .headers_mut()
                .set("retry-after", &retry_after_seconds.to_string());
        }
        _ => {}
    }
    resp
}

pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

/// Reads the body as it streams in, refusing it with 413 as soon as it passes `limit`:
/// a declared `Content-Length` over the limit is refused unread, and a chunked body
/// (or one whose length lies) is cut at the limit, so no more than `limit` bytes and
/// one chunk are ever held. Callers read the body before checking its signature.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(internal)?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(internal)?;
        if chunk.len() > limit - body.len() {
            // Nothing more is read: the rest of the body is left to the runtime.
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
