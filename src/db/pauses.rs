//! `pauses`: the listing index the objects keep up to date.

use serde::Deserialize;
use serde_json::Value;

use worker::D1PreparedStatement;

use super::{Arg, Db, Page, Where};
use crate::core::error::ApiError;
use crate::core::pause::{Pause, Status};

/// Newest first; a cursor is a pause id.
const PAGE: Page = Page {
    table: "pauses",
    id_col: "id",
    keys: "created_at, id",
    descending: true,
};

/// Upserts the listing row (a statement for the object's flush batch). An older
/// version never overwrites a newer one; the same version rewrites it, so the object's
/// own row replaces the one the create's batch wrote (they differ only when a retry
/// reached the object first with its own timestamps).
pub(crate) fn index_stmt(db: &Db, p: &Pause) -> Result<D1PreparedStatement, ApiError> {
    db.stmt(
        "INSERT INTO pauses (id, account_id, status, created_at, expires_at, version, doc, livemode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, version = excluded.version, doc = excluded.doc
         WHERE excluded.version >= pauses.version",
        &row_args(p),
    )
}

/// The listing row's values, bound as ?1..?8 (id, account_id, status, created_at,
/// expires_at, version, doc, livemode) by the upsert here and by the create's batch.
pub(crate) fn row_args(p: &Pause) -> Vec<Arg> {
    vec![
        (&p.id).into(),
        (&p.account_id).into(),
        p.status.as_str().into(),
        p.created_at.into(),
        p.expires_at.into(),
        (p.version as i64).into(),
        p.to_api().to_string().into(),
        p.livemode.into(),
    ]
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    doc: String,
}

/// A page of the account's pauses of one mode, newest first, after the pause `cursor`.
pub async fn list_pauses(
    db: &Db,
    account_id: &str,
    livemode: bool,
    status: Option<&str>,
    channel: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let mut w = Where::new(
        "account_id = ?1 AND livemode = ?2",
        vec![account_id.into(), livemode.into()],
    );
    w.and_some("status = #", status)
        .and_some("json_extract(doc, '$.channel') = #", channel);
    PAGE.after(&mut w, cursor);
    let sql = format!("SELECT id, doc FROM pauses{}{}", w.sql(), PAGE.tail(limit));
    let (page, more) = Page::split(db.all::<DocRow>(&sql, w.args()).await?, limit);
    let next = if more {
        page.last().map(|r| r.id.clone())
    } else {
        None
    };
    let docs = page
        .into_iter()
        .map(|r| serde_json::from_str(&r.doc).map_err(ApiError::internal))
        .collect::<Result<_, _>>()?;
    Ok((docs, next))
}

pub async fn cursor_exists(
    db: &Db,
    account_id: &str,
    livemode: bool,
    pause_id: &str,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "SELECT id FROM pauses WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
            &[pause_id.into(), account_id.into(), livemode.into()],
        )
        .await?;
    Ok(row.is_some())
}

/// Pending pauses (as the index knows them) whose deadline is before `until`.
pub async fn pending_pause_ids(db: &Db, until: i64, limit: u32) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT id FROM pauses WHERE status = ?3 AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
            &[
                until.min(9_007_199_254_740_991).into(),
                limit.into(),
                Status::Pending.as_str().into(),
            ],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
