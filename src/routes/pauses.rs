//! `/v1/pause` and `/v1/pauses`: the REST face of `service::pauses`.

use worker::{Request, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::core::request::{parse_create, parse_wait, IdempotencyKey, ListQuery};
use crate::db::Caller;
use crate::http::{json, query_param, read_body, require_json, MAX_BODY_BYTES};
use crate::service::pauses::{self, pause_id};
use crate::service::Ctx;

/// `POST /v1/pause`
pub(crate) async fn create(
    mut req: Request,
    ctx: &Ctx,
    caller: &Caller,
) -> Result<Response, ApiError> {
    require_json(&req)?;
    let key = req.headers().get("idempotency-key").ok().flatten();
    let idem_key = key.as_deref().map(IdempotencyKey::parse).transpose()?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let new = parse_create(&body, &config::limits(&ctx.env))?;
    let origin = req.url()?.origin().ascii_serialization();
    let created = pauses::create(ctx, caller, new, &origin, idem_key.as_ref()).await?;
    let mut resp = json(201, &created.pause.to_api());
    if created.replayed {
        let _ = resp.headers_mut().set("idempotent-replayed", "true");
    }
    Ok(resp)
}

/// `GET /v1/pause/{id}?wait=`
pub(crate) async fn get(
    req: &Request,
    ctx: &Ctx,
    caller: &Caller,
    raw_id: &str,
) -> Result<Response, ApiError> {
    let wait_ms = parse_wait(query_param(req, "wait").as_deref(), "wait")?;
    let pause = pauses::get(ctx, caller, &pause_id(raw_id)?, wait_ms).await?;
    Ok(json(200, &pause.to_api()))
}

/// `POST /v1/pause/{id}/cancel`, `DELETE /v1/pause/{id}`
pub(crate) async fn cancel(ctx: &Ctx, caller: &Caller, raw_id: &str) -> Result<Response, ApiError> {
    let pause = pauses::cancel(ctx, caller, &pause_id(raw_id)?).await?;
    Ok(json(200, &pause.to_api()))
}

/// `GET /v1/pauses?status=&limit=&cursor=`
pub(crate) async fn list(req: &Request, ctx: &Ctx, caller: &Caller) -> Result<Response, ApiError> {
    let q = ListQuery::parse(
        query_param(req, "status").as_deref(),
        query_param(req, "limit").as_deref(),
        query_param(req, "cursor"),
    )?;
    Ok(json(200, &pauses::list(ctx, caller, q).await?))
}
