//! STUB until branch `cauth` lands: the console's dispatch and shell.

pub mod audit;
pub mod keys;
pub mod pages;
pub mod pauses;
pub mod session;
pub mod usage;

use worker::{Env, Request, Response};

use crate::core::error::ApiError;

pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn shell(_m: &session::Member, _active: &str, title: &str, content: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{0}</title></head><body><main><h1>{0}</h1>{content}</main></body></html>",
        crate::core::page_html::escape(title)
    )
}

pub async fn handle(
    req: Request,
    env: &Env,
    rest: &[&str],
    method: &str,
) -> Result<Response, ApiError> {
    let m = match session::require(&req, env).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    pages::dispatch(req, env, &m, rest, method).await
}
