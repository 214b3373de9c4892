//! The console's pages of pauses, audit, keys and secrets, and usage: the adapter that
//! reads the request, calls the same service functions as the REST API with the
//! member's `Caller`, and renders the pure views of `core::console`.

use worker::{Env, Headers, Request, Response};

use super::session::{self, Member};
use super::{html_response, redirect};
use crate::core::console::form::Form;
use crate::core::console::html;
use crate::core::console::view;
use crate::core::error::ApiError;
use crate::http::internal;

/// The query string as pairs (total: undecodable bytes are replaced).
pub(crate) fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(req
        .url()
        .map_err(internal)?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// A signed-in page: the shell around this module's assets and `content`.
pub(crate) fn page(m: &Member, status: u16, active: &str, title: &str, content: &str) -> Response {
    let content = format!("{}{content}", view::assets());
    html_response(status, html::shell(&m.viewer(), active, title, &content))
}

/// An error of a service function as a page in the shell: its sentence, its status.
pub(crate) fn error_page(m: &Member, active: &str, e: &ApiError) -> Response {
    let text = if let ApiError::Internal(detail) = e {
        worker::console_error!("console internal error: {detail}");
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

/// `/console/assets/pages.css`: this module's stylesheet (the console's own assets are
/// served in `mod.rs`).
pub(crate) fn asset(name: &str) -> Result<Response, ApiError> {
    let (ctype, body) = match name {
        "pages.css" => ("text/css; charset=utf-8", view::PAGES_CSS),
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

/// The pages' routes under `/console` (`rest` is the path after it). A POST passes
/// the same-origin and CSRF checks before anything else; every page needs a session.
pub(crate) async fn dispatch(
    mut req: Request,
    env: &Env,
    rest: &[&str],
    method: &str,
) -> Result<Response, ApiError> {
    use super::{audit_page, keys, pauses, usage};
    if method == "POST" {
        let (m, f) = match session::require_post(&mut req, env).await {
            Ok(ok) => ok,
            Err(refused) => return Ok(refused),
        };
        return match rest {
            ["pauses", id, "cancel"] => Ok(pauses::cancel(env, &m, id).await),
            ["pauses", id, "webhooks", ev, "replay"] => Ok(pauses::replay(env, &m, id, ev).await),
            ["keys"] => keys::create(env, &m, &f).await,
            ["keys", id, "rotate"] => keys::rotate(env, &m, &f, id).await,
            ["keys", id, "revoke"] => keys::revoke(env, &m, id).await,
            ["webhook-secret", "rotate"] => keys::rotate_secret(env, &m, &f).await,
            _ => Err(ApiError::RouteNotFound),
        };
    }
    let m = match session::require(&req, env).await {
        Ok(m) => m,
        // The live list's script gets a plain 401, not the sign-in page.
        Err(_) if rest == ["pauses", "rows"] => return Ok(html_response(401, String::new())),
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    match rest {
        ["pauses"] => pauses::list(&req, env, &m).await,
        ["pauses", "rows"] => pauses::rows(&req, env, &m).await,
        ["pauses", id] => pauses::show(&req, env, &m, id).await,
        ["audit"] => audit_page::list(&req, env, &m).await,
        ["audit", "export"] => audit_page::export(&req, env, &m).await,
        ["audit", "verify"] => audit_page::verify(&req, env, &m).await,
        ["keys"] => keys::list(env, &m).await,
        ["usage"] => usage::show(env, &m).await,
        _ => Err(ApiError::RouteNotFound),
    }
}

/// After a POST that changed something: the page that shows it.
pub(crate) fn see_other(path: &str) -> Response {
    redirect(path)
}

/// A form field.
pub(crate) fn field<'a>(f: &'a Form, name: &str) -> Option<&'a str> {
    f.get(name)
}
