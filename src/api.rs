//! The REST API under `/v1`: requests become typed values at the boundary, then go
//! to the pause's Durable Object.

use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::config;
use crate::core::error::ApiError;
use crate::core::ids::{PauseId, PAUSE_ID_BYTES};
use crate::core::keys::KeyMode;
use crate::core::pause::{Delivery, Pause, Status};
use crate::core::plans::{period_of, Plan};
use crate::core::protocol::{Command, Outcome, Reply};
use crate::core::request::parse_create;
use crate::core::tenancy::visible;
use crate::core::token::{self, Claims};
use crate::db::create::{Created as Batch, NewCreate};
use crate::db::{self, Caller, Db};
use crate::http::{
    internal, json, now_ms, query_param, random_bytes, read_body, require_json, MAX_BODY_BYTES,
};
use crate::pause_object::{client, MAX_WAIT_MS};

pub async fn authenticate(req: &Request, db: &Db) -> Result<Caller, ApiError> {
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
    db::keys::caller_by_key(db, key, now_ms())
        .await?
        .ok_or(ApiError::InvalidApiKey)
}

/// `Idempotency-Key`: printable ASCII, up to 255 characters.
fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let key = req.headers().get("idempotency-key").ok().flatten();
    key.as_deref()
        .map(crate::core::request::parse_idempotency_key)
        .transpose()
}

pub async fn create_pause(
    mut req: Request,
    env: &Env,
    db: &Db,
    caller: &Caller,
) -> Result<Response, ApiError> {
    require_json(&req)?;
    let idem_key = idempotency_key(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let origin = req.url()?.origin().ascii_serialization();
    let (created, replayed) = create(env, db, caller, &body, &origin, idem_key.as_deref()).await?;
    let mut resp = json(201, &created.to_api());
    if replayed {
        let _ = resp.headers_mut().set("idempotent-replayed", "true");
    }
    Ok(resp)
}

/// Creates a pause: the deployment's webhook rules and the plan's limits, then one D1
/// batch (the key's claim, the listing row and the month's count, each conditional on
/// the others: see `db::create`), then the pause's Durable Object. `origin` is this
/// service's origin, used in the link when `PUBLIC_BASE_URL` is unset.
pub async fn create(
    env: &Env,
    db: &Db,
    caller: &Caller,
    body: &[u8],
    origin: &str,
    idem_key: Option<&str>,
) -> Result<(Pause, bool), ApiError> {
    let new = parse_create(body, &config::limits(env))?;
    // The deployment's own rules on top of the parser's (own host, egress guard).
    if let Some(url) = &new.webhook_url {
        config::webhook_target(env, url, Some(origin))
            .map_err(|m| ApiError::invalid("webhook_url", m))?;
    }
    let plan = caller.plan;
    plan.check(&new)?;

    let now = now_ms();
    let period = period_of(now);
    let hash = idem_key.map(|_| new.fingerprint());
    // The link is signed before anything is written: a missing secret changes nothing.
    let id = PauseId(random_bytes::<PAUSE_ID_BYTES>());
    let fresh = build(env, caller, &new, origin, id, now)?;
    let batch = NewCreate {
        pause: &fresh,
        period: &period,
        // Live pauses count against the plan's monthly allowance; test mode is free.
        cap: caller
            .livemode()
            .then(|| plan.limits().monthly_pauses)
            .flatten(),
        idempotency: idem_key.zip(hash.as_deref()),
        now,
    };
    match db::create::create(db, &batch).await? {
        Batch::New => {
            let made = create_object(env, caller, &fresh).await;
            if let Err(e) = &made {
                // Off the success path: the place, the claim and the listing row go
                // back, so a corrected retry is a new create that is counted.
                worker::console_error!("create {}: the object failed ({e}); undoing", fresh.id);
                if let Err(u) = db::create::undo(db, &batch).await {
                    worker::console_error!("create {}: undo failed: {u}", fresh.id);
                }
            }
            Ok((made?, false))
        }
        // A retry of an earlier request with this key and body: its pause (if this retry
        // reaches the object first, it makes the same pause there).
        Batch::Replay(held) => {
            let held =
                PauseId::parse(&held).ok_or_else(|| internal("stored pause id unreadable"))?;
            let pause = build(env, caller, &new, origin, held, now)?;
            Ok((create_object(env, caller, &pause).await?, true))
        }
        Batch::KeyReused => Err(ApiError::IdempotencyKeyReused),
        Batch::OverQuota => Err(plan.quota_error()),
    }
}

/// The pause a create makes, with its signed link.
fn build(
    env: &Env,
    caller: &Caller,
    new: &crate::core::request::NewPause,
    origin: &str,
    id: PauseId,
    now: i64,
) -> Result<Pause, ApiError> {
    let expires_at = now + new.timeout_seconds as i64 * 1000;
    let secret = config::token_secret(env)?;
    let token = token::sign(
        &secret,
        Claims {
            pause_id: id,
            expires_at: (expires_at / 1000) as u32 + 1,
        },
    );
    Ok(Pause {
        id: id.to_string(),
        account_id: caller.account_id.clone(),
        requester_name: caller.account_name.clone(),
        livemode: caller.livemode(),
        channel: new.channel,
        recipient: new.recipient.clone(),
        message: new.message.clone(),
        options: new.options.clone(),
        timeout_default: new.timeout_default.clone(),
        webhook_url: new.webhook_url.clone(),
        metadata: new.metadata.clone(),
        link: format!("{}/r/{token}", config::base_url(env, origin)),
        created_at: now,
        expires_at,
        status: Status::Pending,
        response_choice: None,
        responded_at: None,
        responded_by: None,
        responded_via: None,
        cancelled_at: None,
        answer: new.answer.clone(),
        response_comment: None,
        delivery: Delivery {
            status: crate::core::pause::DeliveryStatus::Queued,
            ..Default::default()
        },
        version: 1,
    })
}

/// Has the pause's Durable Object create `pause` (once: a retry under the same key
/// lands on the same object and gets the pause the first one made). No D1 here.
async fn create_object(env: &Env, caller: &Caller, pause: &Pause) -> Result<Pause, ApiError> {
    let command = Command::Create {
        pause: Box::new(pause.clone()),
        key_id: Some(caller.key_id.clone()),
    };
    let reply = client::call(env, &pause.id, &command).await?;
    owned(reply.pause, caller)
}

/// Looks the pause up for this account and mode: another account's pause, or one of
/// the other mode, is simply not found.
pub(crate) fn owned(reply_pause: Option<Pause>, caller: &Caller) -> Result<Pause, ApiError> {
    reply_pause
        .filter(|p| p.account_id == caller.account_id && visible(p.livemode, caller.key_mode()))
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
    let id = parse_pause_id(raw_id)?.to_string();
    // The object answers "not found" for another account's pause before waiting.
    let reply = call_for(env, caller, &id, Command::Get { wait_ms }).await?;
    owned(reply.pause, caller)
}

/// A command to a pause on behalf of the caller's account and mode.
pub(crate) async fn call_for(
    env: &Env,
    caller: &Caller,
    id: &str,
    cmd: Command,
) -> Result<Reply, ApiError> {
    let cmd = Command::ForAccount {
        account_id: caller.account_id.clone(),
        livemode: caller.livemode(),
        cmd: Box::new(cmd),
    };
    client::call(env, id, &cmd).await
}

pub async fn cancel_pause(env: &Env, caller: &Caller, raw_id: &str) -> Result<Response, ApiError> {
    Ok(json(200, &cancel(env, caller, raw_id).await?.to_api()))
}

pub async fn cancel(env: &Env, caller: &Caller, raw_id: &str) -> Result<Pause, ApiError> {
    let id = parse_pause_id(raw_id)?.to_string();
    let cancel = Command::Cancel {
        key_id: Some(caller.key_id.clone()),
    };
    let reply = call_for(env, caller, &id, cancel).await?;
    let p = owned(reply.pause, caller)?;
    match reply.outcome {
        Outcome::Changed => Ok(p),
        _ => Err(ApiError::PauseNotPending {
            status: p.status.as_str(),
        }),
    }
}

pub async fn list_pauses(req: &Request, db: &Db, caller: &Caller) -> Result<Response, ApiError> {
    let q = ListQuery::parse(
        query_param(req, "status").as_deref(),
        query_param(req, "limit").as_deref(),
        query_param(req, "cursor"),
    )?;
    Ok(json(200, &list(db, caller, q).await?))
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
pub async fn list(db: &Db, caller: &Caller, q: ListQuery) -> Result<Value, ApiError> {
    if let Some(c) = &q.cursor {
        let known = PauseId::parse(c).is_some()
            && db::pauses::cursor_exists(db, &caller.account_id, caller.livemode(), c).await?;
        if !known {
            return Err(ApiError::invalid(
                "cursor",
                "`cursor` must be the `next_cursor` of a previous page.",
            ));
        }
    }
    let (data, next) = db::pauses::list_pauses(
        db,
        &caller.account_id,
        caller.livemode(),
        q.status.map(Status::as_str),
        q.cursor.as_deref(),
        q.limit,
    )
    .await?;
    Ok(json!({ "object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next }))
}

pub async fn account(db: &Db, caller: &Caller) -> Result<Response, ApiError> {
    let period = period_of(now_ms());
    let used = db::usage::usage(db, &caller.account_id, &period).await?;
    let limits = caller.plan.limits();
    Ok(json(
        200,
        &json!({
            "object": "account",
            "account_id": caller.account_id,
            "name": caller.account_name,
            "plan": caller.plan.as_str(),
            "livemode": caller.livemode(),
            "key_id": caller.key_id,
            "usage": { "period": period, "pauses": used },
            "limits": {
                "monthly_pauses": limits.monthly_pauses,
                "channels": limits.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "max_timeout_seconds": limits.max_timeout_seconds,
                "priority": limits.priority,
            },
        }),
    ))
}

/// `POST /admin/accounts`, guarded by the `ADMIN_TOKEN` secret: creates an account
/// and returns its keys, once.
pub async fn admin_create_account(
    mut req: Request,
    env: &Env,
    db: &Db,
) -> Result<Response, ApiError> {
    let expected = config::admin_token(env)?.ok_or(ApiError::RouteNotFound)?;
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
    let bad_plan = || ApiError::invalid("plan", "`plan` must be free, pro, scale or enterprise.");
    let plan = match obj.get("plan") {
        None => Plan::Free,
        Some(Value::String(p)) => Plan::parse(p).ok_or_else(bad_plan)?,
        _ => return Err(bad_plan()),
    };
    let created = db::accounts::create_account(db, &name, plan, now_ms()).await?;
    let webhook_secret =
        db::webhooks::create_secret(db, &created.account_id, true, now_ms()).await?;
    let test_webhook_secret =
        db::webhooks::create_secret(db, &created.account_id, false, now_ms()).await?;
    Ok(json(
        201,
        &json!({
            "object": "account",
            "account_id": created.account_id,
            "name": name,
            "plan": plan.as_str(),
            "live_key": created.live_key,
            "test_key": created.test_key,
            "webhook_secret": webhook_secret,
            "test_webhook_secret": test_webhook_secret,
        }),
    ))
}

/// `GET /dev/outbox` (local mode only): the messages that would have been sent.
pub async fn dev_outbox(req: &Request, db: &Db) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows = db::dev_outbox::read_dev_outbox(db, None, pause_id.as_deref(), 100).await?;
    Ok(json(200, &json!({ "object": "list", "data": rows })))
}

/// `GET /v1/test/outbox`: what the account's test-mode pauses would have sent.
pub async fn test_outbox(req: &Request, db: &Db, caller: &Caller) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows =
        db::dev_outbox::read_dev_outbox(db, Some(&caller.account_id), pause_id.as_deref(), 100)
            .await?;
    Ok(json(200, &json!({ "object": "list", "data": rows })))
}

/// Keys are managed with a live key: a test key cannot create or revoke live ones.
fn require_live(caller: &Caller) -> Result<(), ApiError> {
    if caller.livemode() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "API keys are managed with a live key (pp_live_...), not a test key.".into(),
        ))
    }
}

fn key_json(k: &db::keys::KeyRow, secret: Option<&str>) -> Value {
    let ts = |v: Option<i64>| v.map(crate::core::time::rfc3339);
    json!({
        "object": "api_key",
        "id": k.id,
        "mode": k.mode,
        "display": format!("{}…{}", k.prefix, k.last4),
        "created_at": crate::core::time::rfc3339(k.created_at),
        "revoked_at": ts(k.revoked_at),
        "expires_at": ts(k.expires_at),
        "active": db::keys::is_active(k, now_ms()),
        "secret": secret,
    })
}

/// An optional JSON object body (empty is fine) with only the `known` fields.
pub(crate) async fn optional_object(
    req: &mut Request,
    known: &[&str],
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let body = read_body(req, MAX_BODY_BYTES).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    require_json(req)?;
    let obj = crate::core::request::parse_object(&body)?;
    crate::core::request::reject_unknown(&obj, known)?;
    Ok(obj)
}

pub async fn list_keys(db: &Db, caller: &Caller) -> Result<Response, ApiError> {
    require_live(caller)?;
    let keys = db::keys::list_keys(db, &caller.account_id).await?;
    Ok(json(
        200,
        &json!({ "object": "list", "data": keys.iter().map(|k| key_json(k, None)).collect::<Vec<_>>() }),
    ))
}

pub async fn create_key(mut req: Request, db: &Db, caller: &Caller) -> Result<Response, ApiError> {
    require_live(caller)?;
    let obj = optional_object(&mut req, &["mode"]).await?;
    let mode = match obj.get("mode") {
        None => KeyMode::Live,
        Some(Value::String(m)) => KeyMode::parse(m)
            .ok_or_else(|| ApiError::invalid("mode", "`mode` must be live or test."))?,
        Some(_) => return Err(ApiError::invalid("mode", "`mode` must be live or test.")),
    };
    let (row, secret) = db::keys::create_key(db, &caller.account_id, mode, None, now_ms()).await?;
    Ok(json(201, &key_json(&row, Some(&secret))))
}

const MAX_GRACE_SECONDS: i64 = 7 * 86_400;

/// Issues a new key of the same mode; the old one keeps working for `grace_seconds`
/// (0 by default: it stops at once), so deployments can switch without downtime.
pub async fn rotate_key(
    mut req: Request,
    db: &Db,
    caller: &Caller,
    key_id: &str,
) -> Result<Response, ApiError> {
    require_live(caller)?;
    let obj = optional_object(&mut req, &["grace_seconds"]).await?;
    let grace = match obj.get("grace_seconds") {
        None => 0,
        Some(v) => crate::core::request::whole_number(v)
            .filter(|g| (0..=MAX_GRACE_SECONDS).contains(g))
            .ok_or_else(|| {
                ApiError::invalid(
                    "grace_seconds",
                    "`grace_seconds` must be a whole number from 0 to 604800 (7 days).",
                )
            })?,
    };
    let keys = db::keys::list_keys(db, &caller.account_id).await?;
    let now = now_ms();
    let old = keys
        .iter()
        .find(|k| k.id == key_id && db::keys::is_active(k, now))
        .ok_or(ApiError::KeyNotFound)?;
    let mode = old.mode;
    // Rotating without grace replaces the key, so it fits even at the key cap.
    let replacing = (grace == 0).then_some(key_id);
    let (row, secret) = db::keys::create_key(db, &caller.account_id, mode, replacing, now).await?;
    db::keys::end_key(
        db,
        &caller.account_id,
        key_id,
        now + grace * 1000,
        grace == 0,
    )
    .await?;
    let old_after = db::keys::list_keys(db, &caller.account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    Ok(json(
        201,
        &json!({ "new_key": key_json(&row, Some(&secret)), "old_key": old_after.map(|k| key_json(&k, None)) }),
    ))
}

pub async fn revoke_key(db: &Db, caller: &Caller, key_id: &str) -> Result<Response, ApiError> {
    require_live(caller)?;
    // One conditional statement decides: two concurrent revocations of the last two
    // live keys cannot both pass a check made before either writes.
    let revoked = db::keys::revoke_key(db, &caller.account_id, key_id, now_ms()).await?;
    let after = db::keys::list_keys(db, &caller.account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    if !revoked {
        // Why not: no such key (or already revoked), or the account's last live key.
        return Err(match &after {
            Some(k) if k.revoked_at.is_none() && k.mode == KeyMode::Live => ApiError::LastLiveKey,
            _ => ApiError::KeyNotFound,
        });
    }
    Ok(json(
        200,
        &after.map(|k| key_json(&k, None)).unwrap_or(Value::Null),
    ))
}
