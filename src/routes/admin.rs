//! `/admin/accounts`: the operator's door, guarded by the `ADMIN_TOKEN` secret.

use serde_json::json;
use worker::{Request, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::core::request::admin::NewAccount;
use crate::http::{json, read_body, require_json, MAX_BODY_BYTES};
use crate::service::{accounts, Ctx};

/// `POST /admin/accounts`, guarded by the `ADMIN_TOKEN` secret: creates an account
/// and returns its keys, once.
pub(crate) async fn create_account(mut req: Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let env = &ctx.env;
    let expected = config::admin_token(env)?.ok_or(ApiError::RouteNotFound)?;
    let presented = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
        .ok_or(ApiError::MissingApiKey)?;
    if !crate::core::keys::secrets_equal(&presented, &expected) {
        return Err(ApiError::InvalidApiKey);
    }
    require_json(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let NewAccount { name, plan } = NewAccount::parse(&body)?;
    let opened = accounts::open(ctx, &name, plan).await?;
    Ok(json(
        201,
        &json!({
            "object": "account",
            "account_id": opened.account.account_id,
            "name": name,
            "plan": plan.as_str(),
            "live_key": opened.account.live_key,
            "test_key": opened.account.test_key,
            "webhook_secret": opened.webhook_secret,
            "test_webhook_secret": opened.test_webhook_secret,
        }),
    ))
}
