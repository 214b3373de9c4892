//! The REST API under `/v1`: requests become typed values at the boundary, then go
//! to the pause's Durable Object.

use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::core::ids::{PauseId, PAUSE_ID_BYTES};
use crate::core::pause::{Delivery, Pause, Status};
use crate::core::request::parse_create;
use crate::core::token::{self, Claims};
use crate::http::{
    internal, json, now_ms, query_param, random_bytes, read_body, require_json, MAX_BODY_BYTES,
};
use crate::pause_object::{self, Command, Outcome, MAX_WAIT_MS};
use crate::store::{self, Caller};

pub async fn authenticate(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    let header = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .ok_or(ApiError::MissingApiKey)?;
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(ApiError::MissingApiKey)?;
    store::caller_by_key(env, key)
        .await?
        .ok_or(ApiError::InvalidApiKey)
}

pub async fn create_pause(
    mut req: Request,
    env: &Env,
    caller: &Caller,
) -> Result<Response, ApiError> {
    require_json(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let origin = req.url().map_err(internal)?.origin().ascii_serialization();
    let created = create(env, caller, &body, &origin).await?;
    Ok(json(201, &created.to_api()))
}

/// Creates a pause from a JSON body; shared by REST and MCP so they cannot drift.
/// `origin` is this service's origin, used in the link when `PUBLIC_BASE_URL` is unset.
pub async fn create(
    env: &Env,
    caller: &Caller,
    body: &[u8],
    origin: &str,
) -> Result<Pause, ApiError> {
    let new = parse_create(body, &config::limits(env))?;

    let now = now_ms();
    let id = PauseId(random_bytes::<PAUSE_ID_BYTES>());
    let expires_at = now + new.timeout_seconds as i64 * 1000;
    let secret = config::token_secret(env)?;
    let token = token::sign(
        &secret,
        Claims {
            pause_id: id,
            expires_at: (expires_at / 1000) as u32 + 1,
        },
    );
    let pause = Pause {
        id: id.to_string(),
        account_id: caller.account_id.clone(),
        requester_name: caller.account_name.clone(),
        livemode: caller.livemode(),
        channel: new.channel,
        recipient: new.recipient,
        message: new.message,
        options: new.options,
        timeout_default: new.timeout_default,
        webhook_url: new.webhook_url,
        metadata: new.metadata,
        link: format!("{}/r/{token}", config::base_url(env, origin)),
        created_at: now,
        expires_at,
        status: Status::Pending,
        response_choice: None,
        responded_at: None,
        responded_by: None,
        responded_via: None,
        cancelled_at: None,
        delivery: Delivery {
            status: "queued".into(),
            ..Default::default()
        },
        version: 1,
    };
    let pause_id = pause.id.clone();
    let reply = pause_object::call(
        env,
        &pause_id,
        &Command::Create {
            pause: Box::new(pause),
        },
    )
    .await?;
    reply
        .pause
        .ok_or_else(|| internal("create returned no pause"))
}

/// Looks the pause up for this account: another account's pause is simply not found.
fn owned(reply_pause: Option<Pause>, caller: &Caller) -> Result<Pause, ApiError> {
    reply_pause
        .filter(|p| p.account_id == caller.account_id)
        .ok_or(ApiError::PauseNotFound)
}

fn parse_pause_id(raw: &str) -> Result<PauseId, ApiError> {
    PauseId::parse(raw).ok_or(ApiError::PauseNotFound)
}

pub async fn get_pause(
    req: &Request,
    env: &Env,
    caller: &Caller,
    raw_id: &str,
) -> Result<Response, ApiError> {
    let wait_ms = parse_wait(query_param(req, "wait").as_deref())?;
    Ok(json(
        200,
        &get(env, caller, raw_id, wait_ms).await?.to_api(),
    ))
}

/// `wait` in seconds (fractions allowed, 0 = answer at once) as milliseconds.
pub fn parse_wait(raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(w) = raw else { return Ok(0) };
    let secs: f64 = w
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| {
            ApiError::invalid(
                "wait",
                "`wait` must be a number of seconds between 0 and 55.",
            )
        })?;
    if secs * 1000.0 > MAX_WAIT_MS as f64 {
        return Err(ApiError::invalid(
            "wait",
            "`wait` can be at most 55 seconds; poll again after it returns.",
        ));
    }
    Ok((secs * 1000.0) as u64)
}

/// The pause, after holding up to `wait_ms` while it is pending.
pub async fn get(
    env: &Env,
    caller: &Caller,
    raw_id: &str,
    wait_ms: u64,
) -> Result<Pause, ApiError> {
    let id = parse_pause_id(raw_id)?;
    // A wait never reveals whether another account's pause exists: check first.
    let first = pause_object::call(env, &id.to_string(), &Command::Get { wait_ms: 0 }).await?;
    let p = owned(first.pause, caller)?;
    if wait_ms > 0 && p.status == Status::Pending {
        owned(
            pause_object::call(env, &id.to_string(), &Command::Get { wait_ms })
                .await?
                .pause,
            caller,
        )
    } else {
        Ok(p)
    }
}

pub async fn cancel_pause(env: &Env, caller: &Caller, raw_id: &str) -> Result<Response, ApiError> {
    Ok(json(200, &cancel(env, caller, raw_id).await?.to_api()))
}

pub async fn cancel(env: &Env, caller: &Caller, raw_id: &str) -> Result<Pause, ApiError> {
    let id = parse_pause_id(raw_id)?.to_string();
    owned(
        pause_object::call(env, &id, &Command::Get { wait_ms: 0 })
            .await?
            .pause,
        caller,
    )?;
    let reply = pause_object::call(env, &id, &Command::Cancel).await?;
    let p = owned(reply.pause, caller)?;
    match reply.outcome {
        Outcome::Changed => Ok(p),
        _ => Err(ApiError::PauseNotPending {
            status: p.status.as_str(),
        }),
    }
}

pub async fn list_pauses(req: &Request, env: &Env, caller: &Caller) -> Result<Response, ApiError> {
    let q = ListQuery::parse(
        query_param(req, "status").as_deref(),
        query_param(req, "limit").as_deref(),
        query_param(req, "cursor"),
    )?;
    Ok(json(200, &list(env, caller, q).await?))
}

/// The filters of a listing, parsed from their text form (query string or MCP).
pub struct ListQuery {
    pub status: Option<Status>,
    pub limit: u32,
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn parse(
        status: Option<&str>,
        limit: Option<&str>,
        cursor: Option<String>,
    ) -> Result<Self, ApiError> {
        let status = match status {
            None => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    format!(
                        "`{s}` is not a status: use pending, responded, timed_out or cancelled."
                    ),
                )
            })?),
        };
        let limit = match limit {
            None => 20,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=100).contains(l))
                .ok_or_else(|| {
                    ApiError::invalid("limit", "`limit` must be a whole number from 1 to 100.")
                })?,
        };
        Ok(ListQuery {
            status,
            limit,
            cursor,
        })
    }
}

/// One page of the account's pauses, newest first, as the list envelope.
pub async fn list(env: &Env, caller: &Caller, q: ListQuery) -> Result<Value, ApiError> {
    if let Some(c) = &q.cursor {
        let known =
            PauseId::parse(c).is_some() && store::cursor_exists(env, &caller.account_id, c).await?;
        if !known {
            return Err(ApiError::invalid(
                "cursor",
                "`cursor` must be the `next_cursor` of a previous page.",
            ));
        }
    }
    let (data, next) = store::list_pauses(
        env,
        &caller.account_id,
        q.status.map(Status::as_str),
        q.cursor.as_deref(),
        q.limit,
    )
    .await?;
    Ok(json!({ "object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next }))
}

pub fn account(caller: &Caller) -> Response {
    json(
        200,
        &json!({
            "object": "account",
            "account_id": caller.account_id,
            "name": caller.account_name,
            "plan": caller.plan,
            "livemode": caller.livemode(),
            "key_id": caller.key_id,
        }),
    )
}

/// `POST /admin/accounts`, guarded by the `ADMIN_TOKEN` secret: creates an account
/// and returns its keys, once.
pub async fn admin_create_account(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let expected = config::string(env, "ADMIN_TOKEN").ok_or(ApiError::RouteNotFound)?;
    let presented = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
        .ok_or(ApiError::MissingApiKey)?;
    if !crate::core::keys::secrets_equal(&presented, &expected) {
        return Err(ApiError::InvalidApiKey);
    }
    require_json(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let obj = crate::core::request::parse_object(&body)?;
    crate::core::request::reject_unknown(&obj, &["name", "plan"])?;
    let name = match obj.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().chars().count() <= 80 => {
            s.trim().to_string()
        }
        None => return Err(ApiError::missing("name")),
        _ => {
            return Err(ApiError::invalid(
                "name",
                "`name` must be a non-empty string of at most 80 characters.",
            ))
        }
    };
    let plan = match obj.get("plan") {
        None => "free".to_string(),
        Some(Value::String(p)) if ["free", "pro", "scale", "enterprise"].contains(&p.as_str()) => {
            p.clone()
        }
        _ => {
            return Err(ApiError::invalid(
                "plan",
                "`plan` must be free, pro, scale or enterprise.",
            ))
        }
    };
    let created = store::create_account(env, &name, &plan, now_ms()).await?;
    Ok(json(
        201,
        &json!({
            "object": "account",
            "account_id": created.account_id,
            "name": name,
            "plan": plan,
            "live_key": created.live_key,
            "test_key": created.test_key,
        }),
    ))
}

/// `GET /dev/outbox` (local mode only): the messages that would have been sent.
pub async fn dev_outbox(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows = store::read_dev_outbox(env, pause_id.as_deref(), 100).await?;
    Ok(json(200, &json!({ "object": "list", "data": rows })))
}
