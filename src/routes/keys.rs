//! `/v1/keys`: list, create, rotate and revoke the account's API keys, with a live key.

use serde_json::{json, Value};
use worker::{Request, Response};

use super::optional_body;
use crate::core::error::ApiError;
use crate::core::request::keys::{parse_new_key, parse_rotation};
use crate::core::time::rfc3339;
use crate::db::keys::{is_active, KeyRow};
use crate::db::Caller;
use crate::http::{json, now_ms};
use crate::service::{keys, Ctx};

/// Keys are managed with a live key: a test key cannot create or revoke live ones.
fn require_live(caller: &Caller) -> Result<(), ApiError> {
    if caller.livemode() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "API keys are managed with a live key (pp_live_...), not a test key.".into(),
        ))
    }
}

fn key_json(k: &KeyRow, secret: Option<&str>) -> Value {
    let ts = |v: Option<i64>| v.map(rfc3339);
    json!({
        "object": "api_key",
        "id": k.id,
        "mode": k.mode,
        "display": format!("{}…{}", k.prefix, k.last4),
        "created_at": rfc3339(k.created_at),
        "revoked_at": ts(k.revoked_at),
        "expires_at": ts(k.expires_at),
        "active": is_active(k, now_ms()),
        "secret": secret,
    })
}

/// `GET /v1/keys`
pub(crate) async fn list(ctx: &Ctx, caller: &Caller) -> Result<Response, ApiError> {
    require_live(caller)?;
    let keys = keys::list(ctx, &caller.account_id).await?;
    let data: Vec<Value> = keys.iter().map(|k| key_json(k, None)).collect();
    Ok(json(200, &json!({ "object": "list", "data": data })))
}

/// `POST /v1/keys` (optional body `{"mode": "live"|"test"}`)
pub(crate) async fn create(
    mut req: Request,
    ctx: &Ctx,
    caller: &Caller,
) -> Result<Response, ApiError> {
    require_live(caller)?;
    let mode = parse_new_key(&optional_body(&mut req).await?)?;
    let (row, secret) = keys::create(ctx, &caller.account_id, mode).await?;
    Ok(json(201, &key_json(&row, Some(&secret))))
}

/// `POST /v1/keys/{id}/rotate` (optional body `{"grace_seconds": n}`)
pub(crate) async fn rotate(
    mut req: Request,
    ctx: &Ctx,
    caller: &Caller,
    key_id: &str,
) -> Result<Response, ApiError> {
    require_live(caller)?;
    let grace = parse_rotation(&optional_body(&mut req).await?)?;
    let r = keys::rotate(ctx, &caller.account_id, key_id, grace).await?;
    Ok(json(
        201,
        &json!({
            "new_key": key_json(&r.new_key, Some(&r.secret)),
            "old_key": r.old_key.map(|k| key_json(&k, None)),
        }),
    ))
}

/// `POST /v1/keys/{id}/revoke`, `DELETE /v1/keys/{id}`
pub(crate) async fn revoke(ctx: &Ctx, caller: &Caller, key_id: &str) -> Result<Response, ApiError> {
    require_live(caller)?;
    let after = keys::revoke(ctx, &caller.account_id, key_id).await?;
    Ok(json(
        200,
        &after.map(|k| key_json(&k, None)).unwrap_or(Value::Null),
    ))
}
