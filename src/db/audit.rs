//! `audit_events`: idempotent inserts from the pause objects, filtered pages for
//! listing and export, and a pause's chain in pages for verification.

use serde_json::Value;

use worker::D1PreparedStatement;

use super::{Arg, Db, Page, Where};
use crate::core::audit::{AuditEvent, ChainHead, Filter};
use crate::core::error::ApiError;

/// In (at, pause_id, seq) order; a cursor is an event id.
const PAGE: Page = Page {
    table: "audit_events",
    id_col: "event_id",
    keys: "at, pause_id, seq",
    descending: false,
};

/// One audit row; `OR IGNORE`: a row already stored (a retried flush) stays as it is.
const INSERT_EVENT: &str = "INSERT OR IGNORE INTO audit_events
     (event_id, pause_id, account_id, at, actor, type, context, seq, prev_hash, hash, livemode)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

fn event_args(e: &AuditEvent, livemode: bool) -> [Arg; 11] {
    [
        (&e.event_id).into(),
        (&e.pause_id).into(),
        (&e.account_id).into(),
        e.at.into(),
        (&e.actor).into(),
        (&e.kind).into(),
        (&e.context).into(),
        e.seq.into(),
        (&e.prev_hash).into(),
        (&e.hash).into(),
        livemode.into(),
    ]
}

/// Idempotent on event_id: a retried flush inserts nothing twice and never updates
/// (a statement for the object's flush batch).
/// `livemode` is the pause's mode (not hashed: the chain's fields are fixed), by
/// which the log is filtered.
pub(crate) fn insert_stmt(
    db: &Db,
    e: &AuditEvent,
    livemode: bool,
) -> Result<D1PreparedStatement, ApiError> {
    db.stmt(INSERT_EVENT, &event_args(e, livemode))
}

/// The head of an account's own chain (console actions; `pause_id` = the account id).
pub async fn account_head(db: &Db, account_id: &str) -> Result<ChainHead, ApiError> {
    let row = db
        .first::<ChainHead>(
            "SELECT seq, hash FROM audit_events WHERE pause_id = ?1 AND account_id = ?1
             ORDER BY seq DESC LIMIT 1",
            &[account_id.into()],
        )
        .await?;
    Ok(row.unwrap_or_default())
}

/// Appends a row of an account's chain (live mode: the account is not a mode's).
/// `false` when a row already holds its place (a racing action took that seq): the
/// table's UNIQUE (pause_id, seq) refuses it, and the caller retries on the new head.
pub async fn append_account(db: &Db, e: &AuditEvent) -> Result<bool, ApiError> {
    let sql = format!("{INSERT_EVENT} RETURNING event_id");
    let row = db.first::<Value>(&sql, &event_args(e, true)).await?;
    Ok(row.is_some())
}

/// One page of one mode's rows in (at, pause_id, seq) order, after the event `after`
/// when given. Fetches `limit + 1` rows so the caller knows whether more follow.
pub async fn page(
    db: &Db,
    account_id: &str,
    livemode: bool,
    f: &Filter,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<AuditEvent>, ApiError> {
    let mut w = Where::new(
        "account_id = ?1 AND livemode = ?2",
        vec![account_id.into(), livemode.into()],
    );
    w.and_some("pause_id = #", f.pause_id.as_deref())
        .and_some("type = #", f.kind.as_deref())
        .and_some("actor = #", f.actor.as_deref())
        .and_some("at >= #", f.since)
        .and_some("at <= #", f.until);
    PAGE.after(&mut w, after);
    let sql = format!("SELECT * FROM audit_events{}{}", w.sql(), PAGE.tail(limit));
    db.all(&sql, w.args()).await
}

pub async fn event_exists(
    db: &Db,
    account_id: &str,
    livemode: bool,
    event_id: &str,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "SELECT event_id FROM audit_events WHERE event_id = ?1 AND account_id = ?2 AND livemode = ?3",
            &[event_id.into(), account_id.into(), livemode.into()],
        )
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` rows of one pause with seq above `after_seq`, by seq: verify reads a
/// chain a page at a time. (seq is unique per pause, so the key never skips a row.)
pub async fn chain_page(
    db: &Db,
    account_id: &str,
    pause_id: &str,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<AuditEvent>, ApiError> {
    db.all(
        "SELECT * FROM audit_events WHERE pause_id = ?1 AND account_id = ?2 AND seq > ?3
         ORDER BY seq LIMIT ?4",
        &[
            pause_id.into(),
            account_id.into(),
            after_seq.into(),
            limit.into(),
        ],
    )
    .await
}

/// Retention (`AUDIT_RETENTION_DAYS`, unset by default: keep forever). Records the
/// period where the delete trigger reads it, then removes whole pauses whose newest
/// event is older than it, so no chain is ever left without its start.
pub async fn purge_expired(db: &Db, days: u32, now: i64) -> Result<(), ApiError> {
    let cutoff = now - days as i64 * 86_400_000;
    db.batch(vec![
        db.stmt(
            "INSERT OR REPLACE INTO audit_retention (k, days) VALUES (1, ?1)",
            &[days.into()],
        )?,
        db.stmt(
            "DELETE FROM audit_events WHERE pause_id IN
             (SELECT pause_id FROM audit_events GROUP BY pause_id HAVING MAX(at) < ?1 LIMIT 500)",
            &[cutoff.into()],
        )?,
    ])
    .await?;
    Ok(())
}
