//! `GET /v1/audit` (filtered pages, or a streamed export as JSON, NDJSON or CSV) and
//! `GET /v1/audit/verify` (recomputes one pause's hash chain).

use futures_util::stream;
use serde_json::json;
use serde_json::Value;
use worker::{Env, Headers, Request, Response};

use crate::audit_store;
use crate::core::audit::{self, AuditEvent, Filter, Format};
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::http::{internal, json};
use crate::pause_object::{self, Command};
use crate::store::Caller;

/// Rows read from D1 per step of a streamed export: memory stays bounded.
const EXPORT_CHUNK: u32 = 200;

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
    let data: Vec<_> = rows.iter().map(AuditEvent::to_api).collect();
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "next_cursor": next }))
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

/// Streams every matching row, reading D1 a chunk at a time while writing.
fn export(
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
    // Another account's pause, one of the other mode, or none: not found.
    let id = PauseId::parse(&pause_id).ok_or(ApiError::PauseNotFound)?;
    let reply = pause_object::call(env, &id.to_string(), &Command::Get { wait_ms: 0 }).await?;
    crate::api::owned(reply.pause.clone(), caller)?;
    let rows = audit_store::chain(env, &caller.account_id, &pause_id).await?;
    let mut result = audit::verify(&rows);
    // Rows cut from the end leave a valid prefix: the object's head tells.
    if let (Ok(()), Some(head)) = (&result, &reply.audit_head) {
        let last = rows.last().map_or(0, |e| e.seq);
        if head.seq > last && rows.len() as i64 == last {
            result = Err(audit::Break {
                seq: last + 1,
                event_id: String::new(),
                reason: "missing_tail",
            });
        }
    }
    let head = rows.last().map(|e| json!({ "seq": e.seq, "hash": e.hash }));
    Ok(json(
        200,
        &json!({
            "object": "audit_verification",
            "pause_id": pause_id,
            "valid": result.is_ok(),
            "events": rows.len(),
            "head": head,
            "first_break": result.err(),
        }),
    ))
}
