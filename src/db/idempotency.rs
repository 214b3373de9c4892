//! `idempotency_keys`: which pause a create's `Idempotency-Key` stands for.

use serde::Deserialize;

use super::{rows_of, Db};
use crate::core::error::ApiError;

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

#[derive(Deserialize, Debug, Clone)]
pub struct IdempotencyRecord {
    pub pause_id: String,
    pub request_hash: String,
}

/// Claims `key` for `pause_id` unless a live claim exists; returns the claim in force
/// (ours, or the earlier request's). Claims older than the TTL are taken over. Keys
/// are scoped by mode: a live and a test request never share one.
pub async fn claim_idempotency_key(
    db: &Db,
    account_id: &str,
    livemode: bool,
    key: &str,
    pause_id: &str,
    request_hash: &str,
    now: i64,
) -> Result<IdempotencyRecord, ApiError> {
    let claim = db.stmt(
        "INSERT INTO idempotency_keys (account_id, key, pause_id, request_hash, created_at, livemode) VALUES (?1, ?2, ?3, ?4, ?5, ?7)
         ON CONFLICT(account_id, livemode, key) DO UPDATE SET pause_id = excluded.pause_id,
           request_hash = excluded.request_hash, created_at = excluded.created_at
         WHERE idempotency_keys.created_at <= ?6",
        &[
            account_id.into(),
            key.into(),
            pause_id.into(),
            request_hash.into(),
            now.into(),
            (now - IDEMPOTENCY_TTL_MS).into(),
            livemode.into(),
        ],
    )?;
    let read = db.stmt(
        "SELECT pause_id, request_hash FROM idempotency_keys WHERE account_id = ?1 AND key = ?2 AND livemode = ?3",
        &[account_id.into(), key.into(), livemode.into()],
    )?;
    let results = db.batch(vec![claim, read]).await?;
    rows_of::<IdempotencyRecord>(&results, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("idempotency claim vanished"))
}

/// Forgets a claim whose create was refused, so a corrected retry can use the key.
pub async fn drop_idempotency_key(
    db: &Db,
    account_id: &str,
    livemode: bool,
    key: &str,
    pause_id: &str,
) -> Result<(), ApiError> {
    db.run(
        "DELETE FROM idempotency_keys WHERE account_id = ?1 AND key = ?2 AND pause_id = ?3 AND livemode = ?4",
        &[account_id.into(), key.into(), pause_id.into(), livemode.into()],
    )
    .await
}
