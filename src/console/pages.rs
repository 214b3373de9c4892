//! The console's pages of pauses, audit, keys and secrets, and usage: the adapter that
//! reads the request, calls the same service functions as the REST API with the
//! member's `Caller`, and renders the pure views of `core::console`.

use worker::{Headers, Request, Response};

use super::session::{self, Member};
use super::{html_response, redirect};
use crate::core::console::form::Form;
use crate::core::console::html;
use crate::core::console::view;
use crate::core::error::ApiError;
use crate::service::Ctx;

/// The query string as pairs (total: undecodable bytes are replaced).
pub(crate) fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(req
        .url()?
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
    Ok(Response::from_bytes(body.as_bytes().to_vec())?.with_headers(headers))
}

/// The pages' routes under `/console` (`rest` is the path after it). A POST passes
/// the same-origin and CSRF checks before anything else; every page needs a session.
pub(crate) async fn dispatch(
    mut req: Request,
    ctx: &Ctx,
    rest: &[&str],
    method: &str,
) -> Result<Response, ApiError> {
    use super::{audit_page, keys, pauses, usage};
    if method == "POST" {
        let (m, f) = match session::require_post(&mut req, ctx).await {
            Ok(ok) => ok,
            Err(refused) => return Ok(refused),
        };
        return match rest {
            ["pauses", id, "cancel"] => Ok(pauses::cancel(ctx, &m, id).await),
            ["pauses", id, "webhooks", ev, "replay"] => Ok(pauses::replay(ctx, &m, id, ev).await),
            ["keys"] => keys::create(ctx, &m, &f).await,
            ["keys", id, "rotate"] => keys::rotate(ctx, &m, &f, id).await,
            ["keys", id, "revoke"] => keys::revoke(ctx, &m, id).await,
            ["webhook-secret", "rotate"] => keys::rotate_secret(ctx, &m, &f).await,
            _ => Err(ApiError::RouteNotFound),
        };
    }
    let m = match session::require(&req, ctx).await {
        Ok(m) => m,
        // The live list's script gets a plain 401, not the sign-in page.
        Err(_) if rest == ["pauses", "rows"] => return Ok(html_response(401, String::new())),
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    match rest {
        ["pauses"] => pauses::list(&req, ctx, &m).await,
        ["pauses", "rows"] => pauses::rows(&req, ctx, &m).await,
        ["pauses", id] => pauses::show(&req, ctx, &m, id).await,
        ["audit"] => audit_page::list(&req, ctx, &m).await,
        ["audit", "export"] => audit_page::export(&req, ctx, &m).await,
        ["audit", "verify"] => audit_page::verify(&req, ctx, &m).await,
        ["keys"] => keys::list(ctx, &m).await,
        ["usage"] => usage::show(ctx, &m).await,
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
