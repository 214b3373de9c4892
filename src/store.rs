//! D1 access: accounts and keys, the pause index, the local outbox.

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use crate::core::error::ApiError;
use crate::core::ids::hex;
use crate::core::keys::{self, KeyMode};
use crate::core::pause::Pause;
use crate::http::{internal, random_bytes};

pub fn db(env: &Env) -> Result<D1Database, ApiError> {
    env.d1("DB").map_err(internal)
}

/// D1 binding of a text value.
pub(crate) fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// D1 binding of an integer (D1 numbers are doubles; ours stay below 2^53).
pub(crate) fn n(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

/// The caller of an API request, resolved from its key.
#[derive(Debug, Clone, Deserialize)]
pub struct Caller {
    pub key_id: String,
    pub mode: String,
    pub account_id: String,
    pub account_name: String,
    pub plan: String,
}

impl Caller {
    pub fn livemode(&self) -> bool {
        self.mode == "live"
    }
    pub fn key_mode(&self) -> KeyMode {
        KeyMode::of_livemode(self.livemode())
    }
    pub fn plan(&self) -> crate::core::plans::Plan {
        crate::core::plans::Plan::parse(&self.plan).unwrap_or(crate::core::plans::Plan::Free)
    }
}

pub async fn caller_by_key(env: &Env, presented: &str) -> Result<Option<Caller>, ApiError> {
    if keys::mode_of(presented).is_none() {
        return Ok(None);
    }
    db(env)?
        .prepare(
            "SELECT k.id AS key_id, k.mode, a.id AS account_id, a.name AS account_name, a.plan
             FROM api_keys k JOIN accounts a ON a.id = k.account_id
             WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2)",
        )
        .bind(&[s(&keys::hash_key(presented)), n(crate::http::now_ms())])
        .map_err(internal)?
        .first::<Caller>(None)
        .await
        .map_err(internal)
}

pub struct CreatedAccount {
    pub account_id: String,
    pub live_key: String,
    pub test_key: String,
}

pub async fn create_account(
    env: &Env,
    name: &str,
    plan: &str,
    now: i64,
) -> Result<CreatedAccount, ApiError> {
    let db = db(env)?;
    let account_id = format!("acct_{}", hex(&random_bytes::<8>()));
    let mut statements = vec![db
        .prepare("INSERT INTO accounts (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[s(&account_id), s(name), s(plan), n(now)])
        .map_err(internal)?];
    let mut secrets = Vec::new();
    for mode in [KeyMode::Live, KeyMode::Test] {
        let key = keys::new_key(mode, &random_bytes::<20>());
        statements.push(
            db.prepare(
                "INSERT INTO api_keys (id, account_id, key_hash, mode, prefix, last4, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(&[
                s(&format!("key_{}", hex(&random_bytes::<8>()))),
                s(&account_id),
                s(&key.hash),
                s(mode.as_str()),
                s(&key.prefix),
                s(&key.last4),
                n(now),
            ])
            .map_err(internal)?,
        );
        secrets.push(key.secret);
    }
    db.batch(statements).await.map_err(internal)?;
    let test_key = secrets.pop().unwrap_or_default();
    let live_key = secrets.pop().unwrap_or_default();
    Ok(CreatedAccount {
        account_id,
        live_key,
        test_key,
    })
}

/// Upserts the listing row; an older version never overwrites a newer one.
pub async fn index_pause(env: &Env, p: &Pause) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "INSERT INTO pauses (id, account_id, status, created_at, expires_at, version, doc, livemode)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET status = excluded.status, version = excluded.version, doc = excluded.doc
             WHERE excluded.version > pauses.version",
        )
        .bind(&[
            s(&p.id),
            s(&p.account_id),
            s(p.status.as_str()),
            n(p.created_at),
            n(p.expires_at),
            n(p.version as i64),
            s(&p.to_api().to_string()),
            n(i64::from(p.livemode)),
        ])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    doc: String,
}

/// A page of the account's pauses of one mode, newest first, after the pause `cursor`.
pub async fn list_pauses(
    env: &Env,
    account_id: &str,
    livemode: bool,
    status: Option<&str>,
    channel: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let mut sql =
        String::from("SELECT id, doc FROM pauses WHERE account_id = ?1 AND livemode = ?2");
    let mut args = vec![s(account_id), n(i64::from(livemode))];
    if let Some(st) = status {
        args.push(s(st));
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if let Some(ch) = channel {
        args.push(s(ch));
        sql.push_str(&format!(
            " AND json_extract(doc, '$.channel') = ?{}",
            args.len()
        ));
    }
    if let Some(c) = cursor {
        args.push(s(c));
        let i = args.len();
        sql.push_str(&format!(
            " AND (created_at, id) < (SELECT created_at, id FROM pauses WHERE id = ?{i} AND account_id = ?1)"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY created_at DESC, id DESC LIMIT {}",
        limit + 1
    ));
    let rows: Vec<DocRow> = db(env)?
        .prepare(sql)
        .bind(&args)
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)?;
    let has_more = rows.len() > limit as usize;
    let page: Vec<DocRow> = rows.into_iter().take(limit as usize).collect();
    let next = if has_more {
        page.last().map(|r| r.id.clone())
    } else {
        None
    };
    let docs = page
        .into_iter()
        .map(|r| serde_json::from_str(&r.doc).map_err(internal))
        .collect::<Result<_, _>>()?;
    Ok((docs, next))
}

pub async fn cursor_exists(
    env: &Env,
    account_id: &str,
    livemode: bool,
    pause_id: &str,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare("SELECT id FROM pauses WHERE id = ?1 AND account_id = ?2 AND livemode = ?3")
        .bind(&[s(pause_id), s(account_id), n(i64::from(livemode))])
        .map_err(internal)?
        .first::<Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// Pending pauses (as the index knows them) whose deadline is before `until`.
pub async fn pending_pause_ids(env: &Env, until: i64, limit: u32) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db(env)?
        .prepare("SELECT id FROM pauses WHERE status = 'pending' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2")
        .bind(&[n(until.min(9_007_199_254_740_991)), n(limit as i64)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Records a message in the local outbox; once per pause, however often retried.
pub async fn put_dev_outbox(env: &Env, p: &Pause, body: &str, now: i64) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "INSERT OR IGNORE INTO dev_outbox (id, pause_id, account_id, channel, recipient, body, link, created_at, livemode)
             VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&[
            s(&p.id),
            s(&p.account_id),
            s(p.channel.as_str()),
            s(&p.recipient),
            s(body),
            s(&p.link),
            n(now),
            n(i64::from(p.livemode)),
        ])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

/// Records an email that belongs to no pause (a console magic link) in the local
/// outbox: its id stands in for the pause id, and it has no account.
pub async fn put_dev_email(
    env: &Env,
    to: &str,
    body: &str,
    link: &str,
    now: i64,
) -> Result<(), ApiError> {
    let id = format!("mail_{}", hex(&random_bytes::<8>()));
    db(env)?
        .prepare(
            "INSERT INTO dev_outbox (id, pause_id, account_id, channel, recipient, body, link, created_at, livemode)
             VALUES (?1, ?1, '', 'email', ?2, ?3, ?4, ?5, 1)",
        )
        .bind(&[s(&id), s(to), s(body), s(link), n(now)])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
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
    env: &Env,
    account: Option<&str>,
    pause_id: Option<&str>,
    limit: u32,
) -> Result<Vec<OutboxRow>, ApiError> {
    let mut sql = String::from("SELECT * FROM dev_outbox WHERE 1 = 1");
    let mut args = Vec::new();
    if let Some(a) = account {
        args.push(s(a));
        sql.push_str(&format!(
            " AND account_id = ?{} AND livemode = 0",
            args.len()
        ));
    }
    if let Some(id) = pause_id {
        args.push(s(id));
        sql.push_str(&format!(" AND pause_id = ?{}", args.len()));
    }
    sql.push_str(&format!(" ORDER BY created_at DESC LIMIT {limit}"));
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
