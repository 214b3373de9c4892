//! `api_keys`: resolving a presented key (through the isolate cache), listing,
//! creating, ending and revoking keys.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{key_cache, Db};
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::keys::{self, KeyMode};
use crate::core::plans::Plan;
use crate::core::tenancy::MAX_ACTIVE_KEYS;
use crate::http::random_bytes;

/// The caller of an API request, resolved from its key.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: String,
    pub mode: KeyMode,
    pub account_id: String,
    pub account_name: String,
    pub plan: Plan,
}

impl Caller {
    pub fn livemode(&self) -> bool {
        self.mode == KeyMode::Live
    }
    pub fn key_mode(&self) -> KeyMode {
        self.mode
    }
}

#[derive(Deserialize)]
struct CallerRow {
    key_id: String,
    mode: KeyMode,
    account_id: String,
    account_name: String,
    plan: String,
    expires_at: Option<i64>,
}

/// The active key's caller, from the isolate cache when seen in the last `TTL_MS`.
/// An account whose plan this build does not know is a fault (500), not Free.
pub async fn caller_by_key(db: &Db, presented: &str, now: i64) -> Result<Option<Caller>, ApiError> {
    if keys::mode_of(presented).is_none() {
        return Ok(None);
    }
    let hash = keys::hash_key(presented);
    if let Some(c) = key_cache::get(&hash, now) {
        return Ok(Some(c));
    }
    let epoch = key_cache::epoch();
    let Some(row) = db
        .first::<CallerRow>(
            "SELECT k.id AS key_id, k.mode, k.expires_at, a.id AS account_id, a.name AS account_name, a.plan
             FROM api_keys k JOIN accounts a ON a.id = k.account_id
             WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2)",
            &[hash.as_str().into(), now.into()],
        )
        .await?
    else {
        return Ok(None);
    };
    let plan = Plan::parse(&row.plan).ok_or_else(|| {
        ApiError::internal(format!(
            "account {} has an unknown plan {:?}",
            row.account_id, row.plan
        ))
    })?;
    let caller = Caller {
        key_id: row.key_id,
        mode: row.mode,
        account_id: row.account_id,
        account_name: row.account_name,
        plan,
    };
    key_cache::put(&hash, &caller, now, row.expires_at, epoch);
    Ok(Some(caller))
}

#[derive(Deserialize, Serialize, Debug, Clone)]
pub struct KeyRow {
    pub id: String,
    pub mode: KeyMode,
    pub prefix: String,
    pub last4: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
}

pub fn is_active(k: &KeyRow, now: i64) -> bool {
    k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now)
}

pub async fn list_keys(db: &Db, account_id: &str) -> Result<Vec<KeyRow>, ApiError> {
    db.all(
        "SELECT id, mode, prefix, last4, created_at, revoked_at, expires_at FROM api_keys
         WHERE account_id = ?1 ORDER BY created_at DESC, id",
        &[account_id.into()],
    )
    .await
}

/// Adds a key unless the account already holds `MAX_ACTIVE_KEYS` active ones (not
/// counting `replacing`, a key a rotation ends at once); returns its row and its
/// secret (shown once). One conditional insert, so concurrent creates cannot overshoot.
pub async fn create_key(
    db: &Db,
    account_id: &str,
    mode: KeyMode,
    replacing: Option<&str>,
    now: i64,
) -> Result<(KeyRow, String), ApiError> {
    let key = keys::new_key(mode, &random_bytes::<20>());
    let row = KeyRow {
        id: format!("key_{}", hex(&random_bytes::<8>())),
        mode,
        prefix: key.prefix.clone(),
        last4: key.last4.clone(),
        created_at: now,
        revoked_at: None,
        expires_at: None,
    };
    let inserted = db
        .first::<Value>(
            "INSERT INTO api_keys (id, account_id, key_hash, mode, prefix, last4, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
             WHERE (SELECT COUNT(*) FROM api_keys WHERE account_id = ?2 AND revoked_at IS NULL
                    AND (expires_at IS NULL OR expires_at > ?7) AND id != ?8) < ?9
             RETURNING id",
            &[
                (&row.id).into(),
                account_id.into(),
                (&key.hash).into(),
                mode.as_str().into(),
                (&row.prefix).into(),
                (&row.last4).into(),
                now.into(),
                replacing.unwrap_or("").into(),
                MAX_ACTIVE_KEYS.into(),
            ],
        )
        .await?;
    if inserted.is_none() {
        return Err(ApiError::KeyLimit);
    }
    Ok((row, key.secret))
}

/// Ends a key at `at` (now for a revocation, later for a rotation's grace period).
/// A key already ending earlier keeps its earlier end. This isolate forgets the key at
/// once (its next use reads the new end); others within `key_cache::TTL_MS`.
pub async fn end_key(
    db: &Db,
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
    let row = db
        .first::<Value>(sql, &[account_id.into(), key_id.into(), at.into()])
        .await;
    key_cache::evict_key(key_id);
    Ok(row?.is_some())
}

/// Revokes a key in one conditional statement: a live key only while another live key
/// stays (active and not ending), so concurrent revocations can never leave the
/// account without one. `Ok(false)`: nothing was revoked (no such active key, or
/// the last live one; the caller tells which). Evicted from this isolate's cache.
pub async fn revoke_key(
    db: &Db,
    account_id: &str,
    key_id: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "UPDATE api_keys SET revoked_at = ?3
             WHERE account_id = ?1 AND id = ?2 AND revoked_at IS NULL
               AND (mode != 'live' OR EXISTS (
                 SELECT 1 FROM api_keys o WHERE o.account_id = ?1 AND o.id != ?2 AND o.mode = 'live'
                   AND o.revoked_at IS NULL AND o.expires_at IS NULL))
             RETURNING id",
            &[account_id.into(), key_id.into(), now.into()],
        )
        .await;
    key_cache::evict_key(key_id);
    Ok(row?.is_some())
}
