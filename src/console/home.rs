//! Home: the quick start, "send me a test pause" (a real pause, made by the same
//! service function as `POST /v1/pause`) and the recent pauses, which the page's
//! script refreshes from `GET /console/recent`.

use serde_json::{json, Value};
use worker::{Headers, Request, Response};

use crate::config;
use crate::core::console::html;
use crate::core::error::ApiError;
use crate::core::pause::Channel;
use crate::core::plans::Plan;
use crate::core::request::{parse_create, ListQuery};
use crate::http::{json, now_ms, query_param};
use crate::service::{pauses, Ctx};

use super::{base_url, html_response, redirect, session, Member};

const RECENT: u32 = 10;

async fn recent_html(ctx: &Ctx, member: &Member) -> Result<String, ApiError> {
    let q = ListQuery {
        status: None,
        channel: None,
        limit: RECENT,
        cursor: None,
    };
    let list = pauses::list(ctx, &member.caller(true), q).await?;
    let data = list
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(html::recent(&data, now_ms()))
}

/// Does the plan include the email channel (a test pause to one's own address)?
pub(crate) fn email_ok(plan: Plan) -> bool {
    plan.limits().channels.contains(&Channel::Email)
}

pub(crate) async fn get(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let member = match session::require(req, ctx).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    let notice = query_param(req, "sent")
        .is_some()
        .then_some("Test pause sent. Answer it, and watch it change below.");
    let recent = recent_html(ctx, &member).await?;
    let page = html::home(
        &member.viewer(),
        &base_url(req, &ctx.env)?,
        None,
        &recent,
        notice,
        email_ok(member.plan),
    );
    Ok(html_response(200, page))
}

/// `GET /console/recent`: the recent pauses table alone, for the live list.
pub(crate) async fn recent(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let member = match session::require(req, ctx).await {
        Ok(m) => m,
        Err(_) => return Ok(html_response(401, String::new())),
    };
    let body = recent_html(ctx, &member).await?;
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/html; charset=utf-8");
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set("x-content-type-options", "nosniff");
    Ok(Response::from_bytes(body.into_bytes())?.with_headers(headers))
}

/// The test pause's body: to an email address or a phone number, as typed.
fn test_pause_body(recipient: &str) -> Value {
    let channel = if recipient.contains('@') {
        "email"
    } else {
        "sms"
    };
    json!({
        "channel": channel,
        "recipient": recipient.trim(),
        "message": "This is a test pause from your PausePoint console. Did it reach you?",
        "options": ["Yes, it works", "No"],
        "timeout_seconds": 900,
    })
}

/// `POST /console/test-pause`: owners and admins send a real (live) pause. With
/// `Accept: application/json` (the page's script) the answer is JSON; else a redirect.
pub(crate) async fn test_pause(mut req: Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let (member, form) = match session::require_post(&mut req, ctx).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
    let wants_json = req
        .headers()
        .get("accept")
        .ok()
        .flatten()
        .is_some_and(|a| a.contains("application/json"));
    let result = if member.role.can_manage() {
        // The same parser and service as `POST /v1/pause`: the recipient is checked
        // there, and the plan's limits apply.
        let body = test_pause_body(form.get("recipient").unwrap_or(""));
        let origin = req.url()?.origin().ascii_serialization();
        match parse_create(body.to_string().as_bytes(), &config::limits(&ctx.env)) {
            Ok(new) => pauses::create(ctx, &member.caller(true), new, &origin, None)
                .await
                .map(|c| c.pause),
            Err(e) => Err(e),
        }
    } else {
        Err(ApiError::Forbidden(
            "Viewers cannot send pauses; ask an owner or admin.".into(),
        ))
    };
    match (result, wants_json) {
        (Ok(p), true) => Ok(json(
            201,
            &json!({ "pause_id": p.id, "message": format!("Sent to {}. Answer it, and watch it change below.", p.recipient) }),
        )),
        (Ok(_), false) => Ok(redirect("/console?sent=1")),
        (Err(e), true) => Ok(json(e.status(), &json!({ "message": e.message() }))),
        (Err(e), false) => Ok(super::error_page(&e)),
    }
}
