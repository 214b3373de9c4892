//! Console actions in the audit log. Actions about a pause (create, cancel) are
//! recorded by the pause's own object, with the member as the actor. Actions about
//! the account (sign-up, sign-in, the team, keys, secrets) have no pause: they form
//! one more hash chain in the same table, keyed by the account id where a pause id
//! goes (`pause_id = acct_…`). Same canonical form, same `seq`/`prev_hash` links; the
//! next row is appended by reading the head and inserting seq + 1, and the table's
//! UNIQUE (pause_id, seq) refuses a racing second row at the same place, which then
//! retries on the new head. So the chain stays linear and verifiable by the same
//! `ChainVerifier`; unlike a pause's chain there is no object holding its head, so a
//! verification proves the rows link up from the genesis, not that none were cut
//! from the end.

use serde_json::{json, Value};
use worker::Env;

use crate::core::audit::{append, ChainHead, NewEvent};
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::http::{internal, now_ms, random_bytes};
use crate::store::{db, n, s};

use super::session::Member;

pub const ACCOUNT_CREATED: &str = "account.created";
pub const SIGNED_IN: &str = "member.signed_in";
pub const SIGNED_OUT: &str = "member.signed_out";
pub const INVITED: &str = "member.invited";
pub const JOINED: &str = "member.joined";
pub const REMOVED: &str = "member.removed";

async fn head(env: &Env, account_id: &str) -> Result<ChainHead, ApiError> {
    #[derive(serde::Deserialize)]
    struct Row {
        seq: i64,
        hash: String,
    }
    let row = db(env)?
        .prepare(
            "SELECT seq, hash FROM audit_events WHERE pause_id = ?1 AND account_id = ?1
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(&[s(account_id)])
        .map_err(internal)?
        .first::<Row>(None)
        .await
        .map_err(internal)?;
    Ok(row.map_or_else(ChainHead::default, |r| ChainHead {
        seq: r.seq,
        hash: r.hash,
    }))
}

/// Records `kind` done by `member` on their account; `extra` joins the context,
/// which always names the member and their address.
pub async fn record(env: &Env, member: &Member, kind: &str, extra: Value) -> Result<(), ApiError> {
    record_member(
        env,
        &member.account_id,
        &member.id,
        &member.email,
        kind,
        extra,
    )
    .await
}

pub async fn record_member(
    env: &Env,
    account_id: &str,
    member_id: &str,
    email: &str,
    kind: &str,
    extra: Value,
) -> Result<(), ApiError> {
    let mut ctx = json!({ "member_id": member_id, "email": email });
    if let (Some(c), Value::Object(e)) = (ctx.as_object_mut(), extra) {
        c.extend(e);
    }
    record_as(env, account_id, &format!("member:{member_id}"), kind, &ctx).await
}

pub async fn record_as(
    env: &Env,
    account_id: &str,
    actor: &str,
    kind: &str,
    ctx: &Value,
) -> Result<(), ApiError> {
    let mut last_err = None;
    for _ in 0..5 {
        let h = head(env, account_id).await?;
        let (e, _) = append(
            &h,
            NewEvent {
                event_id: format!("evt_{}", hex(&random_bytes::<12>())),
                pause_id: account_id,
                account_id,
                at: now_ms(),
                actor: actor.to_string(),
                kind,
                context: ctx,
            },
        );
        // A plain INSERT: a row already at this seq (a racing action) fails it.
        let inserted = db(env)?
            .prepare(
                "INSERT INTO audit_events
                 (event_id, pause_id, account_id, at, actor, type, context, seq, prev_hash, hash, livemode)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
            )
            .bind(&[
                s(&e.event_id),
                s(&e.pause_id),
                s(&e.account_id),
                n(e.at),
                s(&e.actor),
                s(&e.kind),
                s(&e.context),
                n(e.seq),
                s(&e.prev_hash),
                s(&e.hash),
            ])
            .map_err(internal)?
            .run()
            .await;
        match inserted {
            Ok(_) => return Ok(()),
            Err(e) => last_err = Some(e),
        }
    }
    Err(internal(format!(
        "account audit append kept conflicting: {last_err:?}"
    )))
}
