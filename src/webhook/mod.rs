//! Webhook delivery through Cloudflare Queues. The pause's object records the event
//! and enqueues a job (its outbox retries that until it succeeds); the consumer makes
//! one attempt per job and enqueues the next one with the back-off delay. D1 holds the
//! truth (`webhook_events`), so a lost or duplicated job changes nothing: duplicates
//! lose the claim, and the sweep enqueues again what stalled.
//!
//! `producer` starts deliveries (the object's outbox, API replay, the sweep);
//! `consumer` is the queue handler. Only the consumer reaches back into a pause, and
//! only through `pause_object::client`.

pub(crate) mod consumer;
pub(crate) mod producer;

use serde::{Deserialize, Serialize};
use worker::{Env, MessageBuilder};

use crate::core::error::ApiError;
use crate::http::internal;

pub(crate) const DEAD_LETTER_QUEUE: &str = "pausepoint-webhooks-dlq";
/// The longest delay a queue message can carry.
const MAX_QUEUE_DELAY_SECS: i64 = 43_200;

/// A queue message: attempt `attempt` (1-based, counted over the event's life) of an
/// event. A typed struct: a `serde_json::Value` does not survive the queue.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct Job {
    pub(crate) event_id: String,
    pub(crate) attempt: i64,
}

/// Enqueues `jobs` to run now, in one queue round trip however many.
pub(crate) async fn send_jobs(env: &Env, jobs: Vec<Job>) -> Result<(), ApiError> {
    if jobs.is_empty() {
        return Ok(());
    }
    env.queue("WEBHOOKS")
        .map_err(internal)?
        .send_batch(jobs)
        .await
        .map_err(internal)
}

/// Enqueues `job` to run in `delay_ms` (rounded up to whole seconds, capped).
pub(crate) async fn send_job(env: &Env, job: Job, delay_ms: i64) -> Result<(), ApiError> {
    let secs = (delay_ms.max(0).saturating_add(999) / 1000).min(MAX_QUEUE_DELAY_SECS) as u32;
    let mut msg = MessageBuilder::new(job);
    if secs > 0 {
        msg = msg.delay_seconds(secs);
    }
    env.queue("WEBHOOKS")
        .map_err(internal)?
        .send(msg.build())
        .await
        .map_err(internal)
}
