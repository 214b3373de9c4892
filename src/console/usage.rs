//! `/console/usage`: this month's live pauses against the plan, and the plans.

use worker::Response;

use super::pages::page;
use super::session::Member;
use crate::config;
use crate::core::console::usage_view;
use crate::core::error::ApiError;
use crate::core::plans::period_of;
use crate::db;
use crate::http::now_ms;
use crate::service::Ctx;

/// Where a team asks to change plan when `SALES_EMAIL` is not set.
const DEFAULT_CONTACT: &str = "sales@pausepoint.dev";

/// `GET /console/usage`
pub(crate) async fn show(ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    let period = period_of(now_ms());
    let used = db::usage::usage(&ctx.db, &m.account_id, &period).await?;
    let contact = config::string(&ctx.env, "SALES_EMAIL").unwrap_or_else(|| DEFAULT_CONTACT.into());
    let body = usage_view::usage_page(m.plan, &period, used, &contact);
    Ok(page(m, 200, "/console/usage", "Usage and plan", &body))
}
