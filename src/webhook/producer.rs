//! Starts webhook deliveries: the pause object's outbox effect (`emit`), the API's
//! replay, and the sweep of stalled jobs.

use worker::Env;

use crate::core::error::ApiError;
use crate::core::pause::Pause;
use crate::core::webhook::event::{self, EventRow, EventType};
use crate::core::webhook::status::WebhookStatus;
use crate::db::webhooks::{self as ws, NewEvent};
use crate::db::{rows_of, Db};
use crate::http::{internal, now_ms};

use super::{send_job, send_jobs, Job};

/// In production the cron re-enqueues jobs overdue by this much (queues are durable:
/// this only catches what was lost between two writes).
const STALL_GRACE_MS: i64 = 120_000;

/// The outbox effects of state changes: records the events (once each) in one D1
/// batch and enqueues their first attempts in one queue batch, so events due together
/// leave together. Running it again re-sends the jobs of those still pending, which the
/// consumer's claim dedupes (event ids are derived, the insert ignores a known id).
pub(crate) async fn emit_all(
    env: &Env,
    p: &Pause,
    events: &[(EventType, Option<u8>)],
) -> Result<(), ApiError> {
    let Some(url) = p.webhook_url.as_deref() else {
        return Ok(());
    };
    if events.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let db = Db::new(env)?;
    let ids: Vec<String> = events
        .iter()
        .map(|&(t, nth)| event::event_id(&p.id, t, nth))
        .collect();
    let mut stmts = Vec::with_capacity(2 * events.len());
    for (&(t, nth), id) in events.iter().zip(&ids) {
        let new = NewEvent {
            id,
            livemode: p.livemode,
            pause_id: &p.id,
            account_id: &p.account_id,
            kind: t.as_str(),
            url,
            body: &event::body(t, p, now, nth),
        };
        stmts.push(ws::insert_event_stmt(&db, &new, now)?);
    }
    for id in &ids {
        stmts.push(ws::event_stmt(&db, id)?);
    }
    let results = db.batch(stmts).await?;
    let mut jobs = Vec::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        let Some(e) = rows_of::<EventRow>(&results, events.len() + i)?
            .into_iter()
            .next()
        else {
            return Err(internal("webhook event vanished after insert"));
        };
        if e.status == WebhookStatus::Pending {
            jobs.push(Job {
                event_id: id,
                attempt: e.attempts + 1,
            });
        }
    }
    send_jobs(env, jobs).await
}

/// Starts a new round for a finished event (API replay). `Ok(false)`: still pending.
pub(crate) async fn replay(env: &Env, e: &EventRow) -> Result<bool, ApiError> {
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
pub(crate) async fn requeue_stalled(env: &Env, all: bool) {
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
