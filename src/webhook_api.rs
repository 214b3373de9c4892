//! Webhook endpoints: a pause's events with every attempt, replay, secret rotation.

use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::api;
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::core::keys::KeyMode;
use crate::core::tenancy::rotation_mode;
use crate::core::time::rfc3339;
use crate::core::webhook::event::{to_api, AttemptRow, EventRow};
use crate::http::{json, now_ms};
use crate::pause_object::Command;
use crate::store::Caller;
use crate::webhook_store as ws;
use crate::webhooks;

/// Another account's pause, one of the other mode, or no pause: not found either way.
async fn owned_pause_id(env: &Env, caller: &Caller, raw: &str) -> Result<String, ApiError> {
    let id = PauseId::parse(raw)
        .ok_or(ApiError::PauseNotFound)?
        .to_string();
    let reply = api::call_for(env, caller, &id, Command::Get { wait_ms: 0 }).await?;
    api::owned(reply.pause, caller)?;
    Ok(id)
}

/// `GET /v1/pause/{id}/webhooks`
pub async fn list(env: &Env, caller: &Caller, raw_id: &str) -> Result<Response, ApiError> {
    let (events, attempts) = deliveries(env, caller, raw_id).await?;
    let data: Vec<_> = events.iter().map(|e| to_api(e, &attempts)).collect();
    Ok(json(200, &json!({ "object": "list", "data": data })))
}

/// A pause's webhook events and all their attempts. Shared by REST and the console.
pub(crate) async fn deliveries(
    env: &Env,
    caller: &Caller,
    raw_id: &str,
) -> Result<(Vec<EventRow>, Vec<AttemptRow>), ApiError> {
    let id = owned_pause_id(env, caller, raw_id).await?;
    ws::for_pause(env, &caller.account_id, &id).await
}

/// `POST /v1/pause/{id}/webhooks/{event_id}/replay`: sends a finished event again,
/// same id and body, with a fresh schedule; re-enables an endpoint that said 410.
pub async fn replay(
    env: &Env,
    caller: &Caller,
    raw_id: &str,
    event_id: &str,
) -> Result<Response, ApiError> {
    let (id, e) = replay_event(env, caller, raw_id, event_id).await?;
    let (events, attempts) = ws::for_pause(env, &caller.account_id, &id).await?;
    let now = events.iter().find(|x| x.id == e.id).unwrap_or(&e);
    Ok(json(202, &to_api(now, &attempts)))
}

/// Starts a finished event's delivery again. Shared by REST and the console.
pub(crate) async fn replay_event(
    env: &Env,
    caller: &Caller,
    raw_id: &str,
    event_id: &str,
) -> Result<(String, EventRow), ApiError> {
    let id = owned_pause_id(env, caller, raw_id).await?;
    let e = ws::event(env, event_id)
        .await?
        .filter(|e| e.pause_id == id && e.account_id == caller.account_id)
        .ok_or(ApiError::WebhookEventNotFound)?;
    if !webhooks::replay(env, &e).await? {
        return Err(ApiError::WebhookEventPending);
    }
    Ok((id, e))
}

/// `POST /v1/webhook_secret/rotate` (optional body `{"mode": "live"|"test"}`, the
/// key's mode by default): a new secret of that mode, shown once; the previous one
/// keeps signing beside it for 24 hours, so receivers can switch without losing
/// events. A test key rotates only the test secret.
pub async fn rotate_secret(
    mut req: Request,
    env: &Env,
    caller: &Caller,
) -> Result<Response, ApiError> {
    let obj = api::optional_object(&mut req, &["mode"]).await?;
    let asked = match obj.get("mode") {
        None => None,
        Some(Value::String(m)) => Some(
            KeyMode::parse(m)
                .ok_or_else(|| ApiError::invalid("mode", "`mode` must be live or test."))?,
        ),
        Some(_) => return Err(ApiError::invalid("mode", "`mode` must be live or test.")),
    };
    let (mode, secret, until) = rotate(env, caller, asked).await?;
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

/// Rotates the signing secret of the asked mode (the caller's by default): the mode,
/// the new secret (shown once) and when the previous one stops. Shared by REST and
/// the console.
pub(crate) async fn rotate(
    env: &Env,
    caller: &Caller,
    asked: Option<KeyMode>,
) -> Result<(KeyMode, String, i64), ApiError> {
    let mode = rotation_mode(caller.key_mode(), asked)?;
    let (secret, until) =
        ws::rotate_secret(env, &caller.account_id, mode.is_live(), now_ms()).await?;
    Ok((mode, secret, until))
}
