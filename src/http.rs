//! Small helpers shared by the HTTP handlers: ids, time, JSON and error responses.

use js_sys::{Reflect, Uint8Array};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;
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

/// Reads the body as it streams in and refuses it with 413 once it passes `limit`: a
/// declared `Content-Length` over the limit is refused unread; a chunked body (or one
/// whose length lies) is kept only up to the limit, and what follows is read and
/// dropped chunk by chunk, never held. Callers read the body before checking its
/// signature, so nothing unverified is buffered past the limit.
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
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    let mut too_large = false;
    loop {
        let next = JsFuture::from(reader.read())
            .await
            .map_err(|e| internal(format!("reading the body: {e:?}")))?;
        let field = |name: &str| Reflect::get(&next, &JsValue::from_str(name));
        if field("done").map_or(true, |d| d.is_truthy()) {
            break;
        }
        let chunk = Uint8Array::new(&field("value").map_err(|_| internal("body chunk"))?);
        let len = chunk.length() as usize;
        // Past the limit the rest is drained, not kept: a request whose body was partly
        // read and then abandoned stalls the local runtime's proxy (wrangler dev) for
        // every client, and the platform bounds a request's size anyway.
        too_large |= len > limit - body.len();
        if !too_large {
            let start = body.len();
            body.resize(start + len, 0);
            chunk.copy_to(&mut body[start..]);
        }
    }
    if too_large {
        return Err(ApiError::PayloadTooLarge { limit });
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

/// An HTML page (response page, console) with the headers every page of ours carries:
/// never cached, never framed, its own CSP and referrer policy.
pub(crate) fn html_page(status: u16, body: String, csp: &str, referrer_policy: &str) -> Response {
    let headers = Headers::new();
    for (k, v) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("content-security-policy", csp),
        ("x-frame-options", "DENY"),
        ("referrer-policy", referrer_policy),
        ("x-content-type-options", "nosniff"),
        ("x-robots-tag", "noindex, nofollow"),
    ] {
        let _ = headers.set(k, v);
    }
    Response::from_bytes(body.into_bytes())
        .expect("bytes body")
        .with_status(status)
        .with_headers(headers)
}
