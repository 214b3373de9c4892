//! D1 side of the audit log: idempotent inserts from the pause objects, filtered
//! pages for listing and export, and a pause's chain in pages for verification.

use wasm_bindgen::JsValue;
use worker::Env;

use crate::core::audit::{AuditEvent, Filter};
use crate::core::error::ApiError;
use crate::http::internal;
use crate::store::{db, n, s};

/// Idempotent on event_id: a retried flush inserts nothing twice and never updates.
/// `livemode` is the pause's mode (not hashed: the chain's fields are fixed), by
/// which the log is filtered.
pub async fn insert(env: &Env, e: &AuditEvent, livemode: bool) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "INSERT OR IGNORE INTO audit_events
             (event_id, pause_id, account_id, at, actor, type, context, seq, prev_hash, hash, livemode)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
            n(i64::from(livemode)),
        ])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

/// One page of one mode's rows in (at, pause_id, seq) order, after the event `after`
/// when given. Fetches `limit + 1` rows so the caller knows whether more follow.
pub async fn page(
    env: &Env,
    account_id: &str,
    livemode: bool,
    f: &Filter,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<AuditEvent>, ApiError> {
    let mut sql =
        String::from("SELECT * FROM audit_events WHERE account_id = ?1 AND livemode = ?2");
    let mut args = vec![s(account_id), n(i64::from(livemode))];
    // `#` in a clause is the placeholder of the value added with it.
    let mut add = |clause: &str, v: JsValue, args: &mut Vec<JsValue>| {
        args.push(v);
        sql.push_str(&clause.replace('#', &format!("?{}", args.len())));
    };
    if let Some(p) = &f.pause_id {
        add(" AND pause_id = #", s(p), &mut args);
    }
    if let Some(k) = &f.kind {
        add(" AND type = #", s(k), &mut args);
    }
    if let Some(a) = &f.actor {
        add(" AND actor = #", s(a), &mut args);
    }
    if let Some(t) = f.since {
        add(" AND at >= #", n(t), &mut args);
    }
    if let Some(t) = f.until {
        add(" AND at <= #", n(t), &mut args);
    }
    if let Some(c) = after {
        add(
            " AND (at, pause_id, seq) > (SELECT at, pause_id, seq FROM audit_events WHERE event_id = # AND account_id = ?1)",
            s(c),
            &mut args,
        );
    }
    sql.push_str(&format!(" ORDER BY at, pause_id, seq LIMIT {}", limit + 1));
    db(env)?
        .prepare(sql)
        .bind(&args)
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)
}

pub async fn event_exists(
    env: &Env,
    account_id: &str,
    livemode: bool,
    event_id: &str,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare(
            "SELECT event_id FROM audit_events WHERE event_id = ?1 AND account_id = ?2 AND livemode = ?3",
        )
        .bind(&[s(event_id), s(account_id), n(i64::from(livemode))])
        .map_err(internal)?
        .first::<serde_json::Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// Up to `limit` rows of one pause with seq above `after_seq`, by seq: verify reads a
/// chain a page at a time. (seq is unique per pause, so the key never skips a row.)
pub async fn chain_page(
    env: &Env,
    account_id: &str,
    pause_id: &str,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<AuditEvent>, ApiError> {
    db(env)?
        .prepare(
            "SELECT * FROM audit_events WHERE pause_id = ?1 AND account_id = ?2 AND seq > ?3
             ORDER BY seq LIMIT ?4",
        )
        .bind(&[s(pause_id), s(account_id), n(after_seq), n(limit as i64)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)
}

/// Retention (`AUDIT_RETENTION_DAYS`, unset by default: keep forever). Records the
/// period where the delete trigger reads it, then removes whole pauses whose newest
/// event is older than it, so no chain is ever left without its start.
pub async fn purge_expired(env: &Env, days: u32, now: i64) -> Result<(), ApiError> {
    let cutoff = now - days as i64 * 86_400_000;
    let db = db(env)?;
    db.batch(vec![
        db.prepare("INSERT OR REPLACE INTO audit_retention (k, days) VALUES (1, ?1)")
            .bind(&[n(days as i64)])
            .map_err(internal)?,
        db.prepare(
            "DELETE FROM audit_events WHERE pause_id IN
             (SELECT pause_id FROM audit_events GROUP BY pause_id HAVING MAX(at) < ?1 LIMIT 500)",
        )
        .bind(&[n(cutoff)])
        .map_err(internal)?,
    ])
    .await
    .map_err(internal)?;
    Ok(())
}
