//! D1 side of accounts: monthly usage, idempotency keys and API key management.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::Env;

use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::keys::{self, KeyMode};
use crate::core::tenancy::MAX_ACTIVE_KEYS;
use crate::http::{internal, random_bytes};
use crate::store::{db, n, s};

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

/// Takes one pause from the month's allowance; false when it is used up. A single
/// conditional upsert, so concurrent creates can never overshoot the cap.
pub async fn reserve_pause(
    env: &Env,
    account_id: &str,
    period: &str,
    cap: u32,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare(
            "INSERT INTO usage_counters (account_id, period, pauses) VALUES (?1, ?2, 1)
             ON CONFLICT(account_id, period) DO UPDATE SET pauses = pauses + 1 WHERE pauses < ?3
             RETURNING pauses",
        )
        .bind(&[s(account_id), s(period), n(cap as i64)])
        .map_err(internal)?
        .first::<Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some() && cap > 0)
}

/// Gives a reservation back (the create did not happen, or was a replay).
pub async fn release_pause(env: &Env, account_id: &str, period: &str) -> Result<(), ApiError> {
    db(env)?
        .prepare("UPDATE usage_counters SET pauses = pauses - 1 WHERE account_id = ?1 AND period = ?2 AND pauses > 0")
        .bind(&[s(account_id), s(period)])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

/// Counts live pauses created this period without taking one (accounts without a cap).
pub async fn count_pause(env: &Env, account_id: &str, period: &str) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "INSERT INTO usage_counters (account_id, period, pauses) VALUES (?1, ?2, 1)
             ON CONFLICT(account_id, period) DO UPDATE SET pauses = pauses + 1",
        )
        .bind(&[s(account_id), s(period)])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn usage(env: &Env, account_id: &str, period: &str) -> Result<u32, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        pauses: u32,
    }
    let row = db(env)?
        .prepare("SELECT pauses FROM usage_counters WHERE account_id = ?1 AND period = ?2")
        .bind(&[s(account_id), s(period)])
        .map_err(internal)?
        .first::<Row>(None)
        .await
        .map_err(internal)?;
    Ok(row.map_or(0, |r| r.pauses))
}

#[derive(Deserialize, Debug, Clone)]
pub struct IdempotencyRecord {
    pub pause_id: String,
    pub request_hash: String,
}

/// Claims `key` for `pause_id` unless a live claim exists; returns the claim in force
/// (ours, or the earlier request's). Claims older than the TTL are taken over. Keys
/// are scoped by mode: a live and a test request never share one.
pub async fn claim_idempotency_key(
    env: &Env,
    account_id: &str,
    livemode: bool,
    key: &str,
    pause_id: &str,
    request_hash: &str,
    now: i64,
) -> Result<IdempotencyRecord, ApiError> {
    let db = db(env)?;
    let claim = db
        .prepare(
            "INSERT INTO idempotency_keys (account_id, key, pause_id, request_hash, created_at, livemode) VALUES (?1, ?2, ?3, ?4, ?5, ?7)
             ON CONFLICT(account_id, livemode, key) DO UPDATE SET pause_id = excluded.pause_id,
               request_hash = excluded.request_hash, created_at = excluded.created_at
             WHERE idempotency_keys.created_at <= ?6",
        )
        .bind(&[s(account_id), s(key), s(pause_id), s(request_hash), n(now), n(now - IDEMPOTENCY_TTL_MS), n(i64::from(livemode))])
        .map_err(internal)?;
    let read = db
        .prepare("SELECT pause_id, request_hash FROM idempotency_keys WHERE account_id = ?1 AND key = ?2 AND livemode = ?3")
        .bind(&[s(account_id), s(key), n(i64::from(livemode))])
        .map_err(internal)?;
    let results = db.batch(vec![claim, read]).await.map_err(internal)?;
    results
        .get(1)
        .ok_or_else(|| internal("batch returned no read"))?
        .results::<IdempotencyRecord>()
        .map_err(internal)?
        .into_iter()
        .next()
        .ok_or_else(|| internal("idempotency claim vanished"))
}

/// Forgets a claim whose create was refused, so a corrected retry can use the key.
pub async fn drop_idempotency_key(
    env: &Env,
    account_id: &str,
    livemode: bool,
    key: &str,
    pause_id: &str,
) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "DELETE FROM idempotency_keys WHERE account_id = ?1 AND key = ?2 AND pause_id = ?3 AND livemode = ?4",
        )
        .bind(&[s(account_id), s(key), s(pause_id), n(i64::from(livemode))])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

#[derive(Deserialize, Serialize, Debug, Clone)]
pub struct KeyRow {
    pub id: String,
    pub mode: String,
    pub prefix: String,
    pub last4: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
}

pub async fn list_keys(env: &Env, account_id: &str) -> Result<Vec<KeyRow>, ApiError> {
    db(env)?
        .prepare(
            "SELECT id, mode, prefix, last4, created_at, revoked_at, expires_at FROM api_keys
             WHERE account_id = ?1 ORDER BY created_at DESC, id",
        )
        .bind(&[s(account_id)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)
}

/// Adds a key unless the account already holds `MAX_ACTIVE_KEYS` active ones (not
/// counting `replacing`, a key a rotation ends at once); returns its row and its
/// secret (shown once). One conditional insert, so concurrent creates cannot overshoot.
pub async fn create_key(
    env: &Env,
    account_id: &str,
    mode: KeyMode,
    replacing: Option<&str>,
    now: i64,
) -> Result<(KeyRow, String), ApiError> {
    let key = keys::new_key(mode, &random_bytes::<20>());
    let row = KeyRow {
        id: format!("key_{}", hex(&random_bytes::<8>())),
        mode: mode.as_str().into(),
        prefix: key.prefix.clone(),
        last4: key.last4.clone(),
        created_at: now,
        revoked_at: None,
        expires_at: None,
    };
    let inserted = db(env)?
        .prepare(
            "INSERT INTO api_keys (id, account_id, key_hash, mode, prefix, last4, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
             WHERE (SELECT COUNT(*) FROM api_keys WHERE account_id = ?2 AND revoked_at IS NULL
                    AND (expires_at IS NULL OR expires_at > ?7) AND id != ?8) < ?9
             RETURNING id",
        )
        .bind(&[
            s(&row.id),
            s(account_id),
            s(&key.hash),
            s(&row.mode),
            s(&row.prefix),
            s(&row.last4),
            n(now),
            s(replacing.unwrap_or("")),
            n(i64::from(MAX_ACTIVE_KEYS)),
        ])
        .map_err(internal)?
        .first::<Value>(None)
        .await
        .map_err(internal)?;
    if inserted.is_none() {
        return Err(ApiError::KeyLimit);
    }
    Ok((row, key.secret))
}

/// Ends a key at `at` (now for a revocation, later for a rotation's grace period).
/// A key already ending earlier keeps its earlier end.
pub async fn end_key(
    env: &Env,
    account_id: &str,
    key_id: &str,
    at: i64,
    revoke: bool,
) -> Result<bool, ApiError> {
    let sql = if revoke {
        "UPDATE api_keys SET revoked_at = ?3 WHERE account_id = ?1 AND id = ?2 AND revoked_at IS NULL RETURNING id"
    } else {
        "UPDATE api_keys SET expires_at = MIN(COALESCE(expires_at, ?3), ?3) WHERE account_id = ?1 AND id = ?2 AND revoked_at IS NULL RETURNING id"
    };
    let row = db(env)?
        .prepare(sql)
        .bind(&[s(account_id), s(key_id), n(at)])
        .map_err(internal)?
        .first::<Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// Revokes a key in one conditional statement: a live key only while another live key
/// stays (active and not ending), so concurrent revocations can never leave the
/// account without one. `Ok(false)`: nothing was revoked (no such active key, or
/// the last live one; the caller tells which).
pub async fn revoke_key(
    env: &Env,
    account_id: &str,
    key_id: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare(
            "UPDATE api_keys SET revoked_at = ?3
             WHERE account_id = ?1 AND id = ?2 AND revoked_at IS NULL
               AND (mode != 'live' OR EXISTS (
                 SELECT 1 FROM api_keys o WHERE o.account_id = ?1 AND o.id != ?2 AND o.mode = 'live'
                   AND o.revoked_at IS NULL AND o.expires_at IS NULL))
             RETURNING id",
        )
        .bind(&[s(account_id), s(key_id), n(now)])
        .map_err(internal)?
        .first::<Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

pub fn is_active(k: &KeyRow, now: i64) -> bool {
    k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now)
}
