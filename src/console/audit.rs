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

use crate::core::audit::{append, AuditKind, NewEvent};
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::db::audit as audit_rows;
use crate::http::{now_ms, random_bytes};
use crate::service::Ctx;

use super::session::Member;

/// Records `kind` done by `member` on their account; `extra` joins the context,
/// which always names the member and their address.
pub(crate) async fn record(
    ctx: &Ctx,
    member: &Member,
    kind: AuditKind,
    extra: Value,
) -> Result<(), ApiError> {
    record_member(
        ctx,
        &member.account_id,
        &member.id,
        &member.email,
        kind,
        extra,
    )
    .await
}

pub(crate) async fn record_member(
    ctx: &Ctx,
    account_id: &str,
    member_id: &str,
    email: &str,
    kind: AuditKind,
    extra: Value,
) -> Result<(), ApiError> {
    let mut context = json!({ "member_id": member_id, "email": email });
    if let (Some(c), Value::Object(e)) = (context.as_object_mut(), extra) {
        c.extend(e);
    }
    let actor = format!("member:{member_id}");
    for _ in 0..5 {
        let head = audit_rows::account_head(&ctx.db, account_id).await?;
        let (e, _) = append(
            &head,
            NewEvent {
                event_id: format!("evt_{}", hex(&random_bytes::<12>())),
                pause_id: account_id,
                account_id,
                at: now_ms(),
                actor: actor.clone(),
                kind,
                context: &context,
            },
        );
        if audit_rows::append_account(&ctx.db, &e).await? {
            return Ok(());
        }
    }
    Err(ApiError::internal(
        "account audit append kept losing its place to concurrent actions",
    ))
}
