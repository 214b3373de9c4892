//! PausePoint: human-in-the-loop pauses for AI agents, as a Cloudflare Worker.
//!
//! `core` is pure Rust (unit-tested natively). Around it: `routes` (HTTP, by
//! resource), `service` (the operations REST and MCP share), `pause_object` (one
//! Durable Object per pause), `channels` (delivery), `webhook` (producer and queue consumer), `console`
//! (the team's web pages under `/console`), `db` (D1, the only module that talks to it).

pub mod core;

mod channels;
mod config;
mod console;
mod db;
mod http;
mod metrics;
mod pause_object;
mod routes;
mod service;
mod webhook;

use worker::{
    event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

use crate::http::now_ms;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    routes::handle(req, env, ctx).await
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match service::Ctx::new(&env) {
        Ok(ctx) => service::pauses::sweep_pending(&ctx, now_ms()).await,
        Err(e) => worker::console_error!("sweep failed: {e}"),
    }
    webhook::producer::requeue_stalled(&env, false).await;
    let console_purge = async { db::console::purge_expired(&db::Db::new(&env)?, now_ms()).await };
    if let Err(e) = console_purge.await {
        worker::console_error!("console clean-up failed: {e}");
    }
    // Unset (the default): the audit log is kept forever and nothing is deleted.
    let retention =
        config::string(&env, "AUDIT_RETENTION_DAYS").and_then(|d| d.parse::<u32>().ok());
    if let Some(days) = retention.filter(|d| *d > 0) {
        let purge = async { db::audit::purge_expired(&db::Db::new(&env)?, days, now_ms()).await };
        if let Err(e) = purge.await {
            worker::console_error!("audit retention purge failed: {e}");
        }
    }
}

/// Webhook jobs and their dead letters. Every message is acked or retried inside.
#[event(queue)]
async fn queue(batch: MessageBatch<webhook::Job>, env: Env, _ctx: Context) -> Result<()> {
    webhook::consumer::consume(batch, &env).await;
    Ok(())
}
