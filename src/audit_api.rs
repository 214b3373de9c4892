//! `GET /v1/audit` (filtered pages, or a streamed export as JSON, NDJSON or CSV) and
//! `GET /v1/audit/verify` (recomputes one pause's hash chain, a page at a time, and
//! checks it ends at the head the pause's object keeps).

use futures_util::stream;
use serde_json::json;
use serde_json::Value;
use worker::{Env, Headers, Request, Response};

use crate::audit_store;
use crate::core::audit::{self, AuditEvent, ChainHead, ChainVerifier, Ending, Filter, Format};
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::http::{internal, json};
use crate::pause_object::{self, Command};
use crate::store::Caller;

/// Rows read from D1 per step of a streamed export: memory stays bounded.
const EXPORT_CHUNK: u32 = 200;
/// Rows read from D1 per step of a verification: only the running head is kept.
const VERIFY_PAGE: u32 = 200;
/// How often verify asks the object's head again before a chain that is past or short
/// of it counts as broken (events recorded while it reads).
const SECOND_LOOKS: u32 = 3;

fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(req
        .url()
        .map_err(internal)?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

pub async fn list(req: &Request, env: &Env, caller: &Caller) -> Result<Response, ApiError> {
    let f = audit::parse_filter(&query_pairs(req)?)?;
    if f.format != Format::Page {
        check_cursor(env, caller, &f).await?;
        return export(env.clone(), caller.account_id.clone(), caller.livemode(), f);
    }
    Ok(json(200, &page_of(env, caller, &f).await?))
}

/// One page of the log as JSON; shared by REST and the MCP tool.
pub async fn page_json(
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Result<Value, ApiError> {
    page_of(env, caller, &audit::parse_filter(pairs)?).await
}

/// The filters of an export, parsed and checked as REST does; the console's export.
pub(crate) async fn export_for(
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Result<Response, ApiError> {
    let f = audit::parse_filter(pairs)?;
    check_cursor(env, caller, &f).await?;
    export(env.clone(), caller.account_id.clone(), caller.livemode(), f)
}

/// One page of events (and the cursor of the next) for the parsed filter: the console's
/// listing, through the same query as REST's.
pub(crate) async fn events(
    env: &Env,
    caller: &Caller,
    f: &Filter,
) -> Result<(Vec<AuditEvent>, Option<String>), ApiError> {
    check_cursor(env, caller, f).await?;
    let mut rows = audit_store::page(
        env,
        &caller.account_id,
        caller.livemode(),
        f,
        f.cursor.as_deref(),
        f.limit,
    )
    .await?;
    let has_more = rows.len() > f.limit as usize;
    rows.truncate(f.limit as usize);
    let next = if has_more {
        rows.last().map(|e| e.event_id.clone())
    } else {
        None
    };
    Ok((rows, next))
}

async fn check_cursor(env: &Env, caller: &Caller, f: &Filter) -> Result<(), ApiError> {
    if let Some(c) = &f.cursor {
        if !audit_store::event_exists(env, &caller.account_id, caller.livemode(), c).await? {
            return Err(ApiError::invalid(
                "cursor",
                "`cursor` must be the `next_cursor` of a previous page.",
            ));
        }
    }
    Ok(())
}

async fn page_of(env: &Env, caller: &Caller, f: &Filter) -> Result<Value, ApiError> {
    let (rows, next) = events(env, caller, f).await?;
    let data: Vec<_> = rows.iter().map(AuditEvent::to_api).collect();
    Ok(json!({ "object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next }))
}

struct ExportState {
    env: Env,
    account_id: String,
    livemode: bool,
    filter: Filter,
    after: Option<String>,
    started: bool,
    emitted: u64,
    done: bool,
}

/// Streams every matching row, reading D1 a chunk at a time while writing. Shared by
/// REST and the console (after `check_export`).
pub(crate) fn export(
    env: Env,
    account_id: String,
    livemode: bool,
    filter: Filter,
) -> Result<Response, ApiError> {
    let format = filter.format;
    let init = ExportState {
        env,
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
        let rows = match audit_store::page(
            &st.env,
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
    Ok(Response::from_stream(body)
        .map_err(internal)?
        .with_headers(headers))
}

pub async fn verify(req: &Request, env: &Env, caller: &Caller) -> Result<Response, ApiError> {
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
    let (events, last, first_break) = verify_chain(env, caller, &pause_id).await?;
    let head = (last.seq > 0).then(|| json!({ "seq": last.seq, "hash": last.hash }));
    Ok(json(
        200,
        &json!({
            "object": "audit_verification",
            "pause_id": pause_id,
            "valid": first_break.is_none(),
            "events": events,
            "head": head,
            "first_break": first_break,
        }),
    ))
}

/// Verifies one pause's chain: the rows accepted, the head they reach, and the first
/// break if any. Shared by REST and the console.
pub(crate) async fn verify_chain(
    env: &Env,
    caller: &Caller,
    pause_id: &str,
) -> Result<(u64, ChainHead, Option<audit::Break>), ApiError> {
    // Another account's pause, one of the other mode, or none: not found.
    let id = PauseId::parse(pause_id).ok_or(ApiError::PauseNotFound)?;
    let reply = pause_object::call(env, &id.to_string(), &Command::Get { wait_ms: 0 }).await?;
    crate::api::owned(reply.pause, caller)?;
    let head = reply.audit_head.unwrap_or_default();
    let mut v = ChainVerifier::new(head);
    let result = verify_pages(env, &caller.account_id, pause_id, &mut v).await?;
    Ok((v.rows(), v.last().clone(), result.err()))
}

/// Verifies the account's own chain (console actions; keyed by the account id where a
/// pause id goes): each row links to the one before from the genesis. No object holds
/// this chain's head, so a cut end cannot be seen; the caller says so.
pub(crate) async fn verify_account_chain(
    env: &Env,
    caller: &Caller,
) -> Result<(u64, ChainHead, Option<audit::Break>), ApiError> {
    let unbounded = ChainHead {
        seq: i64::MAX,
        hash: String::new(),
    };
    let mut v = ChainVerifier::new(unbounded);
    let mut after = -(1_i64 << 53);
    loop {
        let (account, id) = (&caller.account_id, &caller.account_id);
        let rows = audit_store::chain_page(env, account, id, after, VERIFY_PAGE).await?;
        for e in &rows {
            if let Err(b) = v.push(e) {
                return Ok((v.rows(), v.last().clone(), Some(b)));
            }
        }
        after = v.last().seq;
        if rows.len() < VERIFY_PAGE as usize {
            return Ok((v.rows(), v.last().clone(), None));
        }
    }
}

/// The object's chain head now (a Get also flushes its pending audit rows to D1).
async fn object_head(env: &Env, pause_id: &str) -> Result<ChainHead, ApiError> {
    let reply = pause_object::call(env, pause_id, &Command::Get { wait_ms: 0 }).await?;
    Ok(reply.audit_head.unwrap_or_default())
}

/// Reads the chain from D1 a page at a time into `v`, which keeps only the running
/// head. The object's head was read before the rows, so a row past it, or a chain
/// short of it, may be an event recorded meanwhile: the head is asked again (a few
/// times) before either counts as a break.
async fn verify_pages(
    env: &Env,
    account_id: &str,
    pause_id: &str,
    v: &mut ChainVerifier,
) -> Result<Result<(), audit::Break>, ApiError> {
    let mut second_looks = 0;
    // Below any seq, so a forged row numbered 0 or less shows up as a gap; kept within
    // the integers a JS number holds exactly (it is bound through one).
    let mut after = -(1_i64 << 53);
    loop {
        let rows = audit_store::chain_page(env, account_id, pause_id, after, VERIFY_PAGE).await?;
        for e in &rows {
            match v.push(e) {
                Ok(()) => {}
                Err(b) if b.reason == "beyond_head" && second_looks < SECOND_LOOKS => {
                    second_looks += 1;
                    v.learn_head(object_head(env, pause_id).await?);
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
                v.learn_head(object_head(env, pause_id).await?);
            }
        }
    }
}
