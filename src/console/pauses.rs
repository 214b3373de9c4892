//! `/console/pauses`: the list (and its live fragment), a pause's page, cancel, replay.

use worker::{Request, Response};

use super::pages::{error_page, page, query_pairs, require_manager, see_other};
use super::session::Member;
use crate::core::audit::{AuditKind, Filter, Format};
use crate::core::console::pauses_view::{self, ListFilter, ListRow, PauseDetail};
use crate::core::console::view;
use crate::core::error::ApiError;
use crate::core::pause::Pause;
use crate::core::request::ListQuery;
use crate::http::now_ms;
use crate::service::{audit as audit_ops, pauses, webhooks, Ctx};

const PAGE_SIZE: u32 = 25;
/// Events on a pause's page (the audit page has them all), so it stays well under 50 KB.
const TIMELINE_EVENTS: u32 = 100;

async fn load(
    ctx: &Ctx,
    m: &Member,
    f: &ListFilter,
) -> Result<(Vec<ListRow>, Option<String>), ApiError> {
    let q = ListQuery {
        status: f.status,
        channel: f.channel,
        limit: PAGE_SIZE,
        cursor: f.cursor.clone(),
    };
    let listed = pauses::list(ctx, &m.caller(!f.test), q).await?;
    let rows = listed["data"]
        .as_array()
        .map(|a| a.iter().map(ListRow::from_doc).collect())
        .unwrap_or_default();
    let next = listed["next_cursor"].as_str().map(str::to_string);
    Ok((rows, next))
}

/// `GET /console/pauses`
pub(crate) async fn list(req: &Request, ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    let f = match ListFilter::parse(&query_pairs(req)?) {
        Ok(f) => f,
        Err(e) => return Ok(error_page(m, "/console/pauses", &e)),
    };
    match load(ctx, m, &f).await {
        Ok((rows, next)) => {
            let body = pauses_view::list_page(&f, &rows, next.as_deref(), now_ms());
            Ok(page(m, 200, "/console/pauses", "Pauses", &body))
        }
        Err(e) => Ok(error_page(m, "/console/pauses", &e)),
    }
}

/// `GET /console/pauses/rows`: the list's first page of `<tr>`s, for the live script.
pub(crate) async fn rows(req: &Request, ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    let mut f = ListFilter::parse(&query_pairs(req)?)?;
    f.cursor = None;
    let (rows, _) = load(ctx, m, &f).await?;
    Ok(super::html_response(
        200,
        pauses_view::rows_fragment(&rows, now_ms()),
    ))
}

/// A pause of either mode (the console shows both): live first, then test.
async fn find(ctx: &Ctx, m: &Member, id: &str) -> Result<(Pause, bool), ApiError> {
    let id = pauses::pause_id(id)?;
    match pauses::get(ctx, &m.caller(true), &id, 0).await {
        Err(ApiError::PauseNotFound) => {
            Ok((pauses::get(ctx, &m.caller(false), &id, 0).await?, false))
        }
        other => Ok((other?, true)),
    }
}

/// `GET /console/pauses/{id}` (`?done=` after an action says what was done).
pub(crate) async fn show(
    req: &Request,
    ctx: &Ctx,
    m: &Member,
    id: &str,
) -> Result<Response, ApiError> {
    let flash = match crate::http::query_param(req, "done").as_deref() {
        Some("cancelled") => Some((true, "The pause is cancelled.")),
        Some("replayed") => Some((true, "The webhook event is being delivered again.")),
        _ => None,
    };
    let (p, live) = match find(ctx, m, id).await {
        Ok(found) => found,
        Err(e) => return Ok(error_page(m, "/console/pauses", &e)),
    };
    let caller = m.caller(live);
    let f = Filter {
        pause_id: Some(p.id.clone()),
        kind: None,
        actor: None,
        since: None,
        until: None,
        cursor: None,
        limit: TIMELINE_EVENTS,
        format: Format::Page,
    };
    let ((timeline, more), (webhooks, attempts)) = futures_util::try_join!(
        audit_ops::events(ctx, &caller, &f),
        webhooks::deliveries(ctx, &caller, &p.id)
    )?;
    let detail = PauseDetail {
        pause: &p,
        timeline: &timeline,
        timeline_more: more.is_some(),
        webhooks: &webhooks,
        attempts: &attempts,
        can_manage: m.role.can_manage(),
        csrf: &m.csrf,
        flash,
    };
    let title = view::clip(&p.message, 60);
    Ok(page(
        m,
        200,
        "/console/pauses",
        &title,
        &pauses_view::pause_page(&detail),
    ))
}

/// `POST /console/pauses/{id}/cancel` (owner and admins).
pub(crate) async fn cancel(ctx: &Ctx, m: &Member, id: &str) -> Response {
    let done = async {
        require_manager(m)?;
        let (_, live) = find(ctx, m, id).await?;
        pauses::cancel(ctx, &m.caller(live), &pauses::pause_id(id)?).await
    }
    .await;
    match done {
        Ok(p) => see_other(&format!(
            "/console/pauses/{}?done=cancelled",
            view::qs(&p.id)
        )),
        Err(e) => error_page(m, "/console/pauses", &e),
    }
}

/// `POST /console/pauses/{id}/webhooks/{event}/replay` (owner and admins).
pub(crate) async fn replay(ctx: &Ctx, m: &Member, id: &str, event_id: &str) -> Response {
    let done = async {
        require_manager(m)?;
        let (_, live) = find(ctx, m, id).await?;
        let replayed = webhooks::replay(ctx, &m.caller(live), id, event_id).await?;
        let what = serde_json::json!({ "pause_id": replayed.0, "webhook_event_id": event_id });
        super::audit::record(ctx, m, AuditKind::WebhookReplayed, what).await?;
        Ok::<_, ApiError>(replayed)
    }
    .await;
    match done {
        Ok((pid, _)) => see_other(&format!("/console/pauses/{}?done=replayed", view::qs(&pid))),
        Err(e) => error_page(m, "/console/pauses", &e),
    }
}
