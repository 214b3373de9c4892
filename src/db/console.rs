//! The console's tables (migration 0007): `members`, `console_sessions` and
//! `magic_links`. Tokens are stored only as their hashes.

use serde::Deserialize;
use serde_json::Value;

use super::Db;
use crate::core::console::auth::LinkPurpose;
use crate::core::console::Role;
use crate::core::error::ApiError;
use crate::core::plans::Plan;

/// A signed-in session's member, joined with the account.
#[derive(Deserialize, Debug, Clone)]
pub struct SessionRow {
    pub member_id: String,
    pub account_id: String,
    pub account_name: String,
    pub plan: String,
    pub email: String,
    pub role: Role,
    pub csrf_secret: String,
}

impl SessionRow {
    /// An account whose plan this build does not know is a fault (500), as for keys.
    pub fn plan(&self) -> Result<Plan, ApiError> {
        Plan::parse(&self.plan)
            .ok_or_else(|| ApiError::internal(format!("unknown plan `{}`", self.plan)))
    }
}

/// The live session with this token hash, if any.
pub async fn session(db: &Db, token_hash: &str, now: i64) -> Result<Option<SessionRow>, ApiError> {
    db.first(
        "SELECT m.id AS member_id, m.account_id, a.name AS account_name, a.plan, m.email, m.role, s.csrf_secret
         FROM console_sessions s JOIN members m ON m.id = s.member_id JOIN accounts a ON a.id = m.account_id
         WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        &[token_hash.into(), now.into()],
    )
    .await
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    member_id: &str,
    csrf_secret: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), ApiError> {
    db.run(
        "INSERT INTO console_sessions (token_hash, member_id, csrf_secret, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            token_hash.into(),
            member_id.into(),
            csrf_secret.into(),
            now.into(),
            expires_at.into(),
        ],
    )
    .await
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), ApiError> {
    db.run(
        "DELETE FROM console_sessions WHERE token_hash = ?1",
        &[token_hash.into()],
    )
    .await
}

#[derive(Deserialize, Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub role: Role,
    pub created_at: i64,
}

const MEMBER_COLUMNS: &str = "id, account_id, email, role, created_at";

pub async fn member_by_email(db: &Db, email: &str) -> Result<Option<MemberRow>, ApiError> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE email = ?1");
    db.first(&sql, &[email.into()]).await
}

pub async fn member_by_id(db: &Db, id: &str) -> Result<Option<MemberRow>, ApiError> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = ?1");
    db.first(&sql, &[id.into()]).await
}

pub async fn members_of(db: &Db, account_id: &str) -> Result<Vec<MemberRow>, ApiError> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE account_id = ?1 ORDER BY created_at, id"
    );
    db.all(&sql, &[account_id.into()]).await
}

/// Adds a member; `false` when the address already belongs to a team (one statement,
/// so two confirmations racing cannot both add it).
pub async fn insert_member(
    db: &Db,
    id: &str,
    account_id: &str,
    email: &str,
    role: Role,
    now: i64,
) -> Result<bool, ApiError> {
    let row = db
        .first::<Value>(
            "INSERT INTO members (id, account_id, email, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(email) DO NOTHING RETURNING id",
            &[
                id.into(),
                account_id.into(),
                email.into(),
                role.as_str().into(),
                now.into(),
            ],
        )
        .await?;
    Ok(row.is_some())
}

/// Removes a member of `account_id` (never its owner) and ends their sessions at once.
pub async fn remove_member(db: &Db, account_id: &str, member_id: &str) -> Result<(), ApiError> {
    let args = [member_id.into(), account_id.into()];
    db.batch(vec![
        db.stmt(
            "DELETE FROM console_sessions WHERE member_id = ?1
             AND EXISTS (SELECT 1 FROM members WHERE id = ?1 AND account_id = ?2)",
            &args,
        )?,
        db.stmt(
            "DELETE FROM members WHERE id = ?1 AND account_id = ?2 AND role != 'owner'",
            &args,
        )?,
    ])
    .await?;
    Ok(())
}

#[derive(Deserialize, Debug, Clone)]
pub struct LinkRow {
    pub email: String,
    pub purpose: LinkPurpose,
    pub team_name: Option<String>,
    pub account_id: Option<String>,
    pub role: Option<Role>,
    pub invited_by: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub email: &'a str,
    pub purpose: LinkPurpose,
    pub team_name: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub role: Option<Role>,
    pub invited_by: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_link(db: &Db, l: &NewLink<'_>) -> Result<(), ApiError> {
    db.run(
        "INSERT INTO magic_links (token_hash, email, purpose, team_name, account_id, role, invited_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            l.token_hash.into(),
            l.email.into(),
            l.purpose.as_str().into(),
            l.team_name.into(),
            l.account_id.into(),
            l.role.map(Role::as_str).into(),
            l.invited_by.into(),
            l.now.into(),
            l.expires_at.into(),
        ],
    )
    .await
}

const LINK_COLUMNS: &str =
    "email, purpose, team_name, account_id, role, invited_by, expires_at, used_at";

pub async fn link(db: &Db, token_hash: &str) -> Result<Option<LinkRow>, ApiError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM magic_links WHERE token_hash = ?1");
    db.first(&sql, &[token_hash.into()]).await
}

/// Uses a link: one conditional update, so a link works once however many
/// confirmations race. `None`: unknown, used or expired (the caller reads which).
pub async fn consume_link(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> Result<Option<LinkRow>, ApiError> {
    let sql = format!(
        "UPDATE magic_links SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
         RETURNING {LINK_COLUMNS}"
    );
    db.first(&sql, &[token_hash.into(), now.into()]).await
}

/// A team's invitations that can still be accepted.
pub async fn pending_invites(
    db: &Db,
    account_id: &str,
    now: i64,
) -> Result<Vec<LinkRow>, ApiError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM magic_links WHERE account_id = ?1 AND purpose = 'invite'
         AND used_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC LIMIT 50"
    );
    db.all(&sql, &[account_id.into(), now.into()]).await
}

/// The cron's clean-up: sessions past their end, and links a day after they expired
/// (kept that long so a late click still says "expired" rather than "not valid").
pub async fn purge_expired(db: &Db, now: i64) -> Result<(), ApiError> {
    db.batch(vec![
        db.stmt(
            "DELETE FROM console_sessions WHERE expires_at <= ?1",
            &[now.into()],
        )?,
        db.stmt(
            "DELETE FROM magic_links WHERE expires_at <= ?1",
            &[(now - 24 * 3600 * 1000).into()],
        )?,
    ])
    .await?;
    Ok(())
}
