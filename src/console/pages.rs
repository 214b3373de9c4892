//! The console's pages of pauses, audit, keys and secrets, and usage: the adapter that
//! reads the request, calls the same service functions as the REST API with the
//! member's `Caller`, and renders the pure views of `core::console`.

use worker::{Env, Headers, Request, Response};

use super::session::Member;
use crate::core::console::view;
use crate::core::error::ApiError;
use crate::http::{internal, read_body};

/// Form bodies are small; anything larger is refused before parsing.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The query string as pairs (total: undecodable bytes are replaced).
pub(crate) fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(req
        .url()
        .map_err(internal)?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// An HTML response with the console's headers (strict CSP, no caching, no framing).
pub(crate) fn html(status: u16, body: String) -> Response {
    let headers = Headers::new();
    for (k, v) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("content-security-policy", super::CSP),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
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

/// A signed-in page: the shell around this module's assets and `content`.
pub(crate) fn page(m: &Member, status: u16, active: &str, title: &str, content: &str) -> Response {
    let content = format!("{}{content}", view::assets());
    html(status, super::shell(m, active, title, &content))
}

/// An error of a service function as a page: its sentence, its status.
pub(crate) fn error_page(m: &Member, active: &str, e: &ApiError) -> Response {
    if e.status() >= 500 {
        worker::console_error!("console: {}", e.message());
    }
    let text = if e.status() >= 500 {
        "Something went wrong on our side; nothing was changed. Try again in a moment.".to_string()
    } else {
        e.message()
    };
    page(
        m,
        e.status(),
        active,
        "Not done",
        &view::notice(false, &text),
    )
}

/// A form POST: the body's fields, after the member's CSRF token and the request's
/// origin are checked (a refusal changes nothing).
pub(crate) async fn form(req: &mut Request, m: &Member) -> Result<Vec<(String, String)>, ApiError> {
    let body = read_body(req, MAX_FORM_BYTES).await?;
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .take(64)
        .collect();
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    super::session::check_post(req, m, csrf)?;
    Ok(fields)
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Viewers see but do not change: checked here, on the server, for every action.
pub(crate) fn require_manager(m: &Member) -> Result<(), ApiError> {
    if m.role.can_manage() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Viewers cannot do this: ask an admin or the owner of your team.".into(),
        ))
    }
}

/// `/console/assets/{name}` of this module.
pub(crate) fn asset(name: &str) -> Result<Response, ApiError> {
    let (ctype, body) = match name {
        "pages.css" => ("text/css; charset=utf-8", view::PAGES_CSS),
        "live.js" => ("text/javascript; charset=utf-8", view::LIVE_JS),
        "copy.js" => ("text/javascript; charset=utf-8", view::COPY_JS),
        _ => return Err(ApiError::RouteNotFound),
    };
    let headers = Headers::new();
    let _ = headers.set("content-type", ctype);
    let _ = headers.set("cache-control", "public, max-age=300");
    let _ = headers.set("x-content-type-options", "nosniff");
    Ok(Response::from_bytes(body.as_bytes().to_vec())
        .map_err(internal)?
        .with_headers(headers))
}

/// A `303 See Other` to a page of the console (after a POST that changed something).
pub(crate) fn see_other(path: &str) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let _ = headers.set("location", path);
    Ok(Response::empty()
        .map_err(internal)?
        .with_status(303)
        .with_headers(headers))
}

/// The pages' routes under `/console` (`rest` is the path after it).
pub(crate) async fn dispatch(
    req: Request,
    env: &Env,
    m: &Member,
    rest: &[&str],
    method: &str,
) -> Result<Response, ApiError> {
    use super::{audit, keys, pauses, usage};
    match (rest, method) {
        (["assets", name], _) => asset(name),
        (["pauses"], _) => pauses::list(&req, env, m).await,
        (["pauses", "rows"], _) => pauses::rows(&req, env, m).await,
        (["pauses", id], _) => pauses::show(&req, env, m, id).await,
        (["pauses", id, "cancel"], _) => pauses::cancel(req, env, m, id).await,
        (["pauses", id, "webhooks", ev, "replay"], _) => pauses::replay(req, env, m, id, ev).await,
        (["audit"], _) => audit::list(&req, env, m).await,
        (["audit", "export"], _) => audit::export(&req, env, m).await,
        (["audit", "verify"], _) => audit::verify(&req, env, m).await,
        (["keys"], "GET") => keys::list(&req, env, m).await,
        (["keys"], _) => keys::create(req, env, m).await,
        (["keys", id, "rotate"], _) => keys::rotate(req, env, m, id).await,
        (["keys", id, "revoke"], _) => keys::revoke(req, env, m, id).await,
        (["webhook-secret", "rotate"], _) => keys::rotate_secret(req, env, m).await,
        (["usage"], _) => usage::show(env, m).await,
        _ => Err(ApiError::RouteNotFound),
    }
}
