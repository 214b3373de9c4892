//! A pause's webhook deliveries, replaying one, and rotating the signing secret.
//! Shared by the REST routes and the console.

use super::{pauses, Ctx};
use crate::core::error::ApiError;
use crate::core::keys::KeyMode;
use crate::core::tenancy::rotation_mode;
use crate::core::webhook::event::{AttemptRow, EventRow};
use crate::db::{webhooks as ws, Caller};
use crate::http::now_ms;
use crate::webhook::producer;

/// Another account's pause, one of the other mode, or no pause: not found either way.
async fn owned_pause_id(ctx: &Ctx, caller: &Caller, raw: &str) -> Result<String, ApiError> {
    let id = pauses::pause_id(raw)?;
    pauses::get(ctx, caller, &id, 0).await?;
    Ok(id.to_string())
}

/// A pause's webhook events and all their attempts.
pub(crate) async fn deliveries(
    ctx: &Ctx,
    caller: &Caller,
    raw_id: &str,
) -> Result<(Vec<EventRow>, Vec<AttemptRow>), ApiError> {
    let id = owned_pause_id(ctx, caller, raw_id).await?;
    ws::for_pause(&ctx.db, &caller.account_id, &id).await
}

/// Starts a finished event's delivery again (same id and body, a fresh schedule);
/// returns the pause id and the event as it was.
pub(crate) async fn replay(
    ctx: &Ctx,
    caller: &Caller,
    raw_id: &str,
    event_id: &str,
) -> Result<(String, EventRow), ApiError> {
    let id = owned_pause_id(ctx, caller, raw_id).await?;
    let e = ws::event(&ctx.db, event_id)
        .await?
        .filter(|e| e.pause_id == id && e.account_id == caller.account_id)
        .ok_or(ApiError::WebhookEventNotFound)?;
    if !producer::replay(&ctx.env, &e).await? {
        return Err(ApiError::WebhookEventPending);
    }
    Ok((id, e))
}

/// Rotates the signing secret of the asked mode (the caller's by default): the mode,
/// the new secret (shown once) and when the previous one stops signing.
pub(crate) async fn rotate_secret(
    ctx: &Ctx,
    caller: &Caller,
    asked: Option<KeyMode>,
) -> Result<(KeyMode, String, i64), ApiError> {
    let mode = rotation_mode(caller.key_mode(), asked)?;
    let (secret, until) =
        ws::rotate_secret(&ctx.db, &caller.account_id, mode.is_live(), now_ms()).await?;
    Ok((mode, secret, until))
}
