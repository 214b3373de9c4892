//! `GET /v1/audit` (filtered pages, or a streamed export as JSON, NDJSON or CSV) and
//! `GET /v1/audit/verify` (recomputes one pause's hash chain, a page at a time, and
//! checks it ends at the head the pause's object keeps).

use futures_util::stream;
use serde_json::json;
use serde_json::Value;
use worker::{Headers, Request, Response};

use crate::db::{self, Caller, Db, Page};

use crate::core::audit::{self, AuditEvent, ChainHead, ChainVerifier, Ending, Filter, Format};
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::core::protocol::Command;
use crate::http::json;
use crate::service::{pauses, Ctx};

/// Rows read from D1 per step of a streamed export: memory stays bounded.
const EXPORT_CHUNK: u32 = 200;
/// Rows read from D1 per step of a verification: only the running head is kept.
const VERIFY_PAGE: u32 = 200;
/// How often verify asks the object's head again before a chain that is past or short
/// of it counts as broken (events recorded while it reads).
const SECOND_LOOKS: u32 = 3;

fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

pub(crate) async fn list(req: &Request, ctx: &Ctx, caller: &Caller) -> Result<Response, ApiError> {
    let db = &ctx.db;
    let f = audit::parse_filter(&query_pairs(req)?)?;
    if f.format != Format::Page {
        check_cursor(db, caller, &f).await?;
        return export(db.clone(), caller.account_id.clone(), caller.livemode(), f);
    }
    Ok(json(200, &page_of(db, caller, &f).await?))
}

/// One page of the log as JSON; shared by REST and the MCP tool.
pub(crate) async fn page_json(
    db: &Db,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Result<Value, ApiError> {
    page_of(db, caller, &audit::parse_filter(pairs)?).await
}

async fn check_cursor(db: &Db, caller: &Caller, f: &Filter) -> Result<(), ApiError> {
    if let Some(c) = &f.cursor {
        if !db::audit::event_exists(db, &caller.account_id, caller.livemode(), c).await? {
            return Err(ApiError::invalid(
                "cursor",
                "`cursor` must be the `next_cursor` of a previous page.",
            ));
        }
    }
    Ok(())
}

async fn page_of(db: &Db, caller: &Caller, f: &Filter) -> Result<Value, ApiError> {
    check_cursor(db, caller, f).await?;
    let rows = db::audit::page(
        db,
        &caller.account_id,
        caller.livemode(),
        f,
        f.cursor.as_deref(),
        f.limit,
    )
    .await?;
    let (rows, has_more) = Page::split(rows, f.limit);
    let next = if has_more {
        rows.last().map(|e| e.event_id.clone())
    } else {
        None
    };
    let data: Vec<_> = rows.iter().map(AuditEvent::to_api).collect();
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "next_cursor": next }))
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
    // Another account's pause, one of the other mode, or none: not found.
    let id = PauseId::parse(&pause_id).ok_or(ApiError::PauseNotFound)?;
    let reply = ctx
        .call(&id.to_string(), &Command::Get { wait_ms: 0 })
        .await?;
    pauses::owned(reply.pause, caller)?;
    let head = reply.audit_head.unwrap_or_default();
    let mut v = ChainVerifier::new(head);
    let result = verify_pages(ctx, &caller.account_id, &pause_id, &mut v).await?;
    let last = v.last();
    let head = (last.seq > 0).then(|| json!({ "seq": last.seq, "hash": last.hash }));
    Ok(json(
        200,
        &json!({
            "object": "audit_verification",
            "pause_id": pause_id,
            "valid": result.is_ok(),
            "events": v.rows(),
            "head": head,
            "first_break": result.err(),
        }),
    ))
}

/// The object's chain head now (a Get also flushes its pending audit rows to D1).
async fn object_head(ctx: &Ctx, pause_id: &str) -> Result<ChainHead, ApiError> {
    let reply = ctx.call(pause_id, &Command::Get { wait_ms: 0 }).await?;
    Ok(reply.audit_head.unwrap_or_default())
}

/// Reads the chain from D1 a page at a time into `v`, which keeps only the running
/// head. The object's head was read before the rows, so a row past it, or a chain
/// short of it, may be an event recorded meanwhile: the head is asked again (a few
/// times) before either counts as a break.
async fn verify_pages(
    ctx: &Ctx,
    account_id: &str,
    pause_id: &str,
    v: &mut ChainVerifier,
) -> Result<Result<(), audit::Break>, ApiError> {
    let mut second_looks = 0;
    // Below any seq, so a forged row numbered 0 or less shows up as a gap; kept within
    // the integers a JS number holds exactly (it is bound through one).
    let mut after = -(1_i64 << 53);
    loop {
        let rows = db::audit::chain_page(&ctx.db, account_id, pause_id, after, VERIFY_PAGE).await?;
        for e in &rows {
            match v.push(e) {
                Ok(()) => {}
                Err(b) if b.reason == "beyond_head" && second_looks < SECOND_LOOKS => {
                    second_looks += 1;
                    v.learn_head(object_head(ctx, pause_id).await?);
                    if let Err(b) = v.push(e) {
                        return Ok(Err(b));
                    }
                }
                Err(b) => return Ok(Err(b)),
            }
        }
        after = v.last().seq;
        if rows.len() == VERIFY_PAGE as usize {
            continue;
        }
        match v.finish() {
            Ending::Complete => return Ok(Ok(())),
            Ending::Short { next_seq } if second_looks >= SECOND_LOOKS => {
                return Ok(Err(audit::missing_tail(next_seq)))
            }
            Ending::Short { .. } => {
                // Perhaps still on its way: let the object flush, then read on.
                second_looks += 1;
                if second_looks > 1 {
                    worker::Delay::from(std::time::Duration::from_millis(200)).await;
                }
                v.learn_head(object_head(ctx, pause_id).await?);
            }
        }
    }
}
