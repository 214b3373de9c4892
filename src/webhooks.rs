//! Webhook delivery through Cloudflare Queues. The pause's object records the event
//! and enqueues a job (its outbox retries that until it succeeds); the consumer makes
//! one attempt per job and enqueues the next one with the back-off delay. D1 holds the
//! truth (`webhook_events`), so a lost or duplicated job changes nothing: duplicates
//! lose the claim, and the sweep enqueues again what stalled.

use std::time::Duration;

use futures_util::future::{join_all, select, Either};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{
    AbortController, Env, Fetch, Headers, Message, MessageBatch, MessageBuilder, MessageExt,
    Method, Request, RequestInit, RequestRedirect,
};

use crate::config;
use crate::core::error::ApiError;
use crate::core::pause::Pause;
use crate::core::webhook::event::{self, EventRow, EventType};
use crate::core::webhook::schedule::{decide, parse_retry_after, Schedule, Verdict};
use crate::core::webhook::sign::signature_header;
use crate::core::webhook::status::{AttemptStatus, WebhookStatus};
use crate::db::webhooks::{self as ws, Finish, NewEvent};
use crate::db::Db;
use crate::http::{internal, now_ms, random_bytes};

pub const QUEUE: &str = "pausepoint-webhooks";
pub const DEAD_LETTER_QUEUE: &str = "pausepoint-webhooks-dlq";
const TIMEOUT: Duration = Duration::from_secs(15);
/// An attempt still leased after this long crashed; it may be taken again.
const LEASE_MS: i64 = 60_000;
/// The longest delay a queue message can carry.
const MAX_QUEUE_DELAY_SECS: i64 = 43_200;
/// In production the cron re-enqueues jobs overdue by this much (queues are durable:
/// this only catches what was lost between two writes).
const STALL_GRACE_MS: i64 = 120_000;

/// A queue message: attempt `attempt` (1-based, counted over the event's life) of an
/// event. A typed struct: a `serde_json::Value` does not survive the queue.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Job {
    pub event_id: String,
    pub attempt: i64,
}

fn schedule(env: &Env) -> Schedule {
    match config::string(env, "WEBHOOK_RETRY_SCHEDULE") {
        None => Schedule::default(),
        Some(s) => Schedule::parse(&s).unwrap_or_else(|| {
            worker::console_error!(
                "WEBHOOK_RETRY_SCHEDULE `{s}` is not a list of seconds: using the default"
            );
            Schedule::default()
        }),
    }
}

fn random_fraction() -> f64 {
    let b = random_bytes::<4>();
    u32::from_le_bytes(b) as f64 / (u32::MAX as f64 + 1.0)
}

async fn send_job(env: &Env, job: Job, delay_ms: i64) -> Result<(), ApiError> {
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

/// The outbox effect of a state change: records the event (once) and enqueues its
/// first attempt. Running it again re-sends the same job, which the claim dedupes.
pub async fn emit(env: &Env, p: &Pause, t: EventType) -> Result<(), ApiError> {
    let Some(url) = p.webhook_url.as_deref() else {
        return Ok(());
    };
    let now = now_ms();
    let id = event::event_id(&p.id, t);
    let body = event::body(t, p, now);
    ws::insert_event(
        &Db::new(env)?,
        &NewEvent {
            id: &id,
            livemode: p.livemode,
            pause_id: &p.id,
            account_id: &p.account_id,
            kind: t.as_str(),
            url,
            body: &body,
        },
        now,
    )
    .await?;
    let Some(e) = ws::event(&Db::new(env)?, &id).await? else {
        return Err(internal("webhook event vanished after insert"));
    };
    if e.status == WebhookStatus::Pending {
        send_job(
            env,
            Job {
                event_id: id,
                attempt: e.attempts + 1,
            },
            0,
        )
        .await?;
    }
    Ok(())
}

/// Starts a new round for a finished event (API replay). `Ok(false)`: still pending.
pub async fn replay(env: &Env, e: &EventRow) -> Result<bool, ApiError> {
    if !ws::replay(&Db::new(env)?, e, now_ms()).await? {
        return Ok(false);
    }
    send_job(
        env,
        Job {
            event_id: e.id.clone(),
            attempt: e.attempts + 1,
        },
        0,
    )
    .await?;
    Ok(true)
}

/// Enqueues again the jobs of pending events that stalled. The cron passes the
/// overdue ones; a local start (queues are in memory there) passes all of them.
pub async fn requeue_stalled(env: &Env, all: bool) {
    let now = now_ms();
    let cutoff = if all {
        i64::MAX / 2
    } else {
        now - STALL_GRACE_MS
    };
    let rows = match async { ws::stalled(&Db::new(env)?, cutoff, 500).await }.await {
        Ok(r) => r,
        Err(e) => return worker::console_error!("webhook sweep failed: {e}"),
    };
    for e in rows {
        let delay = e.next_attempt_at.max(e.lease_until) - now;
        let job = Job {
            event_id: e.id.clone(),
            attempt: e.attempts + 1,
        };
        if let Err(err) = send_job(env, job, delay).await {
            worker::console_error!("webhook sweep: {}: {err}", e.id);
        }
    }
}

/// The queue consumer: every message is acked or retried, and the handler never fails.
pub async fn consume(batch: MessageBatch<Job>, env: &Env) {
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            worker::console_error!("unreadable webhook batch: {e}");
            return batch.ack_all();
        }
    };
    let dead_letters = batch.queue() == DEAD_LETTER_QUEUE;
    join_all(messages.into_iter().map(|m| async move {
        let res = if dead_letters {
            crate::metrics::write(env, crate::core::metrics::dead_letter("dead_lettered"));
            let id = &m.body().event_id;
            async { ws::fail_pending(&Db::new(env)?, id, "dead_lettered", true, now_ms()).await }
                .await
        } else {
            attempt(env, &m).await
        };
        match res {
            Ok(()) => m.ack(),
            Err(e) => {
                worker::console_error!(
                    "webhook job {:?} failed, retried by the queue: {e}",
                    m.body()
                );
                m.retry();
            }
        }
    }))
    .await;
}

struct Answer {
    status: Option<u16>,
    retry_after: Option<String>,
    error: Option<String>,
    latency_ms: i64,
}

/// One attempt of one job.
async fn attempt(env: &Env, m: &Message<Job>) -> Result<(), ApiError> {
    let job = m.body();
    let now = now_ms();
    let Some(e) = ws::event(&Db::new(env)?, &job.event_id).await? else {
        return Ok(());
    };
    // A copy of a job that already ran, or of an event that is done: nothing to do.
    if e.status != WebhookStatus::Pending || job.attempt != e.attempts + 1 {
        return Ok(());
    }
    let due = e.next_attempt_at.max(e.lease_until);
    if due > now + 1_000 {
        // Early (a long Retry-After, or the sweep): wait in the queue again.
        return send_job(env, job.clone(), due - now).await;
    }
    // Checked again before every attempt (a pause made before the rules, a replay):
    // a URL the rules refuse is never fetched.
    if let Err(why) = config::webhook_target(env, &e.url, None) {
        worker::console_warn!("webhook event {} not sent: {why}", e.id);
        return ws::fail_pending(&Db::new(env)?, &e.id, "url_refused", false, now).await;
    }
    if ws::endpoint_disabled(&Db::new(env)?, &e.account_id, e.is_live(), &e.url).await? {
        return ws::fail_pending(&Db::new(env)?, &e.id, "endpoint_disabled", false, now).await;
    }
    if !ws::claim(&Db::new(env)?, &e.id, job.attempt, now, now + LEASE_MS).await? {
        return Ok(());
    }
    // Each mode signs with its own secret: a test secret never verifies a live event.
    let secrets = ws::signing_secrets(&Db::new(env)?, &e.account_id, e.is_live(), now).await?;
    let answer = post(&e, &secrets).await;
    let n_in_round = (job.attempt - e.round_start).max(1) as u32;
    let retry_after = answer
        .retry_after
        .as_deref()
        .and_then(|v| parse_retry_after(v, now_ms()));
    let verdict = decide(
        answer.status,
        retry_after,
        n_in_round,
        &schedule(env),
        random_fraction(),
    );
    let done = now_ms();
    let error = answer.error.clone().or_else(|| {
        answer
            .status
            .filter(|s| !(200..300).contains(s))
            .map(|s| format!("HTTP {s}"))
    });
    let (event_status, reason, next_at) = match verdict {
        Verdict::Delivered => (WebhookStatus::Succeeded, None, done),
        Verdict::Retry { delay_ms } => (WebhookStatus::Pending, None, done + delay_ms),
        Verdict::Exhausted => (WebhookStatus::Failed, Some("attempts_exhausted"), done),
        Verdict::Gone => (WebhookStatus::Failed, Some("endpoint_gone"), done),
    };
    if verdict == Verdict::Gone {
        ws::disable_endpoint(&Db::new(env)?, &e.account_id, e.is_live(), &e.url, done).await?;
    }
    ws::finish(
        &Db::new(env)?,
        &e.id,
        &Finish {
            attempt: job.attempt,
            status_code: answer.status,
            latency_ms: answer.latency_ms,
            error: error.as_deref(),
            outcome: if verdict == Verdict::Delivered {
                AttemptStatus::Succeeded
            } else {
                AttemptStatus::Failed
            },
            event_status,
            failure_reason: reason,
            next_attempt_at: next_at,
            dead_lettered: verdict == Verdict::Exhausted,
        },
        done,
    )
    .await?;
    // The attempt also lands in the pause's audit log (best effort: the attempt itself
    // is already recorded with the event, and listable per pause).
    let ctx = serde_json::json!({
        "event_id": e.id, "event_type": e.kind, "attempt": job.attempt, "url": e.url,
        "status_code": answer.status, "latency_ms": answer.latency_ms, "error": error,
        "outcome": event_status, "failure_reason": reason,
    });
    if let Err(err) =
        crate::pause_object::record(env, &e.pause_id, "system", "webhook.attempted", ctx).await
    {
        worker::console_warn!("audit of webhook attempt {} failed: {err}", e.id);
    }
    match verdict {
        Verdict::Retry { delay_ms } => {
            send_job(
                env,
                Job {
                    event_id: e.id.clone(),
                    attempt: job.attempt + 1,
                },
                delay_ms,
            )
            .await?
        }
        Verdict::Exhausted => {
            // Kept for inspection and alerting; the event is already recorded as failed.
            let dlq = env.queue("WEBHOOKS_DLQ").map_err(internal)?;
            if let Err(err) = dlq.send(job.clone()).await {
                worker::console_error!("dead-letter send failed for {}: {err}", e.id);
            }
        }
        _ => {}
    }
    Ok(())
}

/// POSTs the event, signed, without following redirects, giving up after 15 s.
async fn post(e: &EventRow, secrets: &[String]) -> Answer {
    let started = now_ms();
    let ts = started / 1000;
    let fail = |error: String| Answer {
        status: None,
        retry_after: None,
        error: Some(error),
        latency_ms: now_ms() - started,
    };
    let headers = Headers::new();
    for (k, v) in [
        ("content-type", "application/json"),
        ("user-agent", "PausePoint-Webhooks/1"),
        ("webhook-id", e.id.as_str()),
        ("webhook-timestamp", &ts.to_string()),
        (
            "webhook-signature",
            &signature_header(secrets, &e.id, ts, &e.body),
        ),
    ] {
        if let Err(err) = headers.set(k, v) {
            return fail(format!("header {k}: {err}"));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from_str(&e.body)));
    let req = match Request::new_with_init(&e.url, &init) {
        Ok(r) => r,
        Err(err) => return fail(format!("invalid request: {err}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timer = Box::pin(worker::Delay::from(TIMEOUT));
    let outcome = match select(sending, timer).await {
        Either::Left((r, _)) => Some(r),
        Either::Right(_) => None,
    };
    match outcome {
        Some(Ok(resp)) => Answer {
            status: Some(resp.status_code()),
            retry_after: resp.headers().get("retry-after").ok().flatten(),
            error: None,
            latency_ms: now_ms() - started,
        },
        Some(Err(err)) => fail(format!("network error: {err}")),
        None => {
            controller.abort();
            fail(format!("timed out after {} s", TIMEOUT.as_secs()))
        }
    }
}
