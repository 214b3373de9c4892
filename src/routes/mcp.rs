//! `/mcp`: the Model Context Protocol over Streamable HTTP, answering with plain JSON
//! (no SSE, no sessions). The envelope and catalogue are in `core::mcp`; the tools
//! call the same services as the REST routes (`service::pauses`), so the two cannot
//! drift.

use serde_json::{json, Map, Value};
use worker::{Request, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::core::mcp::{self as proto, Incoming, RpcError, Tool};
use crate::core::request::{parse_create, parse_wait, reject_unknown, ListQuery};
use crate::db::Caller;
use crate::http::{internal, json, read_body, require_json, MAX_BODY_BYTES};
use crate::service::pauses::{self, pause_id};
use crate::service::Ctx;

pub(crate) async fn handle(mut req: Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let env = &ctx.env;
    let origin = req.url()?.origin().ascii_serialization();
    // DNS-rebinding defence: a browser page from another site must not reach us.
    if let Some(o) = header(&req, "origin") {
        if !config::mcp_origin_allowed(env, &o) {
            let err = RpcError::new(
                proto::INVALID_REQUEST,
                format!("Origin `{o}` is not allowed."),
            );
            return Ok(json(403, &proto::failure(&Value::Null, &err)));
        }
    }
    let caller = super::authenticate(&req, ctx).await?;
    super::rate_limit(ctx, &caller).await?;
    require_json(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let (id, method, params) = match proto::parse_message(&body) {
        Ok(Incoming::Request { id, method, params }) => (id, method, params),
        // Notifications (initialized, cancelled) and client responses need no answer.
        Ok(Incoming::Notification { .. } | Incoming::Response) => {
            return Ok(Response::empty()?.with_status(202))
        }
        Err((id, e)) => return Ok(json(400, &proto::failure(&id, &e))),
    };
    if method != "initialize" {
        if let Err(e) =
            proto::check_version(header(&req, "mcp-protocol-version").as_deref(), &params)
        {
            return Ok(json(400, &proto::failure(&id, &e)));
        }
    }
    let result = match method.as_str() {
        "initialize" => Ok(proto::initialize_result(&params, env!("CARGO_PKG_VERSION"))),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": proto::tool_definitions() })),
        "tools/call" => call_tool(ctx, &caller, &origin, &params).await,
        other => Err(RpcError::new(
            proto::METHOD_NOT_FOUND,
            format!("Method `{other}` is not supported; this server offers tools only."),
        )),
    };
    Ok(match result {
        Ok(r) => json(200, &proto::success(&id, r)),
        Err(e) => json(200, &proto::failure(&id, &e)),
    })
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// `tools/call`. An unknown tool is a protocol error; everything the tool itself
/// refuses is an `isError` result carrying the API's error, so a model can correct it.
async fn call_tool(
    ctx: &Ctx,
    caller: &Caller,
    origin: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let name = params.get("name").and_then(Value::as_str).ok_or_else(|| {
        RpcError::new(
            proto::INVALID_PARAMS,
            "`params.name` must be the name of a tool.",
        )
    })?;
    let tool = Tool::parse(name).ok_or_else(|| {
        RpcError::new(
            proto::INVALID_PARAMS,
            format!("Unknown tool `{name}`; see tools/list."),
        )
    })?;
    let args = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => {
            return Err(RpcError::new(
                proto::INVALID_PARAMS,
                "`params.arguments` must be an object.",
            ))
        }
    };
    Ok(match run(tool, ctx, caller, origin, &args).await {
        Ok(v) => proto::tool_result(&v, false),
        Err(e) => {
            if let ApiError::Internal(detail) = &e {
                worker::console_error!("mcp {name}: {detail}");
            }
            let mut v = e.to_json("");
            if let Some(o) = v["error"].as_object_mut() {
                o.remove("request_id");
            }
            proto::tool_result(&v, true)
        }
    })
}

async fn run(
    tool: Tool,
    ctx: &Ctx,
    caller: &Caller,
    origin: &str,
    args: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let text = |n: &str| proto::arg_text(args, n);
    let id = || pause_id(&text("pause_id").ok_or_else(|| ApiError::missing("pause_id"))?);
    Ok(match tool {
        Tool::Create => {
            let body = serde_json::to_vec(args).map_err(internal)?;
            let new = parse_create(&body, &config::limits(&ctx.env))?;
            let created = pauses::create(ctx, caller, new, origin, None).await?;
            created.pause.to_api()
        }
        Tool::Poll => {
            reject_unknown(args, &["pause_id", "wait_seconds"])?;
            let wait_ms = parse_wait(text("wait_seconds").as_deref(), "wait_seconds")?;
            pauses::get(ctx, caller, &id()?, wait_ms).await?.to_api()
        }
        Tool::Cancel => {
            reject_unknown(args, &["pause_id"])?;
            pauses::cancel(ctx, caller, &id()?).await?.to_api()
        }
        Tool::List => {
            reject_unknown(args, &["status", "limit", "cursor"])?;
            let q = ListQuery::parse(
                text("status").as_deref(),
                text("limit").as_deref(),
                text("cursor"),
            )?;
            pauses::list(ctx, caller, q).await?
        }
        Tool::Audit => {
            reject_unknown(args, &["pause_id", "limit", "cursor"])?;
            audit_log(ctx, caller, args).await?
        }
    })
}

/// One page of the audit log, with the same filters as `GET /v1/audit`.
async fn audit_log(
    ctx: &Ctx,
    caller: &Caller,
    args: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let pairs: Vec<(String, String)> = ["pause_id", "limit", "cursor"]
        .iter()
        .filter_map(|k| proto::arg_text(args, k).map(|v| (k.to_string(), v)))
        .collect();
    super::audit::page_json(ctx, caller, &pairs).await
}
