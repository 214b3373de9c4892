//! `GET /v1/account`: who the key belongs to, its plan, this month's usage and limits.

use serde_json::json;
use worker::Response;

use crate::core::error::ApiError;
use crate::core::plans::period_of;
use crate::db::{self, Caller};
use crate::http::{json, now_ms};
use crate::service::Ctx;

pub(crate) async fn get(ctx: &Ctx, caller: &Caller) -> Result<Response, ApiError> {
    let period = period_of(now_ms());
    let used = db::usage::usage(&ctx.db, &caller.account_id, &period).await?;
    let limits = caller.plan.limits();
    Ok(json(
        200,
        &json!({
            "object": "account",
            "account_id": caller.account_id,
            "name": caller.account_name,
            "plan": caller.plan.as_str(),
            "livemode": caller.livemode(),
            "key_id": caller.key_id,
            "usage": { "period": period, "pauses": used },
            "limits": {
                "monthly_pauses": limits.monthly_pauses,
                "channels": limits.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "max_timeout_seconds": limits.max_timeout_seconds,
                "priority": limits.priority,
                "max_approvers": limits.max_approvers,
                "max_escalation_levels": limits.max_levels,
                "max_reminders": crate::core::policy::model::MAX_REMINDERS,
            },
        }),
    ))
}
