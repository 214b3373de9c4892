//! The pause operations: create, get (with a wait), cancel and list, for one caller's
//! account and mode. The REST routes and the MCP tools both call these, so the two
//! cannot drift.

use serde_json::{json, Value};

use super::Ctx;
use crate::config;
use crate::core::error::ApiError;
use crate::core::ids::{PauseId, PAUSE_ID_BYTES};
use crate::core::pause::{Channel, Delivery, DeliveryStatus, Pause, Status};
use crate::core::plans::period_of;
use crate::core::protocol::{Command, Outcome, Reply};
use crate::core::request::{IdempotencyKey, ListQuery, NewPause};
use crate::core::tenancy::visible;
use crate::core::token::{self, Claims};
use crate::db::{self, Caller, Db};
use crate::http::{internal, now_ms, random_bytes};

/// A pause made by [`create`], or found again by its `Idempotency-Key`.
pub(crate) struct Created {
    pub pause: Pause,
    /// The retry of an earlier request with the same key: nothing new was made.
    pub replayed: bool,
}

/// Creates a pause: the deployment's webhook rules, the plan's limits, the key's claim,
/// the monthly quota, then the pause's Durable Object. `origin` is this service's
/// origin, used in the link when `PUBLIC_BASE_URL` is unset.
pub(crate) async fn create(
    ctx: &Ctx,
    caller: &Caller,
    new: NewPause,
    origin: &str,
    idem_key: Option<&IdempotencyKey>,
) -> Result<Created, ApiError> {
    let (env, db) = (&ctx.env, &ctx.db);
    let idem_key = idem_key.map(IdempotencyKey::as_str);
    // The deployment's own rules on top of the parser's (own host, egress guard).
    if let Some(url) = &new.webhook_url {
        config::webhook_target(env, url, Some(origin))
            .map_err(|m| ApiError::invalid("webhook_url", m))?;
    }
    let plan = caller.plan;
    plan.check(&new)?;

    let now = now_ms();
    let period = period_of(now);
    // The Idempotency-Key first: the retry of a create that succeeded gets its pause back
    // even when the month's allowance ran out since, and takes nothing from it.
    let claimed = PauseId(random_bytes::<PAUSE_ID_BYTES>());
    let (id, replay) = match idem_key {
        Some(key) => claim(db, caller, key, &new, claimed, now).await?,
        None => (claimed, false),
    };
    // Live pauses count against the plan's monthly allowance; test mode is free.
    let cap = if caller.livemode() && !replay {
        plan.limits().monthly_pauses
    } else {
        None
    };
    if let Some(cap) = cap {
        if !db::usage::reserve_pause(db, &caller.account_id, &period, cap).await? {
            forget_claim(db, caller, idem_key, id, replay).await?;
            return Err(plan.quota_error());
        }
    }
    let uncapped_live = caller.livemode() && cap.is_none() && !replay;
    let created = create_object(ctx, caller, new, origin, id, now, &period, uncapped_live).await;
    // A failure after the reservation and the key's claim (link secret missing, the
    // object unreachable) gives both back, so a corrected retry is a new create that is
    // counted. A success stands even when the object already held the pause: only a
    // retry under this request's own claim can have made it (it overtook this request,
    // and took no quota), so this request's reservation is that pause's one count.
    if created.is_err() {
        if cap.is_some() {
            db::usage::release_pause(db, &caller.account_id, &period).await?;
        }
        forget_claim(db, caller, idem_key, id, replay).await?;
    }
    // Replayed: this request is the retry, whichever of the two reached the object first.
    Ok(Created {
        pause: created?,
        replayed: replay,
    })
}

/// Claims `key` for `id`, or finds the earlier request that holds it. Returns the
/// pause id in force and whether this request is a retry of that earlier one.
async fn claim(
    db: &Db,
    caller: &Caller,
    key: &str,
    new: &NewPause,
    id: PauseId,
    now: i64,
) -> Result<(PauseId, bool), ApiError> {
    let hash = new.fingerprint();
    let claim = db::idempotency::claim_idempotency_key(
        db,
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
    db: &Db,
    caller: &Caller,
    idem_key: Option<&str>,
    id: PauseId,
    replay: bool,
) -> Result<(), ApiError> {
    match idem_key {
        Some(key) if !replay => {
            let (account, live) = (&caller.account_id, caller.livemode());
            db::idempotency::drop_idempotency_key(db, account, live, key, &id.to_string()).await
        }
        _ => Ok(()),
    }
}

/// Builds the pause and has its Durable Object create it (once: a retry under the
/// same key lands on the same object and gets the pause the first one made).
#[allow(clippy::too_many_arguments)]
async fn create_object(
    ctx: &Ctx,
    caller: &Caller,
    new: NewPause,
    origin: &str,
    id: PauseId,
    now: i64,
    period: &str,
    count_for_display: bool,
) -> Result<Pause, ApiError> {
    let env = &ctx.env;
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
            status: DeliveryStatus::Queued,
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
    let create = ctx.call(&pause_id, &command);
    // Unlimited plans count only for display: counted beside the create, not after it.
    let reply = if count_for_display {
        let count = db::usage::count_pause(&ctx.db, &caller.account_id, period);
        let (reply, counted) = futures_util::future::join(create, count).await;
        counted?;
        reply?
    } else {
        create.await?
    };
    owned(reply.pause, caller)
}

/// Looks the pause up for this account and mode: another account's pause, or one of
/// the other mode, is simply not found.
pub(crate) fn owned(reply_pause: Option<Pause>, caller: &Caller) -> Result<Pause, ApiError> {
    reply_pause
        .filter(|p| p.account_id == caller.account_id && visible(p.livemode, caller.key_mode()))
        .ok_or(ApiError::PauseNotFound)
}

/// A pause id from a path or an argument: one that cannot exist is simply not found.
pub(crate) fn pause_id(raw: &str) -> Result<PauseId, ApiError> {
    PauseId::parse(raw).ok_or(ApiError::PauseNotFound)
}

/// The pause, after holding up to `wait_ms` while it is pending.
pub(crate) async fn get(
    ctx: &Ctx,
    caller: &Caller,
    id: &PauseId,
    wait_ms: u64,
) -> Result<Pause, ApiError> {
    // The object answers "not found" for another account's pause before waiting.
    let reply = call_for(ctx, caller, id, Command::Get { wait_ms }).await?;
    owned(reply.pause, caller)
}

/// A command to a pause on behalf of the caller's account and mode.
async fn call_for(
    ctx: &Ctx,
    caller: &Caller,
    id: &PauseId,
    cmd: Command,
) -> Result<Reply, ApiError> {
    let cmd = Command::ForAccount {
        account_id: caller.account_id.clone(),
        livemode: caller.livemode(),
        cmd: Box::new(cmd),
    };
    ctx.call(&id.to_string(), &cmd).await
}

/// Cancels a pending pause; any other status is `pause_not_pending`.
pub(crate) async fn cancel(ctx: &Ctx, caller: &Caller, id: &PauseId) -> Result<Pause, ApiError> {
    let cancel = Command::Cancel {
        key_id: Some(caller.key_id.clone()),
    };
    let reply = call_for(ctx, caller, id, cancel).await?;
    let p = owned(reply.pause, caller)?;
    match reply.outcome {
        Outcome::Changed => Ok(p),
        _ => Err(ApiError::PauseNotPending {
            status: p.status.as_str(),
        }),
    }
}

/// One page of the account's pauses, newest first, as the list envelope.
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, q: ListQuery) -> Result<Value, ApiError> {
    let db = &ctx.db;
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
        q.channel.map(Channel::as_str),
        q.cursor.as_deref(),
        q.limit,
    )
    .await?;
    Ok(json!({ "object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next }))
}

/// Pokes the objects of pending pauses whose deadline is before `until`: a poke fires a
/// passed timeout and re-arms a lost alarm. The cron sweeps the overdue ones.
pub(crate) async fn sweep_pending(ctx: &Ctx, until: i64) {
    let ids = match db::pauses::pending_pause_ids(&ctx.db, until, 1000).await {
        Ok(ids) => ids,
        Err(e) => return worker::console_error!("sweep failed: {e}"),
    };
    for chunk in ids.chunks(16) {
        let pokes = chunk.iter().map(|id| async move {
            if let Err(e) = ctx.call(id, &Command::Get { wait_ms: 0 }).await {
                worker::console_error!("sweep: {id}: {e}");
            }
        });
        futures_util::future::join_all(pokes).await;
    }
}
