//! The HTTP face of the service: every request enters `handle`, is routed by the one
//! route table (`core::routes`: 404, or 405 with `Allow`), authenticated and rate
//! limited where it must be, and answered by the resource's module. Request ids, CORS,
//! `Server-Timing` and the log line are added here, once.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod callbacks;
pub(crate) mod dev;
pub(crate) mod jwks;
pub(crate) mod keys;
pub(crate) mod mcp;
pub(crate) mod page;
pub(crate) mod pauses;
pub(crate) mod webhooks;

use std::sync::atomic::{AtomicBool, Ordering};

use worker::{Context, Env, Method, Request, Response};

use crate::config;
use crate::console;
use crate::core::cors::cors_headers;
use crate::core::error::ApiError;
use crate::core::request::fields::is_blank;
use crate::core::routes::{resolve, Routing};
use crate::core::{logs, metrics as metric, tenancy, timing};
use crate::db::{self, Caller};
use crate::http::{
    error_response, json, new_request_id, now_ms, query_param, read_body, require_json,
    MAX_BODY_BYTES,
};
use crate::metrics;
use crate::service::{pauses as pause_ops, Ctx};
use crate::webhook::producer as webhook_queue;

/// One request, start to finish. Never fails: an error becomes its JSON response.
pub(crate) async fn handle(req: Request, env: Env, wctx: Context) -> worker::Result<Response> {
    let request_id = new_request_id();
    let (started, method, path) = (now_ms(), req.method(), req.path());
    if config::is_local(&env) {
        recover_after_restart(&env, &wctx);
    }
    // Per request: its Db counts this request's D1 round trips, nobody else's.
    let ctx = Ctx::new(&env);
    let cors_origin = req
        .headers()
        .get("origin")
        .ok()
        .flatten()
        .filter(|o| config::cors_allows(&env, o));
    let mut resp = if req.method() == Method::Options {
        // Preflight: answered here; without an allowed Origin it grants nothing.
        Response::empty()?.with_status(204)
    } else {
        let routed = match &ctx {
            Ok(ctx) => dispatch(req, ctx, &wctx).await,
            Err(e) => Err(e.clone()),
        };
        routed.unwrap_or_else(|e| error_response(&e, &request_id))
    };
    let h = resp.headers_mut();
    let _ = h.set("request-id", &request_id);
    if let Some(origin) = cors_origin {
        for (name, value) in cors_headers(&origin) {
            let _ = h.set(name, &value);
        }
    }
    // Every response, not only the API's: /healthz shows the floor (no D1, no object).
    if let Ok(ctx) = &ctx {
        let (d1_queries, d1_ms) = ctx.d1();
        let value = timing::server_timing(ctx.object_ms(), d1_ms, d1_queries);
        let _ = h.set("server-timing", &value);
    }
    let line = logs::request_line(
        &request_id,
        method.as_ref(),
        &path,
        resp.status_code(),
        now_ms() - started,
    );
    worker::console_log!("{line}");
    Ok(resp)
}

async fn dispatch(req: Request, ctx: &Ctx, wctx: &Context) -> Result<Response, ApiError> {
    let env = &ctx.env;
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments == ["dev", "outbox"] && !config::is_local(env) {
        return Err(ApiError::RouteNotFound); // local mode only, whatever the method
    }
    // By the method's name as sent: workers-rs reads a method it does not know
    // (QUERY) as GET, which must not list anything.
    let method = match resolve(&segments, &req.inner().method()) {
        Routing::Dispatch(m) => m,
        Routing::MethodNotAllowed(allowed) => return Err(ApiError::MethodNotAllowed { allowed }),
        Routing::NotFound => return Err(ApiError::RouteNotFound),
    };
    if let ["r", _] = segments.as_slice() {
        if let Some(limited) = page::rate_limited(&req, env).await {
            return Ok(limited);
        }
    }
    match (segments.as_slice(), method) {
        (["healthz"], _) => Ok(json(200, &serde_json::json!({ "ok": true }))),
        ([".well-known", "jwks.json"], _) => jwks::get(env),
        (["console", rest @ ..], m) => Ok(console::handle(req, ctx, wctx, rest, m).await),
        (["r", token], "GET") => match query_param(&req, "c").and_then(|c| c.parse().ok()) {
            Some(c) => page::get_confirm(env, token, &path, c).await,
            None => page::get(&req, env, token, &path).await,
        },
        (["r", token], _) => {
            let token = token.to_string();
            page::post(req, env, &token, &path).await
        }
        (["callbacks", "twilio", "status"], _) => callbacks::twilio_status(req, env).await,
        (["callbacks", "email", "events"], _) => callbacks::email_events(req, env).await,
        (["callbacks", "slack", "interactivity"], _) => {
            callbacks::slack_interactivity(req, env).await
        }
        (["admin", "accounts"], _) => admin::create_account(req, ctx).await,
        (["dev", "outbox"], _) => dev::outbox(&req, ctx).await,
        (["mcp"], _) => mcp::handle(req, ctx).await,
        (["v1", rest @ ..], _) => {
            let caller = authenticate(&req, ctx).await?;
            rate_limit(ctx, &caller).await?;
            match (rest, method) {
                (["pause"], _) => pauses::create(req, ctx, &caller).await,
                (["pause", id], "GET") => pauses::get(&req, ctx, &caller, id).await,
                (["pause", id], _) | (["pause", id, "cancel"], _) => {
                    pauses::cancel(ctx, &caller, id).await
                }
                (["pauses"], _) => pauses::list(&req, ctx, &caller).await,
                (["account"], _) => account::get(ctx, &caller).await,
                (["keys"], "GET") => keys::list(ctx, &caller).await,
                (["keys"], _) => keys::create(req, ctx, &caller).await,
                (["keys", id, "rotate"], _) => keys::rotate(req, ctx, &caller, id).await,
                (["keys", id, "revoke"], _) | (["keys", id], _) => {
                    keys::revoke(ctx, &caller, id).await
                }
                (["test", "outbox"], _) => dev::test_outbox(&req, ctx, &caller).await,
                (["pause", id, "webhooks"], _) => webhooks::list(ctx, &caller, id).await,
                (["pause", id, "webhooks", ev, "replay"], _) => {
                    webhooks::replay(ctx, &caller, id, ev).await
                }
                (["webhook_secret", "rotate"], _) => {
                    webhooks::rotate_secret(req, ctx, &caller).await
                }
                (["audit"], _) => audit::list(&req, ctx, &caller).await,
                (["audit", "verify"], _) => audit::verify(&req, ctx, &caller).await,
                _ => Err(ApiError::RouteNotFound),
            }
        }
        _ => Err(ApiError::RouteNotFound),
    }
}

/// The caller of `/v1/*` and `/mcp`, from `Authorization: Bearer <key>`.
pub(crate) async fn authenticate(req: &Request, ctx: &Ctx) -> Result<Caller, ApiError> {
    let header = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .ok_or(ApiError::MissingApiKey)?;
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(ApiError::MissingApiKey)?;
    db::keys::caller_by_key(&ctx.db, key, now_ms())
        .await?
        .ok_or(ApiError::InvalidApiKey)
}

/// Every authenticated request (`/v1/*` and `/mcp`) passes two of Cloudflare's rate
/// limiting bindings (simulated locally): one per API key and one per account, so
/// minting more keys does not multiply the account's allowance.
///
/// Both are asked at once (one wait instead of two), so a request counts against both
/// limits even when one of them refuses it. That is what a client that keeps retrying
/// past its limit should meet: its refused requests are load too. When both refuse,
/// the key's limit is the error (its `Retry-After` is the one the key can act on).
pub(crate) async fn rate_limit(ctx: &Ctx, caller: &Caller) -> Result<(), ApiError> {
    let env = &ctx.env;
    let (key_ok, account_ok) = futures_util::future::join(
        within(env, "API_RATE_LIMITER", &caller.key_id),
        within(env, "ACCOUNT_RATE_LIMITER", &caller.account_id),
    )
    .await;
    let refused = if !key_ok {
        ApiError::RateLimited {
            retry_after_seconds: 60,
        }
    } else if !account_ok {
        tenancy::account_limited(60)
    } else {
        return Ok(());
    };
    metrics::write(env, metric::rate_limited(caller.livemode()));
    Err(refused)
}

/// False when `key` is over the binding's limit. A missing binding or a limiter
/// outage must not take the API down with it.
async fn within(env: &Env, binding: &str, key: &str) -> bool {
    let Ok(limiter) = env.rate_limiter(binding) else {
        return true;
    };
    match limiter.limit(key.to_string()).await {
        Ok(outcome) => outcome.success,
        Err(e) => {
            worker::console_warn!("rate limiter {binding} unavailable: {e}");
            true
        }
    }
}

/// An optional JSON body: empty is fine (and needs no content type), else JSON.
pub(crate) async fn optional_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let body = read_body(req, MAX_BODY_BYTES).await?;
    if !is_blank(&body) {
        require_json(req)?;
    }
    Ok(body)
}

/// Local mode does not keep alarms across a restart of `wrangler dev`, and its cron
/// does not fire by itself: the first request after a start pokes every pending pause,
/// which fires the timeouts that passed and re-arms the others' alarms.
fn recover_after_restart(env: &Env, wctx: &Context) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if !SWEPT.swap(true, Ordering::Relaxed) {
        let env = env.clone();
        wctx.wait_until(async move {
            match Ctx::new(&env) {
                Ok(ctx) => pause_ops::sweep_pending(&ctx, i64::MAX).await,
                Err(e) => worker::console_error!("sweep failed: {e}"),
            }
            // Local queues live in memory: enqueue again every pending webhook.
            webhook_queue::requeue_stalled(&env, true).await;
        });
    }
}
