//! The audit log's reads: a filtered page of events, and the verification of a hash
//! chain (a pause's, against the head its object keeps, or the account's own chain of
//! console actions). Shared by `GET /v1/audit*`, the MCP tool and the console.

use crate::core::audit::{self, AuditEvent, Break, ChainHead, ChainVerifier, Ending, Filter};
use crate::core::error::ApiError;
use crate::core::ids::PauseId;
use crate::core::protocol::Command;
use crate::db::{self, Caller, Page};

use super::{pauses, Ctx};

/// Rows read from D1 per step of a verification: only the running head is kept.
const VERIFY_PAGE: u32 = 200;
/// How often verify asks the object's head again before a chain that is past or short
/// of it counts as broken (events recorded while it reads).
const SECOND_LOOKS: u32 = 3;

/// A verified chain: the rows accepted, the head they reach, the first break if any.
pub(crate) struct Verified {
    pub events: u64,
    pub last: ChainHead,
    pub first_break: Option<Break>,
}

/// A cursor must be an event of this account and mode (a page's end).
pub(crate) async fn check_cursor(ctx: &Ctx, caller: &Caller, f: &Filter) -> Result<(), ApiError> {
    if let Some(c) = &f.cursor {
        if !db::audit::event_exists(&ctx.db, &caller.account_id, caller.livemode(), c).await? {
            return Err(ApiError::invalid(
                "cursor",
                "`cursor` must be the `next_cursor` of a previous page.",
            ));
        }
    }
    Ok(())
}

/// One page of events for the parsed filter, and the cursor of the next page.
pub(crate) async fn events(
    ctx: &Ctx,
    caller: &Caller,
    f: &Filter,
) -> Result<(Vec<AuditEvent>, Option<String>), ApiError> {
    check_cursor(ctx, caller, f).await?;
    let rows = db::audit::page(
        &ctx.db,
        &caller.account_id,
        caller.livemode(),
        f,
        f.cursor.as_deref(),
        f.limit,
    )
    .await?;
    let (rows, has_more) = Page::split(rows, f.limit);
    let next = if has_more {
        rows.last().map(|e| e.event_id.clone())
    } else {
        None
    };
    Ok((rows, next))
}

/// Verifies one pause's chain against its object's head. Another account's pause, one
/// of the other mode, or none: not found.
pub(crate) async fn verify_pause(
    ctx: &Ctx,
    caller: &Caller,
    pause_id: &str,
) -> Result<Verified, ApiError> {
    let id = PauseId::parse(pause_id).ok_or(ApiError::PauseNotFound)?;
    let reply = ctx
        .call(&id.to_string(), &Command::Get { wait_ms: 0 })
        .await?;
    pauses::owned(reply.pause, caller)?;
    let mut v = ChainVerifier::new(reply.audit_head.unwrap_or_default());
    let result = verify_pages(ctx, &caller.account_id, pause_id, &mut v).await?;
    Ok(Verified {
        events: v.rows(),
        last: v.last().clone(),
        first_break: result.err(),
    })
}

/// Verifies the account's own chain (console actions; keyed by the account id where a
/// pause id goes): each row links to the one before from the genesis. No object holds
/// this chain's head, so a cut end cannot be seen; the caller says so.
pub(crate) async fn verify_account(ctx: &Ctx, account_id: &str) -> Result<Verified, ApiError> {
    let unbounded = ChainHead {
        seq: i64::MAX,
        hash: String::new(),
    };
    let mut v = ChainVerifier::new(unbounded);
    let mut after = -(1_i64 << 53);
    let mut first_break = None;
    loop {
        let rows =
            db::audit::chain_page(&ctx.db, account_id, account_id, after, VERIFY_PAGE).await?;
        if let Some(b) = rows.iter().find_map(|e| v.push(e).err()) {
            first_break = Some(b);
            break;
        }
        after = v.last().seq;
        if rows.len() < VERIFY_PAGE as usize {
            break;
        }
    }
    Ok(Verified {
        events: v.rows(),
        last: v.last().clone(),
        first_break,
    })
}

/// The object's chain head now (a Get also flushes its pending audit rows to D1).
async fn object_head(ctx: &Ctx, pause_id: &str) -> Result<ChainHead, ApiError> {
    let reply = ctx.call(pause_id, &Command::Get { wait_ms: 0 }).await?;
    Ok(reply.audit_head.unwrap_or_default())
}

/// Reads the chain from D1 a page at a time into `v`, which keeps only the running
/// head. The object's head was read before the rows, so a row past it, or a chain
/// short of it, may be an event recorded meanwhile: the head is asked again (a few
/// times) before either counts as a break.
async fn verify_pages(
    ctx: &Ctx,
    account_id: &str,
    pause_id: &str,
    v: &mut ChainVerifier,
) -> Result<Result<(), Break>, ApiError> {
    let mut second_looks = 0;
    // Below any seq, so a forged row numbered 0 or less shows up as a gap; kept within
    // the integers a JS number holds exactly (it is bound through one).
    let mut after = -(1_i64 << 53);
    loop {
        let rows = db::audit::chain_page(&ctx.db, account_id, pause_id, after, VERIFY_PAGE).await?;
        for e in &rows {
            match v.push(e) {
                Ok(()) => {}
                Err(b) if b.reason == "beyond_head" && second_looks < SECOND_LOOKS => {
                    second_looks += 1;
                    v.learn_head(object_head(ctx, pause_id).await?);
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
                v.learn_head(object_head(ctx, pause_id).await?);
            }
        }
    }
}
