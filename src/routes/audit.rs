//! `GET /v1/audit` (filtered pages, or a streamed export as JSON, NDJSON or CSV) and
//! `GET /v1/audit/verify` (recomputes one pause's hash chain, a page at a time, and
//! checks it ends at the head the pause's object keeps).

use futures_util::stream;
use serde_json::json;
use serde_json::Value;
use worker::{Headers, Request, Response};

use crate::core::audit::{self, AuditEvent, Filter, Format};
use crate::core::error::ApiError;
use crate::db::{self, Caller, Db};
use crate::http::json;
use crate::service::{audit as audit_ops, Ctx};

/// Rows read from D1 per step of a streamed export: memory stays bounded.
const EXPORT_CHUNK: u32 = 200;

fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

pub(crate) async fn list(req: &Request, ctx: &Ctx, caller: &Caller) -> Result<Response, ApiError> {
    let f = audit::parse_filter(&query_pairs(req)?)?;
    if f.format != Format::Page {
        return export_checked(ctx, caller, f).await;
    }
    Ok(json(200, &page_of(ctx, caller, &f).await?))
}

/// One page of the log as JSON; shared by REST and the MCP tool.
pub(crate) async fn page_json(
    ctx: &Ctx,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Result<Value, ApiError> {
    page_of(ctx, caller, &audit::parse_filter(pairs)?).await
}

async fn page_of(ctx: &Ctx, caller: &Caller, f: &Filter) -> Result<Value, ApiError> {
    let (rows, next) = audit_ops::events(ctx, caller, f).await?;
    let data: Vec<_> = rows.iter().map(AuditEvent::to_api).collect();
    Ok(json!({ "object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next }))
}

/// A streamed export of the filters in `pairs`, checked as `GET /v1/audit` checks them
/// (the console's export).
pub(crate) async fn export_for(
    ctx: &Ctx,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Result<Response, ApiError> {
    export_checked(ctx, caller, audit::parse_filter(pairs)?).await
}

async fn export_checked(ctx: &Ctx, caller: &Caller, f: Filter) -> Result<Response, ApiError> {
    audit_ops::check_cursor(ctx, caller, &f).await?;
    export(
        ctx.db.clone(),
        caller.account_id.clone(),
        caller.livemode(),
        f,
    )
}

struct ExportState {
    db: Db,
    account_id: String,
    livemode: bool,
    filter: Filter,
    after: Option<String>,
    started: bool,
    emitted: u64,
    done: bool,
}

/// Streams every matching row, reading D1 a chunk at a time while writing.
fn export(
    db: Db,
    account_id: String,
    livemode: bool,
    filter: Filter,
) -> Result<Response, ApiError> {
    let format = filter.format;
    let init = ExportState {
        db,
        account_id,
        livemode,
        after: filter.cursor.clone(),
        filter,
        started: false,
        emitted: 0,
        done: false,
    };
    let body = stream::unfold(init, move |mut st| async move {
        if st.done {
            return None;
        }
        let mut out = String::new();
        if !st.started {
            st.started = true;
            match format {
                Format::Csv => out.push_str(audit::CSV_HEADER),
                Format::Json => out.push('['),
                _ => {}
            }
        }
        let rows = match db::audit::page(
            &st.db,
            &st.account_id,
            st.livemode,
            &st.filter,
            st.after.as_deref(),
            EXPORT_CHUNK,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                st.done = true;
                worker::console_error!("audit export failed: {e}");
                return Some((
                    Err(worker::Error::RustError("audit export failed".into())),
                    st,
                ));
            }
        };
        let more = rows.len() > EXPORT_CHUNK as usize;
        for e in rows.iter().take(EXPORT_CHUNK as usize) {
            match format {
                Format::Csv => out.push_str(&audit::csv_line(e)),
                Format::Ndjson => {
                    out.push_str(&e.to_api().to_string());
                    out.push('\n');
                }
                _ => {
                    if st.emitted > 0 {
                        out.push(',');
                    }
                    out.push_str(&e.to_api().to_string());
                }
            }
            st.emitted += 1;
            st.after = Some(e.event_id.clone());
        }
        if !more {
            st.done = true;
            if format == Format::Json {
                out.push_str("]\n");
            }
        }
        Some((Ok::<Vec<u8>, worker::Error>(out.into_bytes()), st))
    });
    let (ctype, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
        _ => ("application/json; charset=utf-8", "json"),
    };
    let headers = Headers::new();
    let _ = headers.set("content-type", ctype);
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set(
        "content-disposition",
        &format!("attachment; filename=\"audit.{ext}\""),
    );
    Ok(Response::from_stream(body)?.with_headers(headers))
}

pub(crate) async fn verify(
    req: &Request,
    ctx: &Ctx,
    caller: &Caller,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(req)?;
    let mut pause_id = None;
    for (k, v) in pairs {
        match k.as_str() {
            "pause_id" => pause_id = Some(v),
            other => {
                return Err(ApiError::UnknownParam {
                    param: other.to_string(),
                    message: format!("`{other}` is not a parameter here: only `pause_id`."),
                })
            }
        }
    }
    let pause_id = pause_id.ok_or_else(|| ApiError::missing("pause_id"))?;
    let v = audit_ops::verify_pause(ctx, caller, &pause_id).await?;
    let head = (v.last.seq > 0).then(|| json!({ "seq": v.last.seq, "hash": v.last.hash }));
    Ok(json(
        200,
        &json!({
            "object": "audit_verification",
            "pause_id": pause_id,
            "valid": v.first_break.is_none(),
            "events": v.events,
            "head": head,
            "first_break": v.first_break,
        }),
    ))
}
