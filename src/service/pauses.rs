//! The pause operations: create, get (with a wait), cancel and list, for one caller's
//! account and mode. The REST routes and the MCP tools both call these, so the two
//! cannot drift.

use serde_json::{json, Value};
use worker::Env;

use super::Ctx;
use crate::config;
use crate::core::error::ApiError;
use crate::core::ids::{PauseId, PAUSE_ID_BYTES};
use crate::core::pause::{Channel, Delivery, DeliveryStatus, Pause, Status};
use crate::core::plans::period_of;
use crate::core::policy;
use crate::core::protocol::{Command, Outcome, Reply};
use crate::core::request::{IdempotencyKey, ListQuery, NewPause};
use crate::core::tenancy::visible;
use crate::core::token::{self, Claims};
use crate::db::create::{Created as Batch, NewCreate};
use crate::db::{self, Caller};
use crate::http::{internal, now_ms, random_bytes};

/// A pause made by [`create`], or found again by its `Idempotency-Key`.
pub(crate) struct Created {
    pub pause: Pause,
    /// The retry of an earlier request with the same key: nothing new was made.
    pub replayed: bool,
}

/// Creates a pause: the deployment's webhook rules and the plan's limits, then one D1
/// batch (the key's claim, the listing row and the month's count, each conditional on
/// the others: see `db::create`), then the pause's Durable Object. `origin` is this
/// service's origin, used in the link when `PUBLIC_BASE_URL` is unset.
pub(crate) async fn create(
    ctx: &Ctx,
    caller: &Caller,
    new: NewPause,
    origin: &str,
    idem_key: Option<&IdempotencyKey>,
) -> Result<Created, ApiError> {
    let env = &ctx.env;
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
        idempotency: idem_key.map(IdempotencyKey::as_str).zip(hash.as_deref()),
        now,
    };
    match db::create::create(&ctx.db, &batch).await? {
        Batch::New => {
            let made = create_object(ctx, caller, &fresh).await;
            if let Err(e) = &made {
                // Off the success path: the place, the claim and the listing row go
                // back, so a corrected retry is a new create that is counted.
                worker::console_error!("create {}: the object failed ({e}); undoing", fresh.id);
                if let Err(u) = db::create::undo(&ctx.db, &batch).await {
                    worker::console_error!("create {}: undo failed: {u}", fresh.id);
                }
            }
            Ok(Created {
                pause: made?,
                replayed: false,
            })
        }
        // A retry of an earlier request with this key and body: its pause (if this retry
        // reaches the object first, it makes the same pause there).
        Batch::Replay(held) => {
            let held =
                PauseId::parse(&held).ok_or_else(|| internal("stored pause id unreadable"))?;
            let pause = build(env, caller, &new, origin, held, now)?;
            Ok(Created {
                pause: create_object(ctx, caller, &pause).await?,
                replayed: true,
            })
        }
        Batch::KeyReused => Err(ApiError::IdempotencyKeyReused),
        Batch::OverQuota => Err(plan.quota_error()),
    }
}

/// The pause a create makes, with its signed link.
fn build(
    env: &Env,
    caller: &Caller,
    new: &NewPause,
    origin: &str,
    id: PauseId,
    now: i64,
) -> Result<Pause, ApiError> {
    let expires_at = now + new.timeout_seconds as i64 * 1000;
    let secret = config::token_secret(env)?;
    let base = config::base_url(env, origin);
    let link_for = |approver: Option<u8>| {
        let token = token::sign(
            &secret,
            Claims {
                pause_id: id,
                expires_at: (expires_at / 1000) as u32 + 1,
                approver,
            },
        );
        format!("{base}/r/{token}")
    };
    let mut p = Pause {
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
        link: link_for(None),
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
            status: DeliveryStatus::Queued,
            ..Default::default()
        },
        version: 1,
        rule: Default::default(),
        approvers: vec![],
        votes: vec![],
        escalation: vec![],
        reminders: None,
        action: new.action.clone(),
        receipt: None,
    };
    if let Some(policy) = &new.policy {
        policy::create::apply(&mut p, policy, |i| link_for(Some(i)), now);
    }
    Ok(p)
}

/// Has the pause's Durable Object create `pause` (once: a retry under the same key
/// lands on the same object and gets the pause the first one made). No D1 here.
async fn create_object(ctx: &Ctx, caller: &Caller, pause: &Pause) -> Result<Pause, ApiError> {
    let command = Command::Create {
        pause: Box::new(pause.clone()),
        key_id: Some(caller.key_id.clone()),
    };
    let reply = ctx.call(&pause.id, &command).await?;
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
