//! PausePoint: human-in-the-loop pauses for AI agents, as a Cloudflare Worker.
//!
//! `core` is pure Rust (unit-tested natively); the other modules are thin adapters
//! around it: `api` (REST), `page` (the response page), `pause_object` (one Durable
//! Object per pause), `channels` (delivery), `store` (D1).

pub mod core;

pub mod api;
pub mod channels;
pub mod config;
pub mod http;
pub mod mcp;
pub mod page;
pub mod pause_object;
pub mod store;

use std::sync::atomic::{AtomicBool, Ordering};

use worker::{
    event, Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

use crate::core::error::ApiError;
use crate::http::{error_response, json, new_request_id, now_ms};
use crate::pause_object::Command;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let request_id = new_request_id();
    if config::is_local(&env) {
        recover_after_restart(&env, &ctx);
    }
    let mut resp = match route(req, &env).await {
        Ok(r) => r,
        Err(e) => error_response(&e, &request_id),
    };
    let _ = resp.headers_mut().set("request-id", &request_id);
    Ok(resp)
}

async fn route(req: Request, env: &Env) -> std::result::Result<Response, ApiError> {
    let path = req.path();
    let method = req.method();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (segments.as_slice(), method) {
        (["healthz"], Method::Get) => Ok(json(200, &serde_json::json!({ "ok": true }))),
        (["r", token], Method::Get | Method::Head) => page::get(env, token, &path).await,
        (["r", token], Method::Post) => {
            let token = token.to_string();
            page::post(req, env, &token, &path).await
        }
        (["r", _], _) => Err(ApiError::MethodNotAllowed {
            allowed: "GET, POST",
        }),
        (["admin", "accounts"], Method::Post) => api::admin_create_account(req, env).await,
        (["dev", "outbox"], Method::Get) if config::is_local(env) => {
            api::dev_outbox(&req, env).await
        }
        (["mcp"], Method::Post) => mcp::handle(req, env).await,
        // JSON responses only: no SSE stream to open, no session to delete.
        (["mcp"], _) => Err(ApiError::MethodNotAllowed { allowed: "POST" }),
        (["v1", rest @ ..], _) => {
            let caller = api::authenticate(&req, env).await?;
            match (rest, req.method()) {
                (["pause"], Method::Post) => api::create_pause(req, env, &caller).await,
                (["pause"], _) => Err(ApiError::MethodNotAllowed { allowed: "POST" }),
                (["pause", id], Method::Get) => api::get_pause(&req, env, &caller, id).await,
                (["pause", id], Method::Delete) => api::cancel_pause(env, &caller, id).await,
                (["pause", _], _) => Err(ApiError::MethodNotAllowed {
                    allowed: "GET, DELETE",
                }),
                (["pause", id, "cancel"], Method::Post) => {
                    api::cancel_pause(env, &caller, id).await
                }
                (["pause", _, "cancel"], _) => Err(ApiError::MethodNotAllowed { allowed: "POST" }),
                (["pauses"], Method::Get) => api::list_pauses(&req, env, &caller).await,
                (["account"], Method::Get) => Ok(api::account(&caller)),
                _ => Err(ApiError::RouteNotFound),
            }
        }
        _ => Err(ApiError::RouteNotFound),
    }
}

/// Pokes the objects of pending pauses whose deadline passed, so their timeout fires
/// even if an alarm was lost. Runs from the cron trigger.
async fn sweep_overdue(env: &Env) {
    match store::overdue_pause_ids(env, now_ms(), 200).await {
        Ok(ids) => {
            for id in ids {
                if let Err(e) = pause_object::call(env, &id, &Command::Get { wait_ms: 0 }).await {
                    worker::console_error!("sweep: {id}: {e}");
                }
            }
        }
        Err(e) => worker::console_error!("sweep failed: {e}"),
    }
}

/// Local mode does not keep alarms across a restart of `wrangler dev`, and its cron
/// does not fire by itself: the first request after a start sweeps once.
fn recover_after_restart(env: &Env, ctx: &Context) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if !SWEPT.swap(true, Ordering::Relaxed) {
        let env = env.clone();
        ctx.wait_until(async move { sweep_overdue(&env).await });
    }
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    sweep_overdue(&env).await;
}
