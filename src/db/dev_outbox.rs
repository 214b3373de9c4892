//! `dev_outbox`: the messages local mode and test mode record instead of sending.

use serde::Deserialize;

use super::{Db, Where};
use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::pause::Pause;
use crate::http::random_bytes;

/// Records a message in the local outbox; once per pause, however often retried.
/// `id` keys the message: the pause id for the one recipient, one per approver and
/// contact otherwise (a retry of the same message writes nothing new).
pub async fn put_dev_outbox(
    db: &Db,
    id: &str,
    p: &Pause,
    body: &str,
    now: i64,
) -> Result<(), ApiError> {
    db.run(
        "INSERT OR IGNORE INTO dev_outbox (id, pause_id, account_id, channel, recipient, body, link, created_at, livemode)
         VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            id.into(),
            (&p.account_id).into(),
            p.channel.as_str().into(),
            (&p.recipient).into(),
            body.into(),
            (&p.link).into(),
            now.into(),
            p.livemode.into(),
            (&p.id).into(),
        ],
    )
    .await
}

/// Records an email that belongs to no pause (a console magic link): its id stands
/// in for the pause id, and it has no account.
pub async fn put_dev_email(
    db: &Db,
    to: &str,
    body: &str,
    link: &str,
    now: i64,
) -> Result<(), ApiError> {
    let id = format!("mail_{}", hex(&random_bytes::<8>()));
    db.run(
        "INSERT INTO dev_outbox (id, pause_id, account_id, channel, recipient, body, link, created_at, livemode)
         VALUES (?1, ?1, '', 'email', ?2, ?3, ?4, ?5, 1)",
        &[id.into(), to.into(), body.into(), link.into(), now.into()],
    )
    .await
}

#[derive(Deserialize, serde::Serialize)]
pub struct OutboxRow {
    pub pause_id: String,
    pub account_id: String,
    pub channel: String,
    pub recipient: String,
    pub body: String,
    pub link: String,
    pub created_at: i64,
    pub livemode: i64,
}

/// The local outbox, or one account's test-mode messages when `account` is given.
pub async fn read_dev_outbox(
    db: &Db,
    account: Option<&str>,
    pause_id: Option<&str>,
    limit: u32,
) -> Result<Vec<OutboxRow>, ApiError> {
    let mut w = Where::new("1 = 1", vec![]);
    w.and_some("account_id = # AND livemode = 0", account)
        .and_some("pause_id = #", pause_id);
    let sql = format!(
        "SELECT * FROM dev_outbox{} ORDER BY created_at DESC LIMIT {limit}",
        w.sql()
    );
    db.all(&sql, w.args()).await
}
