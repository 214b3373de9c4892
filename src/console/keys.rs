//! `/console/keys`: API keys (create, rotate with grace, revoke) and the webhook
//! signing secrets (rotate). Owners and admins only for every change, checked here;
//! each new secret is rendered once, in the response to the POST that made it.

use worker::Response;

use super::pages::{field, page, require_manager};
use super::session::Member;
use crate::core::audit::AuditKind;
use crate::core::console::form::Form;
use crate::core::console::keys_view::{self, parse_grace, parse_mode, KeyView, Outcome};
use crate::core::error::ApiError;
use crate::core::time::rfc3339;
use crate::db::keys::{is_active, KeyRow};
use crate::http::now_ms;
use crate::service::{keys, webhooks, Ctx};

const ACTIVE: &str = "/console/keys";

fn to_view(k: &KeyRow, now: i64) -> KeyView {
    KeyView {
        id: k.id.clone(),
        mode: k.mode,
        display: format!("{}…{}", k.prefix, k.last4),
        created_at: k.created_at,
        revoked_at: k.revoked_at,
        expires_at: k.expires_at,
        active: is_active(k, now),
    }
}

/// The page with the list as it is now and the outcome of what was just done.
async fn render(
    ctx: &Ctx,
    m: &Member,
    status: u16,
    outcome: Outcome<'_>,
) -> Result<Response, ApiError> {
    let now = now_ms();
    let keys: Vec<KeyView> = keys::list(ctx, &m.account_id)
        .await?
        .iter()
        .map(|k| to_view(k, now))
        .collect();
    let body = keys_view::keys_page(&keys, m.role.can_manage(), &m.csrf, outcome, now);
    Ok(page(m, status, ACTIVE, "Keys and secrets", &body))
}

/// The result of an action as the page: done (with the sentence) or refused (with the
/// error's sentence and status). Nothing changes on a refusal.
async fn after(
    ctx: &Ctx,
    m: &Member,
    done: Result<(String, Option<String>), ApiError>,
) -> Result<Response, ApiError> {
    match done {
        Ok((text, Some(secret))) => {
            let label = if secret.starts_with("whsec_") {
                "Signing secret"
            } else {
                "API key"
            };
            render(ctx, m, 200, Outcome::Secret(label, &secret, &text)).await
        }
        Ok((text, None)) => render(ctx, m, 200, Outcome::Done(&text)).await,
        Err(e) if e.status() < 500 => {
            render(ctx, m, e.status(), Outcome::Failed(&e.message())).await
        }
        Err(e) => Ok(super::pages::error_page(m, ACTIVE, &e)),
    }
}

/// `GET /console/keys`
pub(crate) async fn list(ctx: &Ctx, m: &Member) -> Result<Response, ApiError> {
    render(ctx, m, 200, Outcome::None).await
}

/// `POST /console/keys` (`mode`)
pub(crate) async fn create(ctx: &Ctx, m: &Member, f: &Form) -> Result<Response, ApiError> {
    let done = async {
        require_manager(m)?;
        let mode = parse_mode(field(f, "mode"))?;
        let (row, secret) = keys::create(ctx, &m.account_id, mode).await?;
        super::audit::record(
            ctx,
            m,
            AuditKind::KeyCreated,
            serde_json::json!({ "key_id": row.id, "mode": row.mode.as_str() }),
        )
        .await?;
        Ok((
            format!(
                "New {} key {}…{} created.",
                row.mode.as_str(),
                row.prefix,
                row.last4
            ),
            Some(secret),
        ))
    }
    .await;
    after(ctx, m, done).await
}

/// `POST /console/keys/{id}/rotate` (`grace_seconds`)
pub(crate) async fn rotate(
    ctx: &Ctx,
    m: &Member,
    f: &Form,
    id: &str,
) -> Result<Response, ApiError> {
    let done = async {
        require_manager(m)?;
        let grace = parse_grace(field(f, "grace_seconds"))?;
        let r = keys::rotate(ctx, &m.account_id, id, grace).await?;
        let (row, secret, old) = (r.new_key, r.secret, r.old_key);
        let what =
            serde_json::json!({ "key_id": id, "new_key_id": row.id, "grace_seconds": grace });
        super::audit::record(ctx, m, AuditKind::KeyRotated, what).await?;
        let old_until = old.and_then(|k| k.expires_at).filter(|_| grace > 0);
        let text = match old_until {
            Some(t) => format!(
                "Key rotated. The old key keeps working until {} UTC.",
                &rfc3339(t)[..16].replace('T', " ")
            ),
            None => "Key rotated. The old key has stopped working.".to_string(),
        };
        Ok((text, Some(secret)))
    }
    .await;
    after(ctx, m, done).await
}

/// `POST /console/keys/{id}/revoke`
pub(crate) async fn revoke(ctx: &Ctx, m: &Member, id: &str) -> Result<Response, ApiError> {
    let done = async {
        require_manager(m)?;
        let k = keys::revoke(ctx, &m.account_id, id).await?;
        let what = serde_json::json!({ "key_id": id });
        super::audit::record(ctx, m, AuditKind::KeyRevoked, what).await?;
        let shown = k
            .map(|k| format!("{}…{}", k.prefix, k.last4))
            .unwrap_or_default();
        Ok((
            format!("Key {shown} revoked: it is refused from now on."),
            None,
        ))
    }
    .await;
    after(ctx, m, done).await
}

/// `POST /console/webhook-secret/rotate` (`mode`)
pub(crate) async fn rotate_secret(ctx: &Ctx, m: &Member, f: &Form) -> Result<Response, ApiError> {
    let done = async {
        require_manager(m)?;
        let mode = parse_mode(field(f, "mode"))?;
        let (mode, secret, until) =
            webhooks::rotate_secret(ctx, &m.caller(true), Some(mode)).await?;
        super::audit::record(
            ctx,
            m,
            AuditKind::WebhookSecretRotated,
            serde_json::json!({ "mode": mode.as_str() }),
        )
        .await?;
        let text = format!(
            "New {} signing secret. The previous one keeps signing beside it until {} UTC.",
            mode.as_str(),
            &rfc3339(until)[..16].replace('T', " ")
        );
        Ok((text, Some(secret)))
    }
    .await;
    after(ctx, m, done).await
}
