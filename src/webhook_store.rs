//! D1 side of webhooks: signing secrets, events, attempts, disabled endpoints.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use crate::core::error::ApiError;
use crate::core::tenancy::{
    rotation_limited, rotation_wait_seconds, signing_set, ROTATIONS_PER_WINDOW, ROTATION_WINDOW_MS,
};
use crate::core::webhook::event::{AttemptRow, EventRow};
use crate::core::webhook::sign::{new_secret, ROTATION_OVERLAP_MS};
use crate::http::{internal, random_bytes};
use crate::store::{db, n, s};

fn opt_s(v: Option<&str>) -> JsValue {
    v.map(s).unwrap_or(JsValue::NULL)
}
fn opt_n(v: Option<i64>) -> JsValue {
    v.map(n).unwrap_or(JsValue::NULL)
}

async fn run(sql: &str, args: &[JsValue], env: &Env) -> Result<(), ApiError> {
    db(env)?
        .prepare(sql)
        .bind(args)
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

fn live(livemode: bool) -> JsValue {
    n(i64::from(livemode))
}

/// Issues an account's first secret of a mode and returns it (shown once).
pub async fn create_secret(
    env: &Env,
    account_id: &str,
    livemode: bool,
    now: i64,
) -> Result<String, ApiError> {
    let secret = new_secret(&random_bytes::<32>());
    run(
        "INSERT INTO webhook_secrets (account_id, livemode, secret, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[s(account_id), live(livemode), s(&secret), n(now)],
        env,
    )
    .await?;
    Ok(secret)
}

/// Issues a new secret of a mode; the current one keeps signing for 24 hours more and
/// one still in its grace period stops now, so at most two are ever active. At most
/// `ROTATIONS_PER_WINDOW` rotations an hour per account and mode: the insert itself is
/// conditional, so concurrent rotations cannot pass the limit. One batch: a failure
/// changes nothing. Returns the secret and when the previous one stops.
pub async fn rotate_secret(
    env: &Env,
    account_id: &str,
    livemode: bool,
    now: i64,
) -> Result<(String, i64), ApiError> {
    #[derive(Deserialize)]
    struct Row {
        created_at: i64,
    }
    let cutoff = now - ROTATION_WINDOW_MS;
    let recent: Vec<Row> = db(env)?
        .prepare("SELECT created_at FROM webhook_secrets WHERE account_id = ?1 AND livemode = ?2 AND rotation = 1 AND created_at > ?3")
        .bind(&[s(account_id), live(livemode), n(cutoff)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)?;
    let times: Vec<i64> = recent.iter().map(|r| r.created_at).collect();
    if let Some(wait) = rotation_wait_seconds(&times, now) {
        return Err(rotation_limited(wait));
    }
    let secret = new_secret(&random_bytes::<32>());
    let until = now + ROTATION_OVERLAP_MS;
    let mine = "account_id = ?1 AND livemode = ?2";
    let inserted = "EXISTS (SELECT 1 FROM webhook_secrets WHERE account_id = ?1 AND livemode = ?2 AND secret = ?3)";
    let args = [
        s(account_id),
        live(livemode),
        s(&secret),
        n(now),
        n(until),
        n(cutoff),
    ];
    let db = db(env)?;
    // D1 wants exactly as many values as the statement's highest `?N`.
    let stmt = |sql: String, k: usize| db.prepare(sql).bind(&args[..k]).map_err(internal);
    let res = db
        .batch(vec![
            stmt(
                format!(
                "INSERT INTO webhook_secrets (account_id, livemode, secret, created_at, rotation)
                 SELECT ?1, ?2, ?3, ?4, 1 WHERE (SELECT COUNT(*) FROM webhook_secrets
                   WHERE {mine} AND rotation = 1 AND created_at > ?6) < {ROTATIONS_PER_WINDOW}
                 RETURNING id"
            ),
                6,
            )?,
            // The one in its grace period is dropped: the newest two remain.
            stmt(
                format!(
                    "UPDATE webhook_secrets SET expires_at = ?4
                 WHERE {mine} AND expires_at > ?4 AND secret != ?3 AND {inserted}"
                ),
                4,
            )?,
            stmt(
                format!(
                    "UPDATE webhook_secrets SET expires_at = ?5
                 WHERE {mine} AND expires_at IS NULL AND secret != ?3 AND {inserted}"
                ),
                5,
            )?,
            // Ended secrets are forgotten once they no longer count for the limit.
            stmt(
                format!(
                    "DELETE FROM webhook_secrets
                 WHERE {mine} AND expires_at <= ?4 AND created_at <= ?6 AND {inserted}"
                ),
                6,
            )?,
        ])
        .await
        .map_err(internal)?;
    let issued = res
        .first()
        .and_then(|r| r.results::<serde_json::Value>().ok())
        .is_some_and(|rows| !rows.is_empty());
    if !issued {
        // A concurrent rotation took the last one of the hour.
        return Err(rotation_limited(60));
    }
    Ok((secret, until))
}

/// The secrets of a mode that sign now, newest first (at most two). An account
/// without one (made before test mode had its own, or by a path that did not issue
/// it) gets one, so events are never sent unsigned; the owner learns it by rotating.
pub async fn signing_secrets(
    env: &Env,
    account_id: &str,
    livemode: bool,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        secret: String,
    }
    let db = db(env)?;
    let active = "SELECT secret FROM webhook_secrets WHERE account_id = ?1 AND livemode = ?2
                  AND (expires_at IS NULL OR expires_at > ?3) ORDER BY id DESC";
    let args = [s(account_id), live(livemode), n(now)];
    let read = |db: &D1Database| db.prepare(active).bind(&args).map_err(internal);
    let rows: Vec<Row> = read(&db)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)?;
    if !rows.is_empty() {
        return Ok(signing_set(rows.into_iter().map(|r| r.secret).collect()));
    }
    // Created only if still none: concurrent first events agree on one secret.
    let secret = new_secret(&random_bytes::<32>());
    let create = db
        .prepare(
            "INSERT INTO webhook_secrets (account_id, livemode, secret, created_at)
             SELECT ?1, ?2, ?4, ?3 WHERE NOT EXISTS (SELECT 1 FROM webhook_secrets
               WHERE account_id = ?1 AND livemode = ?2 AND (expires_at IS NULL OR expires_at > ?3))",
        )
        .bind(&[s(account_id), live(livemode), n(now), s(&secret)])
        .map_err(internal)?;
    let results = db.batch(vec![create, read(&db)?]).await.map_err(internal)?;
    let rows: Vec<Row> = results
        .get(1)
        .ok_or_else(|| internal("batch returned no read"))?
        .results()
        .map_err(internal)?;
    Ok(signing_set(rows.into_iter().map(|r| r.secret).collect()))
}

pub struct NewEvent<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub pause_id: &'a str,
    pub account_id: &'a str,
    pub kind: &'a str,
    pub url: &'a str,
    pub body: &'a str,
}

/// Records an event once: a second insert of the same id changes nothing.
pub async fn insert_event(env: &Env, e: &NewEvent<'_>, now: i64) -> Result<(), ApiError> {
    run(
        "INSERT INTO webhook_events (id, pause_id, account_id, type, url, body, status, next_attempt_at, created_at, livemode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7, ?8) ON CONFLICT(id) DO NOTHING",
        &[s(e.id), s(e.pause_id), s(e.account_id), s(e.kind), s(e.url), s(e.body), n(now), live(e.livemode)],
        env,
    )
    .await
}

pub async fn event(env: &Env, id: &str) -> Result<Option<EventRow>, ApiError> {
    db(env)?
        .prepare("SELECT * FROM webhook_events WHERE id = ?1")
        .bind(&[s(id)])
        .map_err(internal)?
        .first(None)
        .await
        .map_err(internal)
}

/// Takes attempt `attempt` of a pending event: only one consumer wins it, however
/// many copies of the job arrive. Attempts left unfinished by a crash are marked.
pub async fn claim(
    env: &Env,
    id: &str,
    attempt: i64,
    now: i64,
    lease_until: i64,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare(
            "UPDATE webhook_events SET attempts = attempts + 1, lease_until = ?4
             WHERE id = ?1 AND status = 'pending' AND attempts = ?2 - 1 AND lease_until <= ?3 RETURNING id",
        )
        .bind(&[s(id), n(attempt), n(now), n(lease_until)])
        .map_err(internal)?
        .first::<serde_json::Value>(None)
        .await
        .map_err(internal)?;
    if row.is_none() {
        return Ok(false);
    }
    let db = db(env)?;
    db.batch(vec![
        db.prepare("UPDATE webhook_attempts SET outcome = 'failed', error = 'interrupted: no result was recorded' WHERE event_id = ?1 AND outcome = 'in_progress'")
            .bind(&[s(id)])
            .map_err(internal)?,
        db.prepare("INSERT OR REPLACE INTO webhook_attempts (event_id, attempt, started_at, outcome) VALUES (?1, ?2, ?3, 'in_progress')")
            .bind(&[s(id), n(attempt), n(now)])
            .map_err(internal)?,
    ])
    .await
    .map_err(internal)?;
    Ok(true)
}

/// What became of an attempt, and the event's state after it.
pub struct Finish<'a> {
    pub attempt: i64,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    /// `succeeded` or `failed`.
    pub outcome: &'a str,
    /// The event's new status and failure reason; `pending` with `next_attempt_at`.
    pub event_status: &'a str,
    pub failure_reason: Option<&'a str>,
    pub next_attempt_at: i64,
    pub dead_lettered: bool,
}

pub async fn finish(env: &Env, id: &str, f: &Finish<'_>, now: i64) -> Result<(), ApiError> {
    let db = db(env)?;
    let done = (f.event_status != "pending").then_some(now);
    db.batch(vec![
        db.prepare("UPDATE webhook_attempts SET status_code = ?3, latency_ms = ?4, error = ?5, outcome = ?6 WHERE event_id = ?1 AND attempt = ?2")
            .bind(&[s(id), n(f.attempt), opt_n(f.status_code.map(i64::from)), n(f.latency_ms), opt_s(f.error), s(f.outcome)])
            .map_err(internal)?,
        db.prepare(
            "UPDATE webhook_events SET status = ?2, failure_reason = ?3, next_attempt_at = ?4, lease_until = 0,
             completed_at = ?5, dead_lettered_at = ?6 WHERE id = ?1",
        )
        .bind(&[s(id), s(f.event_status), opt_s(f.failure_reason), n(f.next_attempt_at), opt_n(done), opt_n(f.dead_lettered.then_some(now))])
        .map_err(internal)?,
    ])
    .await
    .map_err(internal)?;
    Ok(())
}

/// Ends a pending event without an attempt (its endpoint is disabled, or its job
/// reached the dead-letter queue some other way).
pub async fn fail_pending(
    env: &Env,
    id: &str,
    reason: &str,
    dead_lettered: bool,
    now: i64,
) -> Result<(), ApiError> {
    run(
        "UPDATE webhook_events SET status = 'failed', failure_reason = ?2, completed_at = ?3, lease_until = 0,
         dead_lettered_at = CASE WHEN ?4 THEN ?3 ELSE dead_lettered_at END WHERE id = ?1 AND status = 'pending'",
        &[s(id), s(reason), n(now), n(dead_lettered as i64)],
        env,
    )
    .await
}

/// Whether `url` answered 410 Gone to an event of this mode (a test event's 410 does
/// not stop live deliveries, nor does a test replay re-enable a live endpoint).
pub async fn endpoint_disabled(
    env: &Env,
    account_id: &str,
    livemode: bool,
    url: &str,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare("SELECT url FROM webhook_disabled_endpoints WHERE account_id = ?1 AND livemode = ?2 AND url = ?3")
        .bind(&[s(account_id), live(livemode), s(url)])
        .map_err(internal)?
        .first::<serde_json::Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

pub async fn disable_endpoint(
    env: &Env,
    account_id: &str,
    livemode: bool,
    url: &str,
    now: i64,
) -> Result<(), ApiError> {
    run(
        "INSERT OR REPLACE INTO webhook_disabled_endpoints (account_id, livemode, url, disabled_at) VALUES (?1, ?2, ?3, ?4)",
        &[s(account_id), live(livemode), s(url), n(now)],
        env,
    )
    .await
}

/// The pause's events and all their attempts, oldest first.
pub async fn for_pause(
    env: &Env,
    account_id: &str,
    pause_id: &str,
) -> Result<(Vec<EventRow>, Vec<AttemptRow>), ApiError> {
    let events: Vec<EventRow> = db(env)?
        .prepare("SELECT * FROM webhook_events WHERE pause_id = ?1 AND account_id = ?2 ORDER BY created_at, id")
        .bind(&[s(pause_id), s(account_id)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)?;
    let attempts: Vec<AttemptRow> = db(env)?
        .prepare(
            "SELECT a.* FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id
             WHERE e.pause_id = ?1 AND e.account_id = ?2 ORDER BY a.event_id, a.attempt",
        )
        .bind(&[s(pause_id), s(account_id)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)?;
    Ok((events, attempts))
}

/// Starts a new round of attempts for a finished event and re-enables its endpoint
/// (for the event's mode only).
/// Returns false when the event is still pending (nothing changes then).
pub async fn replay(env: &Env, e: &EventRow, now: i64) -> Result<bool, ApiError> {
    let db = db(env)?;
    let res = db
        .batch(vec![
            db.prepare(
                "UPDATE webhook_events SET status = 'pending', failure_reason = NULL, round_start = attempts,
                 next_attempt_at = ?2, lease_until = 0, completed_at = NULL, dead_lettered_at = NULL
                 WHERE id = ?1 AND status != 'pending' RETURNING id",
            )
            .bind(&[s(&e.id), n(now)])
            .map_err(internal)?,
            db.prepare("DELETE FROM webhook_disabled_endpoints WHERE account_id = ?1 AND livemode = ?2 AND url = ?3")
                .bind(&[s(&e.account_id), live(e.is_live()), s(&e.url)])
                .map_err(internal)?,
        ])
        .await
        .map_err(internal)?;
    let changed = res
        .first()
        .and_then(|r| r.results::<serde_json::Value>().ok())
        .is_some_and(|rows| !rows.is_empty());
    Ok(changed)
}

/// Pending events whose next attempt (or stale lease) is before `cutoff`: their job
/// may have been lost, the sweep enqueues it again.
pub async fn stalled(env: &Env, cutoff: i64, limit: u32) -> Result<Vec<EventRow>, ApiError> {
    db(env)?
        .prepare(
            "SELECT * FROM webhook_events WHERE status = 'pending' AND next_attempt_at <= ?1 AND lease_until <= ?1
             ORDER BY next_attempt_at LIMIT ?2",
        )
        .bind(&[n(cutoff), n(limit as i64)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)
}
