//! `webhook_*` tables: signing secrets, events, attempts, disabled endpoints.

use serde::Deserialize;
use serde_json::Value;
use worker::D1PreparedStatement;

use super::{rows_of, Arg, Db};
use crate::core::error::ApiError;
use crate::core::tenancy::{
    rotation_limited, rotation_wait_seconds, signing_set, ROTATIONS_PER_WINDOW, ROTATION_WINDOW_MS,
};
use crate::core::webhook::event::{AttemptRow, EventRow};
use crate::core::webhook::sign::{new_secret, ROTATION_OVERLAP_MS};
use crate::core::webhook::status::{AttemptStatus, WebhookStatus};
use crate::http::random_bytes;

const PENDING: WebhookStatus = WebhookStatus::Pending;

/// Issues an account's first secret of a mode and returns it (shown once).
pub async fn create_secret(
    db: &Db,
    account_id: &str,
    livemode: bool,
    now: i64,
) -> Result<String, ApiError> {
    let secret = new_secret(&random_bytes::<32>());
    db.run(
        "INSERT INTO webhook_secrets (account_id, livemode, secret, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[account_id.into(), livemode.into(), (&secret).into(), now.into()],
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
    db: &Db,
    account_id: &str,
    livemode: bool,
    now: i64,
) -> Result<(String, i64), ApiError> {
    #[derive(Deserialize)]
    struct Row {
        created_at: i64,
    }
    let cutoff = now - ROTATION_WINDOW_MS;
    let recent: Vec<Row> = db
        .all(
            "SELECT created_at FROM webhook_secrets WHERE account_id = ?1 AND livemode = ?2 AND rotation = 1 AND created_at > ?3",
            &[account_id.into(), livemode.into(), cutoff.into()],
        )
        .await?;
    let times: Vec<i64> = recent.iter().map(|r| r.created_at).collect();
    if let Some(wait) = rotation_wait_seconds(&times, now) {
        return Err(rotation_limited(wait));
    }
    let secret = new_secret(&random_bytes::<32>());
    let until = now + ROTATION_OVERLAP_MS;
    let mine = "account_id = ?1 AND livemode = ?2";
    let inserted = "EXISTS (SELECT 1 FROM webhook_secrets WHERE account_id = ?1 AND livemode = ?2 AND secret = ?3)";
    let args: [Arg; 6] = [
        account_id.into(),
        livemode.into(),
        (&secret).into(),
        now.into(),
        until.into(),
        cutoff.into(),
    ];
    // D1 wants exactly as many values as the statement's highest `?N`.
    let stmt = |sql: String, k: usize| db.stmt(&sql, &args[..k]);
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
        .await?;
    if rows_of::<Value>(&res, 0).map_or(true, |rows| rows.is_empty()) {
        // A concurrent rotation took the last one of the hour.
        return Err(rotation_limited(60));
    }
    Ok((secret, until))
}

/// The secrets of a mode that sign now, newest first (at most two). An account
/// without one (made before test mode had its own, or by a path that did not issue
/// it) gets one, so events are never sent unsigned; the owner learns it by rotating.
pub async fn signing_secrets(
    db: &Db,
    account_id: &str,
    livemode: bool,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        secret: String,
    }
    let active = "SELECT secret FROM webhook_secrets WHERE account_id = ?1 AND livemode = ?2
                  AND (expires_at IS NULL OR expires_at > ?3) ORDER BY id DESC";
    let args: [Arg; 3] = [account_id.into(), livemode.into(), now.into()];
    let rows: Vec<Row> = db.all(active, &args).await?;
    if !rows.is_empty() {
        return Ok(signing_set(rows.into_iter().map(|r| r.secret).collect()));
    }
    // Created only if still none: concurrent first events agree on one secret.
    let secret = new_secret(&random_bytes::<32>());
    let create = db.stmt(
        "INSERT INTO webhook_secrets (account_id, livemode, secret, created_at)
         SELECT ?1, ?2, ?4, ?3 WHERE NOT EXISTS (SELECT 1 FROM webhook_secrets
           WHERE account_id = ?1 AND livemode = ?2 AND (expires_at IS NULL OR expires_at > ?3))",
        &[
            account_id.into(),
            livemode.into(),
            now.into(),
            (&secret).into(),
        ],
    )?;
    let results = db.batch(vec![create, db.stmt(active, &args)?]).await?;
    let rows: Vec<Row> = rows_of(&results, 1)?;
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
/// Records an event unless its id is known (a re-run of the outbox changes nothing).
pub fn insert_event_stmt(
    db: &Db,
    e: &NewEvent<'_>,
    now: i64,
) -> Result<D1PreparedStatement, ApiError> {
    db.stmt(
        "INSERT INTO webhook_events (id, pause_id, account_id, type, url, body, status, next_attempt_at, created_at, livemode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?7, ?7, ?8) ON CONFLICT(id) DO NOTHING",
        &[
            e.id.into(),
            e.pause_id.into(),
            e.account_id.into(),
            e.kind.into(),
            e.url.into(),
            e.body.into(),
            now.into(),
            e.livemode.into(),
            PENDING.as_str().into(),
        ],
    )
}

/// The event with this id, as a batch statement.
pub fn event_stmt(db: &Db, id: &str) -> Result<D1PreparedStatement, ApiError> {
    db.stmt("SELECT * FROM webhook_events WHERE id = ?1", &[id.into()])
}

pub async fn event(db: &Db, id: &str) -> Result<Option<EventRow>, ApiError> {
    db.first("SELECT * FROM webhook_events WHERE id = ?1", &[id.into()])
        .await
}

/// Takes attempt `attempt` of a pending event: only one consumer wins it, however
/// many copies of the job arrive. Attempts left unfinished by a crash are marked.
pub async fn claim(
    db: &Db,
    id: &str,
    attempt: i64,
    now: i64,
    lease_until: i64,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "UPDATE webhook_events SET attempts = attempts + 1, lease_until = ?4
             WHERE id = ?1 AND status = ?5 AND attempts = ?2 - 1 AND lease_until <= ?3 RETURNING id",
            &[
                id.into(),
                attempt.into(),
                now.into(),
                lease_until.into(),
                PENDING.as_str().into(),
            ],
        )
        .await?;
    if row.is_none() {
        return Ok(false);
    }
    let (in_progress, failed) = (
        AttemptStatus::InProgress.as_str(),
        AttemptStatus::Failed.as_str(),
    );
    db.batch(vec![
        db.stmt(
            "UPDATE webhook_attempts SET outcome = ?3, error = 'interrupted: no result was recorded' WHERE event_id = ?1 AND outcome = ?2",
            &[id.into(), in_progress.into(), failed.into()],
        )?,
        db.stmt(
            "INSERT OR REPLACE INTO webhook_attempts (event_id, attempt, started_at, outcome) VALUES (?1, ?2, ?3, ?4)",
            &[id.into(), attempt.into(), now.into(), in_progress.into()],
        )?,
    ])
    .await?;
    Ok(true)
}

/// What became of an attempt, and the event's state after it.
pub struct Finish<'a> {
    pub attempt: i64,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    pub outcome: AttemptStatus,
    /// The event's new status and failure reason; `Pending` with `next_attempt_at`.
    pub event_status: WebhookStatus,
    pub failure_reason: Option<&'a str>,
    pub next_attempt_at: i64,
    pub dead_lettered: bool,
}

pub async fn finish(db: &Db, id: &str, f: &Finish<'_>, now: i64) -> Result<(), ApiError> {
    let done = (f.event_status != PENDING).then_some(now);
    db.batch(vec![
        db.stmt(
            "UPDATE webhook_attempts SET status_code = ?3, latency_ms = ?4, error = ?5, outcome = ?6 WHERE event_id = ?1 AND attempt = ?2",
            &[
                id.into(),
                f.attempt.into(),
                f.status_code.map(i64::from).into(),
                f.latency_ms.into(),
                f.error.into(),
                f.outcome.as_str().into(),
            ],
        )?,
        db.stmt(
            "UPDATE webhook_events SET status = ?2, failure_reason = ?3, next_attempt_at = ?4, lease_until = 0,
             completed_at = ?5, dead_lettered_at = ?6 WHERE id = ?1",
            &[
                id.into(),
                f.event_status.as_str().into(),
                f.failure_reason.into(),
                f.next_attempt_at.into(),
                done.into(),
                f.dead_lettered.then_some(now).into(),
            ],
        )?,
    ])
    .await?;
    Ok(())
}

/// Ends a pending event without an attempt (its endpoint is disabled, or its job
/// reached the dead-letter queue some other way).
pub async fn fail_pending(
    db: &Db,
    id: &str,
    reason: &str,
    dead_lettered: bool,
    now: i64,
) -> Result<(), ApiError> {
    db.run(
        "UPDATE webhook_events SET status = ?6, failure_reason = ?2, completed_at = ?3, lease_until = 0,
         dead_lettered_at = CASE WHEN ?4 THEN ?3 ELSE dead_lettered_at END WHERE id = ?1 AND status = ?5",
        &[
            id.into(),
            reason.into(),
            now.into(),
            dead_lettered.into(),
            PENDING.as_str().into(),
            WebhookStatus::Failed.as_str().into(),
        ],
    )
    .await
}

/// Whether `url` answered 410 Gone to an event of this mode (a test event's 410 does
/// not stop live deliveries, nor does a test replay re-enable a live endpoint).
pub async fn endpoint_disabled(
    db: &Db,
    account_id: &str,
    livemode: bool,
    url: &str,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "SELECT url FROM webhook_disabled_endpoints WHERE account_id = ?1 AND livemode = ?2 AND url = ?3",
            &[account_id.into(), livemode.into(), url.into()],
        )
        .await?;
    Ok(row.is_some())
}

pub async fn disable_endpoint(
    db: &Db,
    account_id: &str,
    livemode: bool,
    url: &str,
    now: i64,
) -> Result<(), ApiError> {
    db.run(
        "INSERT OR REPLACE INTO webhook_disabled_endpoints (account_id, livemode, url, disabled_at) VALUES (?1, ?2, ?3, ?4)",
        &[account_id.into(), livemode.into(), url.into(), now.into()],
    )
    .await
}

/// The pause's events and all their attempts, oldest first: one batch, one round trip.
pub async fn for_pause(
    db: &Db,
    account_id: &str,
    pause_id: &str,
) -> Result<(Vec<EventRow>, Vec<AttemptRow>), ApiError> {
    let args: [Arg; 2] = [pause_id.into(), account_id.into()];
    let res = db
        .batch(vec![
            db.stmt(
                "SELECT * FROM webhook_events WHERE pause_id = ?1 AND account_id = ?2 ORDER BY created_at, id",
                &args,
            )?,
            db.stmt(
                "SELECT a.* FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id
                 WHERE e.pause_id = ?1 AND e.account_id = ?2 ORDER BY a.event_id, a.attempt",
                &args,
            )?,
        ])
        .await?;
    Ok((rows_of(&res, 0)?, rows_of(&res, 1)?))
}

/// Starts a new round of attempts for a finished event and re-enables its endpoint
/// (for the event's mode only).
/// Returns false when the event is still pending (nothing changes then).
pub async fn replay(db: &Db, e: &EventRow, now: i64) -> Result<bool, ApiError> {
    let res = db
        .batch(vec![
            db.stmt(
                "UPDATE webhook_events SET status = ?3, failure_reason = NULL, round_start = attempts,
                 next_attempt_at = ?2, lease_until = 0, completed_at = NULL, dead_lettered_at = NULL
                 WHERE id = ?1 AND status != ?3 RETURNING id",
                &[(&e.id).into(), now.into(), PENDING.as_str().into()],
            )?,
            db.stmt(
                "DELETE FROM webhook_disabled_endpoints WHERE account_id = ?1 AND livemode = ?2 AND url = ?3",
                &[(&e.account_id).into(), e.is_live().into(), (&e.url).into()],
            )?,
        ])
        .await?;
    Ok(rows_of::<Value>(&res, 0).is_ok_and(|rows| !rows.is_empty()))
}

/// Pending events whose next attempt (or stale lease) is before `cutoff`: their job
/// may have been lost, the sweep enqueues it again.
pub async fn stalled(db: &Db, cutoff: i64, limit: u32) -> Result<Vec<EventRow>, ApiError> {
    db.all(
        "SELECT * FROM webhook_events WHERE status = ?3 AND next_attempt_at <= ?1 AND lease_until <= ?1
         ORDER BY next_attempt_at LIMIT ?2",
        &[cutoff.into(), limit.into(), PENDING.as_str().into()],
    )
    .await
}
