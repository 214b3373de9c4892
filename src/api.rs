//! The REST API under `/v1`: requests become typed values at the boundary, then go
//! to the pause's Durable Object.

use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::accounts;
use crate::config;
use crate::core::error::ApiError;
use crate::core::ids::{PauseId, PAUSE_ID_BYTES};
use crate::core::keys::KeyMode;
use crate::core::pause::{Delivery, Pause, Status};
use crate::core::plans::{period_of, Plan};
use crate::core::request::parse_create;
use crate::core::tenancy::visible;
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
    caller: &Caller,
) -> Result<Response, ApiError> {
    require_json(&req)?;
    let idem_key = idempotency_key(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let origin = req.url().map_err(internal)?.origin().ascii_serialization();
    let (created, replayed) = create(env, caller, &body, &origin, idem_key.as_deref()).await?;
    let mut resp = json(201, &created.to_api());
    if replayed {
        let _ = resp.headers_mut().set("idempotent-replayed", "true");
    }
    Ok(resp)
}

/// Creates a pause from a JSON body; shared by REST and MCP so they cannot drift.
/// `origin` is this service's origin, used in the link when `PUBLIC_BASE_URL` is unset.
/// Returns the pause and whether it is the replay of an earlier request with `idem_key`.
pub async fn create(
    env: &Env,
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
    let plan = caller.plan();
    plan.check(&new)?;

    let now = now_ms();
    let period = period_of(now);
    // The Idempotency-Key first: the retry of a create that succeeded gets its pause back
    // even when the month's allowance ran out since, and takes nothing from it.
    let claimed = PauseId(random_bytes::<PAUSE_ID_BYTES>());
    let (id, replay) = match idem_key {
        Some(key) => claim(env, caller, key, &new, claimed, now).await?,
        None => (claimed, false),
    };
    // Live pauses count against the plan's monthly allowance; test mode is free.
    let cap = if caller.livemode() && !replay {
        plan.limits().monthly_pauses
    } else {
        None
    };
    if let Some(cap) = cap {
        if !accounts::reserve_pause(env, &caller.account_id, &period, cap).await? {
            forget_claim(env, caller, idem_key, id, replay).await?;
            return Err(plan.quota_error());
        }
    }
    let uncapped_live = caller.livemode() && cap.is_none() && !replay;
    let created = create_object(env, caller, new, origin, id, now, &period, uncapped_live).await;
    // The reservation and the key's claim stand only for a pause this request really
    // created: a failure after them (link secret missing, the object unreachable) gives
    // both back, so a corrected retry is a new create that is counted.
    if !matches!(created, Ok((_, false))) {
        if cap.is_some() {
            accounts::release_pause(env, &caller.account_id, &period).await?;
        }
        if created.is_err() {
            forget_claim(env, caller, idem_key, id, replay).await?;
        }
    }
    created
}

/// Claims `key` for `id`, or finds the earlier request that holds it. Returns the
/// pause id in force and whether this request is a retry of that earlier one.
async fn claim(
    env: &Env,
    caller: &Caller,
    key: &str,
    new: &crate::core::request::NewPause,
    id: PauseId,
    now: i64,
) -> Result<(PauseId, bool), ApiError> {
    let hash = new.fingerprint();
    let claim = accounts::claim_idempotency_key(
        env,
        &caller.account_id,
        caller.livemode(),
        key,
        &id.to_string(),
        &hash,
        now,
    )
    .await?;
    if claim.pause_id == id.to_string() {
        return Ok((id, false));
    }
    // An earlier request holds this key: this one is its retry, or a mistake.
    if claim.request_hash != hash {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let held =
        PauseId::parse(&claim.pause_id).ok_or_else(|| internal("stored pause id unreadable"))?;
    Ok((held, true))
}

/// Forgets this request's own claim of the key (never an earlier request's).
async fn forget_claim(
    env: &Env,
    caller: &Caller,
    idem_key: Option<&str>,
    id: PauseId,
    replay: bool,
) -> Result<(), ApiError> {
    match idem_key {
        Some(key) if !replay => {
            let (account, live) = (&caller.account_id, caller.livemode());
            accounts::drop_idempotency_key(env, account, live, key, &id.to_string()).await
        }
        _ => Ok(()),
    }
}

/// Builds the pause and has its Durable Object create it. Returns the pause and whether
/// the object already held it (a replay).
#[allow(clippy::too_many_arguments)]
async fn create_object(
    env: &Env,
    caller: &Caller,
    new: crate::core::request::NewPause,
    origin: &str,
    id: PauseId,
    now: i64,
    period: &str,
    count_for_display: bool,
) -> Result<(Pause, bool), ApiError> {
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
        answer: new.answer,
        response_comment: None,
        delivery: Delivery {
            status: "queued".into(),
            ..Default::default()
        },
        version: 1,
    };
    let pause_id = pause.id.clone();
    // The object creates at most once: a concurrent retry with the same key lands on
    // the same object and gets the pause the first one made.
    let command = Command::Create {
        pause: Box::new(pause),
        key_id: Some(caller.key_id.clone()),
    };
    let create = pause_object::call(env, &pause_id, &command);
    // Unlimited plans count only for display: counted beside the create, not after it.
    let reply = if count_for_display {
        let count = accounts::count_pause(env, &caller.account_id, period);
        let (reply, counted) = futures_util::future::join(create, count).await;
        counted?;
        reply?
    } else {
        create.await?
    };
    let created = owned(reply.pause, caller)?;
    Ok((created, reply.outcome == Outcome::Unchanged))
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
) -> Result<pause_object::Reply, ApiError> {
    let cmd = Command::ForAccount {
        account_id: caller.account_id.clone(),
        livemode: caller.livemode(),
        cmd: Box::new(cmd),
    };
    pause_object::call(env, id, &cmd).await
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
    /// Only pauses sent on this channel (the console's filter; not a REST parameter yet).
    pub channel: Option<crate::core::pause::Channel>,
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
            channel: None,
            limit,
            cursor,
        })
    }
}

/// One page of the account's pauses, newest first, as the list envelope.
pub async fn list(env: &Env, caller: &Caller, q: ListQuery) -> Result<Value, ApiError> {
    if let Some(c) = &q.cursor {
        let known = PauseId::parse(c).is_some()
            && store::cursor_exists(env, &caller.account_id, caller.livemode(), c).await?;
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
        caller.livemode(),
        q.status.map(Status::as_str),
        q.channel.map(crate::core::pause::Channel::as_str),
        q.cursor.as_deref(),
        q.limit,
    )
    .await?;
    Ok(json!({ "object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next }))
}

pub async fn account(env: &Env, caller: &Caller) -> Result<Response, ApiError> {
    let period = period_of(now_ms());
    let used = accounts::usage(env, &caller.account_id, &period).await?;
    let limits = caller.plan().limits();
    Ok(json(
        200,
        &json!({
            "object": "account",
            "account_id": caller.account_id,
            "name": caller.account_name,
            "plan": caller.plan().as_str(),
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
pub async fn admin_create_account(mut req: Request, env: &Env) -> Result<Response, ApiError> {
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
    let plan = match obj.get("plan") {
        None => "free".to_string(),
        Some(Value::String(p)) if Plan::parse(p).is_some() => p.clone(),
        _ => {
            return Err(ApiError::invalid(
                "plan",
                "`plan` must be free, pro, scale or enterprise.",
            ))
        }
    };
    let opened = open_account(env, &name, &plan).await?;
    Ok(json(
        201,
        &json!({
            "object": "account",
            "account_id": opened.account.account_id,
            "name": name,
            "plan": plan,
            "live_key": opened.account.live_key,
            "test_key": opened.account.test_key,
            "webhook_secret": opened.webhook_secret,
            "test_webhook_secret": opened.test_webhook_secret,
        }),
    ))
}

/// A new account with everything it starts with, secrets shown once.
pub struct OpenedAccount {
    pub account: store::CreatedAccount,
    pub webhook_secret: String,
    pub test_webhook_secret: String,
}

/// Opens an account: its live and test keys and its two webhook signing secrets. The
/// one way accounts are made, by `/admin/accounts` and by the console's sign-up.
pub async fn open_account(env: &Env, name: &str, plan: &str) -> Result<OpenedAccount, ApiError> {
    let account = store::create_account(env, name, plan, now_ms()).await?;
    let webhook_secret =
        crate::webhook_store::create_secret(env, &account.account_id, true, now_ms()).await?;
    let test_webhook_secret =
        crate::webhook_store::create_secret(env, &account.account_id, false, now_ms()).await?;
    Ok(OpenedAccount {
        account,
        webhook_secret,
        test_webhook_secret,
    })
}

/// `GET /dev/outbox` (local mode only): the messages that would have been sent.
pub async fn dev_outbox(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows = store::read_dev_outbox(env, None, pause_id.as_deref(), 100).await?;
    Ok(json(200, &json!({ "object": "list", "data": rows })))
}

/// `GET /v1/test/outbox`: what the account's test-mode pauses would have sent.
pub async fn test_outbox(req: &Request, env: &Env, caller: &Caller) -> Result<Response, ApiError> {
    let pause_id = query_param(req, "pause_id");
    let rows =
        store::read_dev_outbox(env, Some(&caller.account_id), pause_id.as_deref(), 100).await?;
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

fn key_json(k: &accounts::KeyRow, secret: Option<&str>) -> Value {
    let ts = |v: Option<i64>| v.map(crate::core::time::rfc3339);
    json!({
        "object": "api_key",
        "id": k.id,
        "mode": k.mode,
        "display": format!("{}…{}", k.prefix, k.last4),
        "created_at": crate::core::time::rfc3339(k.created_at),
        "revoked_at": ts(k.revoked_at),
        "expires_at": ts(k.expires_at),
        "active": accounts::is_active(k, now_ms()),
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

/// The account's keys (never their secrets). Shared by REST and the console.
pub(crate) async fn keys(env: &Env, caller: &Caller) -> Result<Vec<accounts::KeyRow>, ApiError> {
    require_live(caller)?;
    accounts::list_keys(env, &caller.account_id).await
}

pub async fn list_keys(env: &Env, caller: &Caller) -> Result<Response, ApiError> {
    let keys = keys(env, caller).await?;
    Ok(json(
        200,
        &json!({ "object": "list", "data": keys.iter().map(|k| key_json(k, None)).collect::<Vec<_>>() }),
    ))
}

pub async fn create_key(
    mut req: Request,
    env: &Env,
    caller: &Caller,
) -> Result<Response, ApiError> {
    require_live(caller)?;
    let obj = optional_object(&mut req, &["mode"]).await?;
    let mode = match obj.get("mode") {
        None => KeyMode::Live,
        Some(Value::String(m)) => KeyMode::parse(m)
            .ok_or_else(|| ApiError::invalid("mode", "`mode` must be live or test."))?,
        Some(_) => return Err(ApiError::invalid("mode", "`mode` must be live or test.")),
    };
    let (row, secret) = new_key(env, caller, mode).await?;
    Ok(json(201, &key_json(&row, Some(&secret))))
}

/// A new key of `mode` for the caller's account, and its secret (shown once). Shared
/// by REST and the console.
pub(crate) async fn new_key(
    env: &Env,
    caller: &Caller,
    mode: KeyMode,
) -> Result<(accounts::KeyRow, String), ApiError> {
    require_live(caller)?;
    accounts::create_key(env, &caller.account_id, mode, None, now_ms()).await
}

const MAX_GRACE_SECONDS: i64 = 7 * 86_400;

/// Issues a new key of the same mode; the old one keeps working for `grace_seconds`
/// (0 by default: it stops at once), so deployments can switch without downtime.
pub async fn rotate_key(
    mut req: Request,
    env: &Env,
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
    let (row, secret, old_after) = rotate(env, caller, key_id, grace).await?;
    Ok(json(
        201,
        &json!({ "new_key": key_json(&row, Some(&secret)), "old_key": old_after.map(|k| key_json(&k, None)) }),
    ))
}

/// Rotates a live or test key of the caller's account: the new key (and its secret,
/// shown once) and the old key as it is now. Shared by REST and the console.
pub(crate) async fn rotate(
    env: &Env,
    caller: &Caller,
    key_id: &str,
    grace: i64,
) -> Result<(accounts::KeyRow, String, Option<accounts::KeyRow>), ApiError> {
    require_live(caller)?;
    let keys = accounts::list_keys(env, &caller.account_id).await?;
    let now = now_ms();
    let old = keys
        .iter()
        .find(|k| k.id == key_id && accounts::is_active(k, now))
        .ok_or(ApiError::KeyNotFound)?;
    let mode = KeyMode::parse(&old.mode).ok_or_else(|| internal("stored key mode unreadable"))?;
    // Rotating without grace replaces the key, so it fits even at the key cap.
    let replacing = (grace == 0).then_some(key_id);
    let (row, secret) = accounts::create_key(env, &caller.account_id, mode, replacing, now).await?;
    accounts::end_key(
        env,
        &caller.account_id,
        key_id,
        now + grace * 1000,
        grace == 0,
    )
    .await?;
    let old_after = accounts::list_keys(env, &caller.account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    Ok((row, secret, old_after))
}

pub async fn revoke_key(env: &Env, caller: &Caller, key_id: &str) -> Result<Response, ApiError> {
    let after = revoke(env, caller, key_id).await?;
    Ok(json(
        200,
        &after.map(|k| key_json(&k, None)).unwrap_or(Value::Null),
    ))
}

/// Revokes a key of the caller's account at once; the key as it is now. Shared by REST
/// and the console.
pub(crate) async fn revoke(
    env: &Env,
    caller: &Caller,
    key_id: &str,
) -> Result<Option<accounts::KeyRow>, ApiError> {
    require_live(caller)?;
    // One conditional statement decides: two concurrent revocations of the last two
    // live keys cannot both pass a check made before either writes.
    let revoked = accounts::revoke_key(env, &caller.account_id, key_id, now_ms()).await?;
    let after = accounts::list_keys(env, &caller.account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id);
    if !revoked {
        // Why not: no such key (or already revoked), or the account's last live key.
        return Err(match &after {
            Some(k) if k.revoked_at.is_none() && k.mode == "live" => ApiError::LastLiveKey,
            _ => ApiError::KeyNotFound,
        });
    }
    Ok(after)
}
