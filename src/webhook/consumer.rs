//! The queue consumer: one attempt per job, the next one enqueued with the back-off
//! delay, every attempt recorded with the event and in the pause's audit log.

use std::time::Duration;

use futures_util::future::{join_all, select, Either};
use wasm_bindgen::JsValue;
use worker::{
    AbortController, Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method, Request,
    RequestInit, RequestRedirect,
};

use crate::config;
use crate::core::audit::AuditKind;
use crate::core::error::ApiError;
use crate::core::webhook::event::EventRow;
use crate::core::webhook::schedule::{decide, parse_retry_after, Schedule, Verdict};
use crate::core::webhook::sign::signature_header;
use crate::core::webhook::status::{AttemptStatus, WebhookStatus};
use crate::db::webhooks::{self as ws, Finish};
use crate::db::Db;
use crate::http::{internal, now_ms, random_bytes};
use crate::pause_object::client;

use super::{send_job, Job, DEAD_LETTER_QUEUE};

const TIMEOUT: Duration = Duration::from_secs(15);
/// An attempt still leased after this long crashed; it may be taken again.
const LEASE_MS: i64 = 60_000;

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

/// The queue consumer: every message is acked or retried, and the handler never fails.
pub(crate) async fn consume(batch: MessageBatch<Job>, env: &Env) {
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
    let db = Db::new(env)?;
    let Some(e) = ws::event(&db, &job.event_id).await? else {
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
        return ws::fail_pending(&db, &e.id, "url_refused", false, now).await;
    }
    if ws::endpoint_disabled(&db, &e.account_id, e.is_live(), &e.url).await? {
        return ws::fail_pending(&db, &e.id, "endpoint_disabled", false, now).await;
    }
    if !ws::claim(&db, &e.id, job.attempt, now, now + LEASE_MS).await? {
        return Ok(());
    }
    // Each mode signs with its own secret: a test secret never verifies a live event.
    let secrets = ws::signing_secrets(&db, &e.account_id, e.is_live(), now).await?;
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
        ws::disable_endpoint(&db, &e.account_id, e.is_live(), &e.url, done).await?;
    }
    ws::finish(
        &db,
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
        client::record(env, &e.pause_id, "system", AuditKind::WebhookAttempted, ctx).await
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
