//! API key operations for one account: list, create, rotate (with grace), revoke.
//! Who may call them (a live key, or the console's owner) is the caller's business.

use super::Ctx;
use crate::core::error::ApiError;
use crate::core::keys::KeyMode;
use crate::db::keys::{self as key_rows, KeyRow};
use crate::http::now_ms;

/// The account's keys, newest first, revoked ones included.
pub(crate) async fn list(ctx: &Ctx, account_id: &str) -> Result<Vec<KeyRow>, ApiError> {
    key_rows::list_keys(&ctx.db, account_id).await
}

/// A new key; the secret is returned once and never stored.
pub(crate) async fn create(
    ctx: &Ctx,
    account_id: &str,
    mode: KeyMode,
) -> Result<(KeyRow, String), ApiError> {
    key_rows::create_key(&ctx.db, account_id, mode, None, now_ms()).await
}

/// A key issued by [`rotate`], and the old one as it is now.
pub(crate) struct Rotated {
    pub new_key: KeyRow,
    pub secret: String,
    pub old_key: Option<KeyRow>,
}

/// Issues a new key of the same mode; the old one keeps working for `grace_seconds`
/// (0: it stops at once), so deployments can switch without downtime.
pub(crate) async fn rotate(
    ctx: &Ctx,
    account_id: &str,
    key_id: &str,
    grace: i64,
) -> Result<Rotated, ApiError> {
    let db = &ctx.db;
    let keys = key_rows::list_keys(db, account_id).await?;
    let now = now_ms();
    let old = keys
        .iter()
        .find(|k| k.id == key_id && key_rows::is_active(k, now))
        .ok_or(ApiError::KeyNotFound)?;
    let mode = old.mode;
    // Rotating without grace replaces the key, so it fits even at the key cap.
    let replacing = (grace == 0).then_some(key_id);
    let (row, secret) = key_rows::create_key(db, account_id, mode, replacing, now).await?;
    key_rows::end_key(db, account_id, key_id, now + grace * 1000, grace == 0).await?;
    let old_after = key_rows::list_keys(db, account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    Ok(Rotated {
        new_key: row,
        secret,
        old_key: old_after,
    })
}

/// Revokes a key at once; the account's last live key cannot be revoked.
pub(crate) async fn revoke(
    ctx: &Ctx,
    account_id: &str,
    key_id: &str,
) -> Result<Option<KeyRow>, ApiError> {
    let db = &ctx.db;
    // One conditional statement decides: two concurrent revocations of the last two
    // live keys cannot both pass a check made before either writes.
    let revoked = key_rows::revoke_key(db, account_id, key_id, now_ms()).await?;
    let after = key_rows::list_keys(db, account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    if !revoked {
        // Why not: no such key (or already revoked), or the account's last live key.
        return Err(match &after {
            Some(k) if k.revoked_at.is_none() && k.mode == KeyMode::Live => ApiError::LastLiveKey,
            _ => ApiError::KeyNotFound,
        });
    }
    Ok(after)
}
