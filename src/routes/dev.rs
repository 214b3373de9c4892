//! What the service would have sent, for developers: `/dev/outbox` (local mode only,
//! every account) and `/v1/test/outbox` (an account's test-mode pauses).

use serde_json::json;
use worker::{Request, Response};

use crate::core::error::ApiError;
use crate::db::{self, Caller};
use crate::http::{json, query_param};
use crate::service::Ctx;

/// `GET /dev/outbox` (local mode only): the messages that would have been sent.
pub(crate) async fn outbox(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows = db::dev_outbox::read_dev_outbox(&ctx.db, None, pause_id.as_deref(), 100).await?;
    Ok(json(200, &json!({ "object": "list", "data": rows })))
}

/// `GET /v1/test/outbox`: what the account's test-mode pauses would have sent.
pub(crate) async fn test_outbox(
    req: &Request,
    ctx: &Ctx,
    caller: &Caller,
) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows = db::dev_outbox::read_dev_outbox(
        &ctx.db,
        Some(&caller.account_id),
        pause_id.as_deref(),
        100,
    )
    .await?;
    Ok(json(200, &json!({ "object": "list", "data": rows })))
}
