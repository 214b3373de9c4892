//! `/console/usage`: this month's live pauses against the plan, and the plans.

use worker::{Env, Response};

use super::pages::page;
use super::session::Member;
use crate::accounts;
use crate::config;
use crate::core::console::usage_view;
use crate::core::error::ApiError;
use crate::core::plans::period_of;
use crate::http::now_ms;

/// Where a team asks to change plan when `SALES_EMAIL` is not set.
const DEFAULT_CONTACT: &str = "sales@pausepoint.dev";

/// `GET /console/usage`
pub(crate) async fn show(env: &Env, m: &Member) -> Result<Response, ApiError> {
    let caller = m.caller(true);
    let period = period_of(now_ms());
    let used = accounts::usage(env, &caller.account_id, &period).await?;
    let contact = config::string(env, "SALES_EMAIL").unwrap_or_else(|| DEFAULT_CONTACT.into());
    let body = usage_view::usage_page(caller.plan(), &period, used, &contact);
    Ok(page(m, 200, "/console/usage", "Usage and plan", &body))
}
