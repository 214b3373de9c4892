//! D1 side of the console: members, sessions and magic links.

use serde::Deserialize;
use serde_json::Value;
use worker::Env;

use crate::core::error::ApiError;
use crate::http::internal;
use crate::store::{db, n, s};

/// A signed-in session's member, joined with the account.
#[derive(Deserialize, Debug, Clone)]
pub struct SessionRow {
    pub member_id: String,
    pub account_id: String,
    pub account_name: String,
    pub plan: String,
    pub email: String,
    pub role: String,
    pub csrf_secret: String,
}

pub async fn session(
    env: &Env,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionRow>, ApiError> {
    db(env)?
        .prepare(
            "SELECT m.id AS member_id, m.account_id, a.name AS account_name, a.plan, m.email, m.role, s.csrf_secret
             FROM console_sessions s JOIN members m ON m.id = s.member_id JOIN accounts a ON a.id = m.account_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )
        .bind(&[s(token_hash), n(now)])
        .map_err(internal)?
        .first::<SessionRow>(None)
        .await
        .map_err(internal)
}

pub async fn insert_session(
    env: &Env,
    token_hash: &str,
    member_id: &str,
    csrf_secret: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "INSERT INTO console_sessions (token_hash, member_id, csrf_secret, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[s(token_hash), s(member_id), s(csrf_secret), n(now), n(expires_at)])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn delete_session(env: &Env, token_hash: &str) -> Result<(), ApiError> {
    db(env)?
        .prepare("DELETE FROM console_sessions WHERE token_hash = ?1")
        .bind(&[s(token_hash)])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

#[derive(Deserialize, Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
}

pub async fn member_by_email(env: &Env, email: &str) -> Result<Option<MemberRow>, ApiError> {
    db(env)?
        .prepare("SELECT id, account_id, email, role, created_at FROM members WHERE email = ?1")
        .bind(&[s(email)])
        .map_err(internal)?
        .first::<MemberRow>(None)
        .await
        .map_err(internal)
}

pub async fn member_by_id(env: &Env, id: &str) -> Result<Option<MemberRow>, ApiError> {
    db(env)?
        .prepare("SELECT id, account_id, email, role, created_at FROM members WHERE id = ?1")
        .bind(&[s(id)])
        .map_err(internal)?
        .first::<MemberRow>(None)
        .await
        .map_err(internal)
}

pub async fn members_of(env: &Env, account_id: &str) -> Result<Vec<MemberRow>, ApiError> {
    db(env)?
        .prepare(
            "SELECT id, account_id, email, role, created_at FROM members WHERE account_id = ?1
             ORDER BY created_at, id",
        )
        .bind(&[s(account_id)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)
}

/// Adds a member; `false` when the address already belongs to a team (one statement,
/// so two confirmations racing cannot both add it).
pub async fn insert_member(
    env: &Env,
    id: &str,
    account_id: &str,
    email: &str,
    role: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let row = db(env)?
        .prepare(
            "INSERT INTO members (id, account_id, email, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(email) DO NOTHING RETURNING id",
        )
        .bind(&[s(id), s(account_id), s(email), s(role), n(now)])
        .map_err(internal)?
        .first::<Value>(None)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// Removes a member of `account_id` and ends their sessions at once.
pub async fn remove_member(env: &Env, account_id: &str, member_id: &str) -> Result<(), ApiError> {
    let db = db(env)?;
    db.batch(vec![
        db.prepare(
            "DELETE FROM console_sessions WHERE member_id = ?1
             AND EXISTS (SELECT 1 FROM members WHERE id = ?1 AND account_id = ?2)",
        )
        .bind(&[s(member_id), s(account_id)])
        .map_err(internal)?,
        db.prepare("DELETE FROM members WHERE id = ?1 AND account_id = ?2 AND role != 'owner'")
            .bind(&[s(member_id), s(account_id)])
            .map_err(internal)?,
    ])
    .await
    .map_err(internal)?;
    Ok(())
}

#[derive(Deserialize, Debug, Clone)]
pub struct LinkRow {
    pub email: String,
    pub purpose: String,
    pub team_name: Option<String>,
    pub account_id: Option<String>,
    pub role: Option<String>,
    pub invited_by: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub email: &'a str,
    pub purpose: &'a str,
    pub team_name: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub role: Option<&'a str>,
    pub invited_by: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

fn opt(v: Option<&str>) -> wasm_bindgen::JsValue {
    v.map_or(wasm_bindgen::JsValue::NULL, s)
}

pub async fn insert_link(env: &Env, l: &NewLink<'_>) -> Result<(), ApiError> {
    db(env)?
        .prepare(
            "INSERT INTO magic_links (token_hash, email, purpose, team_name, account_id, role, invited_by, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(&[
            s(l.token_hash),
            s(l.email),
            s(l.purpose),
            opt(l.team_name),
            opt(l.account_id),
            opt(l.role),
            opt(l.invited_by),
            n(l.now),
            n(l.expires_at),
        ])
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(())
}

const LINK_COLUMNS: &str =
    "email, purpose, team_name, account_id, role, invited_by, expires_at, used_at";

pub async fn link(env: &Env, token_hash: &str) -> Result<Option<LinkRow>, ApiError> {
    db(env)?
        .prepare(format!(
            "SELECT {LINK_COLUMNS} FROM magic_links WHERE token_hash = ?1"
        ))
        .bind(&[s(token_hash)])
        .map_err(internal)?
        .first::<LinkRow>(None)
        .await
        .map_err(internal)
}

/// Uses a link: one conditional update, so a link works once however many
/// confirmations race. `None`: unknown, used or expired (the caller reads which).
pub async fn consume_link(
    env: &Env,
    token_hash: &str,
    now: i64,
) -> Result<Option<LinkRow>, ApiError> {
    db(env)?
        .prepare(format!(
            "UPDATE magic_links SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
             RETURNING {LINK_COLUMNS}"
        ))
        .bind(&[s(token_hash), n(now)])
        .map_err(internal)?
        .first::<LinkRow>(None)
        .await
        .map_err(internal)
}

/// A team's invitations that can still be accepted.
pub async fn pending_invites(
    env: &Env,
    account_id: &str,
    now: i64,
) -> Result<Vec<LinkRow>, ApiError> {
    db(env)?
        .prepare(format!(
            "SELECT {LINK_COLUMNS} FROM magic_links WHERE account_id = ?1 AND purpose = 'invite'
             AND used_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC LIMIT 50"
        ))
        .bind(&[s(account_id), n(now)])
        .map_err(internal)?
        .all()
        .await
        .map_err(internal)?
        .results()
        .map_err(internal)
}

/// The cron's clean-up: sessions past their end, and links a day after they expired
/// (kept that long so a late click still says "expired" rather than "not valid").
pub async fn purge_expired(env: &Env, now: i64) -> Result<(), ApiError> {
    let db = db(env)?;
    db.batch(vec![
        db.prepare("DELETE FROM console_sessions WHERE expires_at <= ?1")
            .bind(&[n(now)])
            .map_err(internal)?,
        db.prepare("DELETE FROM magic_links WHERE expires_at <= ?1")
            .bind(&[n(now - 24 * 3600 * 1000)])
            .map_err(internal)?,
    ])
    .await
    .map_err(internal)?;
    Ok(())
}
