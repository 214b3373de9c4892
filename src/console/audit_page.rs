//! `/console/audit`: the filtered log, its export (the API's export code) and the chain
//! check of one pause in plain words.

use worker::{Request, Response};

use super::pages::{error_page, page, query_pairs};
use super::session::Member;
use crate::core::audit::parse_filter;
use crate::core::console::audit_view::{self, AuditQuery, Verification, PAGE_SIZE};
use crate::core::error::ApiError;
use crate::routes::audit::export_for;
use crate::service::audit::{self as audit_ops, Verified};
use crate::service::Ctx;

const ACTIVE: &str = "/console/audit";

/// The page with `error` or `verification` on top (the listing under them).
async fn render(
    ctx: &Ctx,
    m: &Member,
    q: &AuditQuery,
    status: u16,
    error: Option<&str>,
    verification: Option<&Verification>,
) -> Result<Response, ApiError> {
    let listed = async {
        let mut pairs = q.api_pairs(true);
        pairs.push(("limit".into(), PAGE_SIZE.to_string()));
        let f = parse_filter(&pairs)?;
        audit_ops::events(ctx, &m.caller(!q.test), &f).await
    }
    .await;
    let (rows, next, list_error) = match listed {
        Ok((rows, next)) => (rows, next, None),
        Err(e) if e.status() < 500 => (Vec::new(), None, Some(e.message())),
        Err(e) => return Ok(error_page(m, ACTIVE, &e)),
    };
    // The caller's own refusal keeps its status; otherwise a refused filter is a 400.
    let status = if error.is_none() && list_error.is_some() {
        400
    } else {
        status
    };
    let error = error.map(str::to_string).or(list_error);
    let body = audit_view::audit_page(q, &rows, next.as_deref(), error.as_deref(), verification);
    Ok(page(m, status, ACTIVE, "Audit log", &body))
}

/// `GET /console/audit`
pub(crate) async fn list(req: &Request, ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    let q = AuditQuery::from_pairs(&query_pairs(req)?);
    render(ctx, m, &q, 200, None, None).await
}

/// `GET /console/audit/export?format=csv|ndjson&…`: the API's streamed export of the
/// same filters (a bad filter is the API's error, as JSON: it is a download).
pub(crate) async fn export(req: &Request, ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    let pairs = query_pairs(req)?;
    let q = AuditQuery::from_pairs(&pairs);
    let format = pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.clone());
    let format = match format.as_deref() {
        Some(f @ ("csv" | "ndjson")) => f.to_string(),
        _ => {
            return Err(ApiError::invalid(
                "format",
                "`format` must be csv or ndjson.",
            ))
        }
    };
    let mut api_pairs = q.api_pairs(false);
    api_pairs.push(("format".into(), format));
    export_for(ctx, &m.caller(!q.test), &api_pairs).await
}

/// `GET /console/audit/verify?pause_id=…`: runs the chain check (the API's) and says
/// what it proved. A pause of either mode.
pub(crate) async fn verify(req: &Request, ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    let pairs = query_pairs(req)?;
    let mut q = AuditQuery::from_pairs(&pairs);
    if pairs.iter().any(|(k, v)| k == "chain" && v == "team") {
        let Verified {
            events,
            last,
            first_break,
        } = audit_ops::verify_account(ctx, &m.account_id).await?;
        let v = Verification {
            pause_id: m.account_id.clone(),
            team: true,
            events,
            head: last,
            first_break,
        };
        return render(ctx, m, &q, 200, None, Some(&v)).await;
    }
    let id = q.pause_id.clone();
    let mut checked = audit_ops::verify_pause(ctx, &m.caller(!q.test), &id).await;
    if matches!(checked, Err(ApiError::PauseNotFound)) {
        // The pause page links here without a mode: try the other one.
        checked = audit_ops::verify_pause(ctx, &m.caller(q.test), &id).await;
        if checked.is_ok() {
            q.test = !q.test;
        }
    }
    match checked {
        Ok(Verified {
            events,
            last,
            first_break,
        }) => {
            let v = Verification {
                pause_id: id,
                team: false,
                events,
                head: last,
                first_break,
            };
            render(ctx, m, &q, 200, None, Some(&v)).await
        }
        Err(e) if e.status() < 500 => {
            let text = match e {
                ApiError::PauseNotFound => format!("There is no pause `{id}` in this team."),
                e => e.message(),
            };
            render(ctx, m, &q, 404, Some(&text), None).await
        }
        Err(e) => Ok(error_page(m, ACTIVE, &e)),
    }
}
