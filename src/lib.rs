//! PausePoint: human-in-the-loop pauses for AI agents, as a Cloudflare Worker.
//!
//! `core` is pure Rust (unit-tested natively); the other modules are thin adapters
//! around it: `api` (REST), `page` (the response page), `pause_object` (one Durable
//! Object per pause), `channels` (delivery), `store` (D1).

pub mod core;

pub mod accounts;

pub mod api;
pub mod audit_api;
pub mod audit_store;
pub mod callbacks;
pub mod channels;
pub mod config;
pub mod console;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod page;
pub mod pause_object;
pub mod store;
pub mod webhook_api;
pub mod webhook_store;
pub mod webhooks;

use std::sync::atomic::{AtomicBool, Ordering};

use worker::{
    event, Context, Env, MessageBatch, Method, Request, Response, Result, ScheduleContext,
    ScheduledEvent,
};

use crate::core::error::ApiError;
use crate::core::routes::{self, Routing};
use crate::http::{error_response, json, new_request_id, now_ms};
use crate::pause_object::Command;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let request_id = new_request_id();
    let (started, method, path) = (now_ms(), req.method(), req.path());
    if config::is_local(&env) {
        recover_after_restart(&env, &ctx);
    }
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
        match route(req, &env, &ctx).await {
            Ok(r) => r,
            Err(e) => error_response(&e, &request_id),
        }
    };
    let h = resp.headers_mut();
    let _ = h.set("request-id", &request_id);
    if let Some(origin) = cors_origin {
        let _ = h.set("access-control-allow-origin", &origin);
        let _ = h.set("vary", "Origin");
        let _ = h.set("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
        let _ = h.set(
            "access-control-allow-headers",
            "authorization, content-type, idempotency-key",
        );
        let _ = h.set(
            "access-control-expose-headers",
            "request-id, retry-after, idempotent-replayed",
        );
        let _ = h.set("access-control-max-age", "600");
    }
    let line = core::logs::request_line(
        &request_id,
        method.as_ref(),
        &path,
        resp.status_code(),
        now_ms() - started,
    );
    worker::console_log!("{line}");
    Ok(resp)
}

async fn route(req: Request, env: &Env, ctx: &Context) -> std::result::Result<Response, ApiError> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments == ["dev", "outbox"] && !config::is_local(env) {
        return Err(ApiError::RouteNotFound); // local mode only, whatever the method
    }
    // By the method's name as sent: workers-rs reads a method it does not know
    // (QUERY) as GET, which must not list anything.
    let method = match routes::resolve(&segments, &req.inner().method()) {
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
        (["console", rest @ ..], m) => Ok(console::handle(req, env, ctx, rest, m).await),
        (["r", token], "GET") => {
            match http::query_param(&req, "c").and_then(|c| c.parse::<usize>().ok()) {
                Some(c) => page::get_confirm(env, token, &path, c).await,
                None => page::get(&req, env, token, &path).await,
            }
        }
        (["r", token], _) => {
            let token = token.to_string();
            page::post(req, env, &token, &path).await
        }
        (["callbacks", "twilio", "status"], _) => callbacks::twilio_status(req, env).await,
        (["callbacks", "slack", "interactivity"], _) => {
            callbacks::slack_interactivity(req, env).await
        }
        (["admin", "accounts"], _) => api::admin_create_account(req, env).await,
        (["dev", "outbox"], _) => api::dev_outbox(&req, env).await,
        (["mcp"], _) => mcp::handle(req, env).await,
        (["v1", rest @ ..], _) => {
            let caller = api::authenticate(&req, env).await?;
            rate_limit(env, &caller).await?;
            match (rest, method) {
                (["pause"], _) => api::create_pause(req, env, &caller).await,
                (["pause", id], "GET") => api::get_pause(&req, env, &caller, id).await,
                (["pause", id], _) | (["pause", id, "cancel"], _) => {
                    api::cancel_pause(env, &caller, id).await
                }
                (["pauses"], _) => api::list_pauses(&req, env, &caller).await,
                (["account"], _) => api::account(env, &caller).await,
                (["keys"], "GET") => api::list_keys(env, &caller).await,
                (["keys"], _) => api::create_key(req, env, &caller).await,
                (["keys", id, "rotate"], _) => api::rotate_key(req, env, &caller, id).await,
                (["keys", id, "revoke"], _) | (["keys", id], _) => {
                    api::revoke_key(env, &caller, id).await
                }
                (["test", "outbox"], _) => api::test_outbox(&req, env, &caller).await,
                (["pause", id, "webhooks"], _) => webhook_api::list(env, &caller, id).await,
                (["pause", id, "webhooks", ev, "replay"], _) => {
                    webhook_api::replay(env, &caller, id, ev).await
                }
                (["webhook_secret", "rotate"], _) => {
                    webhook_api::rotate_secret(req, env, &caller).await
                }
                (["audit"], _) => audit_api::list(&req, env, &caller).await,
                (["audit", "verify"], _) => audit_api::verify(&req, env, &caller).await,
                _ => Err(ApiError::RouteNotFound),
            }
        }
        _ => Err(ApiError::RouteNotFound),
    }
}

/// Every authenticated request (`/v1/*` and `/mcp`) passes two of Cloudflare's rate
/// limiting bindings (simulated locally): one per API key and one per account, so
/// minting more keys does not multiply the account's allowance.
pub(crate) async fn rate_limit(
    env: &Env,
    caller: &store::Caller,
) -> std::result::Result<(), ApiError> {
    let refused = if !within(env, "API_RATE_LIMITER", &caller.key_id).await {
        ApiError::RateLimited {
            retry_after_seconds: 60,
        }
    } else if !within(env, "ACCOUNT_RATE_LIMITER", &caller.account_id).await {
        crate::core::tenancy::account_limited(60)
    } else {
        return Ok(());
    };
    metrics::write(env, core::metrics::rate_limited(caller.livemode()));
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

/// Pokes the objects of pending pauses whose deadline is before `until`: a poke fires a
/// passed timeout and re-arms a lost alarm. The cron sweeps the overdue ones.
async fn sweep_pending(env: &Env, until: i64) {
    let ids = match store::pending_pause_ids(env, until, 1000).await {
        Ok(ids) => ids,
        Err(e) => return worker::console_error!("sweep failed: {e}"),
    };
    for chunk in ids.chunks(16) {
        let pokes = chunk.iter().map(|id| async move {
            if let Err(e) = pause_object::call(env, id, &Command::Get { wait_ms: 0 }).await {
                worker::console_error!("sweep: {id}: {e}");
            }
        });
        futures_util::future::join_all(pokes).await;
    }
}

/// Local mode does not keep alarms across a restart of `wrangler dev`, and its cron
/// does not fire by itself: the first request after a start pokes every pending pause,
/// which fires the timeouts that passed and re-arms the others' alarms.
fn recover_after_restart(env: &Env, ctx: &Context) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if !SWEPT.swap(true, Ordering::Relaxed) {
        let env = env.clone();
        ctx.wait_until(async move {
            sweep_pending(&env, i64::MAX).await;
            // Local queues live in memory: enqueue again every pending webhook.
            webhooks::requeue_stalled(&env, true).await;
        });
    }
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    sweep_pending(&env, now_ms()).await;
    webhooks::requeue_stalled(&env, false).await;
    if let Err(e) = console::store::purge_expired(&env, now_ms()).await {
        worker::console_error!("console clean-up failed: {e}");
    }
    // Unset (the default): the audit log is kept forever and nothing is deleted.
    let retention =
        config::string(&env, "AUDIT_RETENTION_DAYS").and_then(|d| d.parse::<u32>().ok());
    if let Some(days) = retention.filter(|d| *d > 0) {
        if let Err(e) = audit_store::purge_expired(&env, days, now_ms()).await {
            worker::console_error!("audit retention purge failed: {e}");
        }
    }
}

/// Webhook jobs and their dead letters. Every message is acked or retried inside.
#[event(queue)]
async fn queue(batch: MessageBatch<webhooks::Job>, env: Env, _ctx: Context) -> Result<()> {
    webhooks::consume(batch, &env).await;
    Ok(())
}
