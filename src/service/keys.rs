//! API key operations for one account: list, create, rotate (with grace), revoke.
//! Who may call them (a live key, or the console's owner) is the caller's business.

use super::Ctx;
use crate::accounts::{self, KeyRow};
use crate::core::error::ApiError;
use crate::core::keys::KeyMode;
use crate::http::{internal, now_ms};

/// The account's keys, newest first, revoked ones included.
pub(crate) async fn list(ctx: &Ctx, account_id: &str) -> Result<Vec<KeyRow>, ApiError> {
    accounts::list_keys(&ctx.env, account_id).await
}

/// A new key; the secret is returned once and never stored.
pub(crate) async fn create(
    ctx: &Ctx,
    account_id: &str,
    mode: KeyMode,
) -> Result<(KeyRow, String), ApiError> {
    accounts::create_key(&ctx.env, account_id, mode, None, now_ms()).await
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
    let env = &ctx.env;
    let keys = accounts::list_keys(env, account_id).await?;
    let now = now_ms();
    let old = keys
        .iter()
        .find(|k| k.id == key_id && accounts::is_active(k, now))
        .ok_or(ApiError::KeyNotFound)?;
    let mode = KeyMode::parse(&old.mode).ok_or_else(|| internal("stored key mode unreadable"))?;
    // Rotating without grace replaces the key, so it fits even at the key cap.
    let replacing = (grace == 0).then_some(key_id);
    let (row, secret) = accounts::create_key(env, account_id, mode, replacing, now).await?;
    accounts::end_key(env, account_id, key_id, now + grace * 1000, grace == 0).await?;
    let old_after = accounts::list_keys(env, account_id)
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
    let env = &ctx.env;
    // One conditional statement decides: two concurrent revocations of the last two
    // live keys cannot both pass a check made before either writes.
    let revoked = accounts::revoke_key(env, account_id, key_id, now_ms()).await?;
    let after = accounts::list_keys(env, account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    if !revoked {
        // Why not: no such key (or already revoked), or the account's last live key.
        return Err(match &after {
            Some(k) if k.revoked_at.is_none() && k.mode == "live" => ApiError::LastLiveKey,
            _ => ApiError::KeyNotFound,
        });
    }
    Ok(after)
}
