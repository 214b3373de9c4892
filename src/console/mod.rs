//! The console under `/console`: server-rendered pages for a team's members, signed
//! in by magic link. This module dispatches and holds the response helpers; one file
//! per page group. Pure parts (HTML, tokens, rules) are in `core::console`.

pub(crate) mod audit;
pub(crate) mod audit_page;
pub(crate) mod auth;
pub(crate) mod home;
pub(crate) mod keys;
pub(crate) mod pages;
pub(crate) mod pauses;
pub(crate) mod session;
pub(crate) mod team;
pub(crate) mod usage;

use worker::{Context, Env, Headers, Request, Response};

use crate::core::console::html::{self, CSP};
use crate::core::error::ApiError;
use crate::service::Ctx;

pub(crate) use session::Member;

pub(crate) fn html_response(status: u16, body: String) -> Response {
    // Not no-referrer: under it a browser sends `Origin: null` on our own forms,
    // which the CSRF check must refuse. Other sites never see our URLs.
    crate::http::html_page(status, body, CSP, "same-origin")
}

/// 303 See Other: after a form, the browser GETs `location`.
pub(crate) fn redirect(location: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("location", location);
    let _ = headers.set("cache-control", "no-store");
    Response::empty()
        .expect("empty body")
        .with_status(303)
        .with_headers(headers)
}

pub(crate) fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    let _ = resp.headers_mut().append("set-cookie", cookie);
    resp
}

/// An error as a console page (the API's sentence; a 500 logs its detail only).
pub(crate) fn error_page(e: &ApiError) -> Response {
    if let ApiError::Internal(detail) = e {
        worker::console_error!("console internal error: {detail}");
    }
    let title = match e.status() {
        403 => "Not allowed",
        404 => "Not found",
        429 => "Too many requests",
        500 => "Something went wrong on our side",
        _ => "That did not work",
    };
    html_response(e.status(), html::message(title, &e.message()))
}

/// This service's origin as links and the quick start show it (`PUBLIC_BASE_URL` when set).
pub(crate) fn base_url(req: &Request, env: &Env) -> Result<String, ApiError> {
    let own = req.url()?.origin().ascii_serialization();
    Ok(crate::config::base_url(env, &own))
}

fn asset(body: &'static str, content_type: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", content_type);
    let _ = headers.set("cache-control", "public, max-age=300");
    let _ = headers.set("x-content-type-options", "nosniff");
    Response::from_bytes(body.as_bytes().to_vec())
        .expect("bytes body")
        .with_status(200)
        .with_headers(headers)
}

/// Dispatches `/console/...` (`rest` is the path after `console`); the route table
/// has already checked the method. `wctx` sends emails after the response.
pub(crate) async fn handle(
    req: Request,
    ctx: &Ctx,
    wctx: &Context,
    rest: &[&str],
    method: &str,
) -> Response {
    let r = match (rest, method) {
        (["assets", "console.css"], _) => Ok(asset(html::CSS, "text/css; charset=utf-8")),
        (["assets", "console.js"], _) => Ok(asset(html::JS, "text/javascript; charset=utf-8")),
        (["assets", name], _) => pages::asset(name),
        ([], _) => home::get(&req, ctx).await,
        (["recent"], _) => home::recent(&req, ctx).await,
        (["test-pause"], _) => home::test_pause(req, ctx).await,
        (["sign-up"], "GET") => auth::sign_up_form(&req, ctx).await,
        (["sign-up"], _) => auth::sign_up(req, ctx, wctx).await,
        (["sign-in"], "GET") => auth::sign_in_form(&req, ctx).await,
        (["sign-in"], _) => auth::sign_in(req, ctx, wctx).await,
        (["link", token], "GET") => auth::link_get(ctx, token).await,
        (["link", token], _) => {
            let token = token.to_string();
            auth::link_post(req, ctx, &token).await
        }
        (["sign-out"], _) => auth::sign_out(req, ctx).await,
        (["team"], _) => team::get(&req, ctx).await,
        (["team", "invite"], _) => team::invite(req, ctx, wctx).await,
        (["team", id, "remove"], _) => {
            let id = id.to_string();
            team::remove(req, ctx, &id).await
        }
        // Pauses, audit, keys and secrets, usage.
        (["pauses" | "audit" | "keys" | "webhook-secret" | "usage", ..], _) => {
            pages::dispatch(req, ctx, rest, method).await
        }
        _ => Err(ApiError::RouteNotFound),
    };
    r.unwrap_or_else(|e| error_page(&e))
}

/// The sign-up and link-request limits (`CONSOLE_RATE_LIMITER`): per address and per
/// client. `Some(429 page)` beyond either; a limiter outage lets requests through.
pub(crate) async fn rate_limited(req: &Request, env: &Env, email: &str) -> Option<Response> {
    let limiter = env.rate_limiter("CONSOLE_RATE_LIMITER").ok()?;
    let ip = req.headers().get("cf-connecting-ip").ok().flatten();
    let client = format!("console:{}", crate::core::link::client_key(ip.as_deref()));
    for key in [crate::core::console::auth::address_key(email), client] {
        match limiter.limit(key).await {
            Ok(o) if !o.success => {
                let mut resp = html_response(
                    429,
                    html::message(
                        "Too many requests",
                        "Too many links were asked for this address or from this network. Wait a minute and try again.",
                    ),
                );
                let _ = resp.headers_mut().set("retry-after", "60");
                return Some(resp);
            }
            Ok(_) => {}
            Err(e) => worker::console_warn!("console rate limiter unavailable: {e}"),
        }
    }
    None
}
