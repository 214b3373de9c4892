//! Webhook endpoints: a pause's events with every attempt, replay, secret rotation
//! (the REST face of `service::webhooks`).

use serde_json::json;
use worker::{Request, Response};

use super::optional_body;
use crate::core::error::ApiError;
use crate::core::request::keys::parse_secret_rotation;
use crate::core::time::rfc3339;
use crate::core::webhook::event::to_api;
use crate::db::{webhooks as ws, Caller};
use crate::http::json;
use crate::service::{webhooks as hooks, Ctx};

/// `GET /v1/pause/{id}/webhooks`
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, raw_id: &str) -> Result<Response, ApiError> {
    let (events, attempts) = hooks::deliveries(ctx, caller, raw_id).await?;
    let data: Vec<_> = events.iter().map(|e| to_api(e, &attempts)).collect();
    Ok(json(200, &json!({ "object": "list", "data": data })))
}

/// `POST /v1/pause/{id}/webhooks/{event_id}/replay`: sends a finished event again,
/// same id and body, with a fresh schedule; re-enables an endpoint that said 410.
pub(crate) async fn replay(
    ctx: &Ctx,
    caller: &Caller,
    raw_id: &str,
    event_id: &str,
) -> Result<Response, ApiError> {
    let (id, e) = hooks::replay(ctx, caller, raw_id, event_id).await?;
    let (events, attempts) = ws::for_pause(&ctx.db, &caller.account_id, &id).await?;
    let now = events.iter().find(|x| x.id == e.id).unwrap_or(&e);
    Ok(json(202, &to_api(now, &attempts)))
}

/// `POST /v1/webhook_secret/rotate` (optional body `{"mode": "live"|"test"}`, the
/// key's mode by default): a new secret of that mode, shown once; the previous one
/// keeps signing beside it for 24 hours, so receivers can switch without losing
/// events. A test key rotates only the test secret.
pub(crate) async fn rotate_secret(
    mut req: Request,
    ctx: &Ctx,
    caller: &Caller,
) -> Result<Response, ApiError> {
    let asked = parse_secret_rotation(&optional_body(&mut req).await?)?;
    let (mode, secret, until) = hooks::rotate_secret(ctx, caller, asked).await?;
    Ok(json(
        200,
        &json!({
            "object": "webhook_secret",
            "livemode": mode.is_live(),
            "secret": secret,
            "previous_secrets_expire_at": rfc3339(until),
        }),
    ))
}
